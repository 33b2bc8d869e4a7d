"""One system of `mt compare`, translated in a process of its own.

Each system runs in a fresh process so that what the comparison reports of it is its own: its speed (no other
model competing for the CPU or holding memory), its peak memory (the manifest's VmHWM is that process's alone; a
forked child would start from the parent's peak) and the model it loaded (transformers, CTranslate2 and torch keep
process-wide state). The process is started with `spawn` and runs the Python API (`mt.Pipeline.run`, what
`mt translate` runs); it sends back a `SystemRun` over a pipe: the run folder, the warnings it logged, or the error
that stopped it, as the exception itself.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import signal
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from mt.api import Pipeline
from mt.config import Config
from mt.errors import MtError
from mt.inputs.sources import Source

log = logging.getLogger(__name__)
STOP_WAIT_S = 30  # after an interruption, how long the system's process has to clean up before it is killed


@dataclass
class SystemRun:
    """What a system's process sends back: its run folder, or the exception that stopped it; and the warnings it
    logged on the way (a clamped max_new_tokens, say)."""

    run_dir: str | None = None
    error: BaseException | None = None
    warnings: list[str] = field(default_factory=list)


def run_system(config: Config, config_path: str, source: Source, overwrite: bool) -> SystemRun:
    """Translate `source` with `config` in a process of its own (see the module docstring); returns what it sent.
    A process that ends without sending anything (killed, say) is an MtError naming its exit code."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=system_process, args=(sender, config, config_path, source, overwrite),
                              name=f"mt compare: {config.name}", daemon=True)
    process.start()
    sender.close()  # ours: the pipe reports the end of the file once the child's copy is closed too
    try:
        try:
            result: SystemRun = receiver.recv()
        except EOFError:
            process.join()
            raise MtError(f"the process of system '{config.name}' ended without a result (exit code "
                          f"{process.exitcode}); run it alone with mt translate --config {config_path}") from None
        process.join()
        return result
    finally:
        receiver.close()
        if process.is_alive():  # interrupted here (Ctrl-C, SIGTERM): stop it as mt translate is stopped
            process.terminate()
            process.join(STOP_WAIT_S)
            if process.is_alive():
                process.kill()
                process.join()


def system_process(sender: Connection, config: Config, config_path: str, source: Source, overwrite: bool) -> None:
    """The system's process: `Pipeline.run`, then its `SystemRun` sent back."""
    signal.signal(signal.SIGTERM, _interrupted)
    caught = _Warnings()
    root = logging.getLogger()
    root.addHandler(caught)
    root.setLevel(logging.WARNING)
    logging.captureWarnings(True)
    result = SystemRun(warnings=caught.messages)
    try:
        result.run_dir = str(Pipeline(config, config_path).run(source.path, overwrite=overwrite, source=source))
    except KeyboardInterrupt:
        return  # interrupted: the comparison is stopped too
    except Exception as exc:  # noqa: BLE001 (sent back to the comparison, which raises it)
        result.error = exc if _picklable(exc) else RuntimeError(f"{type(exc).__name__}: {exc}")
    sender.send(result)
    sender.close()


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # as `mt translate` ends on SIGTERM: the run cleans up and can resume


def _picklable(exc: BaseException) -> bool:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 (whatever pickling raises, the exception is sent as text instead)
        return False
    return True

