"""Which run folder a run writes, and the lock that keeps one run at a time in it.

A run folder belongs to one (config, input) pair: `<config name>-<hash>`, the hash taken over the config hash
and the input's identity (its kind, resolved path and, for a corpus, its columns and split). `run.json` in the
folder records both, so a folder that holds another config's or another input's run is refused, never mixed
into (`--overwrite` replaces it). Every engine, `mt compare` and any other command that writes or looks for a
run calls `run_dir_for` (where) and `claim_run_dir` (to write); `mt score`, whose folder is named from its
own settings, calls `claim_folder` with the same rules.

The lock is `fcntl.flock` on `.lock` in the run folder (`--overwrite` empties the folder but keeps it). It is
held for the whole run and released by the OS when the process ends in any way, a crash or SIGKILL included;
the file holds the holder's PID so that a refusal can name it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from mt.errors import MtError

if TYPE_CHECKING:
    from mt.config import Config
    from mt.sources import Source

IDENTITY_FILE = "run.json"
LOCK_FILE = ".lock"


def input_identity(source: Source) -> dict[str, str]:
    """What names an input: its kind and resolved location, and for a corpus the columns and split read."""
    from mt.sources import HF_PREFIX

    where = source.path if source.path.startswith(HF_PREFIX) else Path(source.path).resolve().as_posix()
    identity = {"kind": source.kind, "path": where}
    if source.kind != "txt":
        identity.update(text_column=source.text_column, id_column=source.id_column)
    if source.kind == "hf":
        identity["split"] = source.split
    return identity


def run_name(config: Config, source: Source) -> str:
    """`<config name>-<8 hex digits>` of the config hash and the input's identity."""
    blob = json.dumps({"config": config.config_hash(), "input": input_identity(source)}, sort_keys=True,
                      ensure_ascii=False)
    return f"{config.name}-{hashlib.sha256(blob.encode()).hexdigest()[:8]}"


def run_dir_for(config: Config, source: Source) -> Path:
    """The run folder of `config` on `source`."""
    return Path(config.output_dir) / run_name(config, source)


class RunFolder:
    """A claimed run folder: `path`, locked until `release()` (or the end of the process)."""

    def __init__(self, path: Path, lock_path: Path, fd: int) -> None:
        self.path = path
        self.lock_path = lock_path
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is not None:
            self.remove_if_unused()
        self.release()

    def remove_if_unused(self) -> None:
        """Remove the folder when the run failed before writing anything in it (the model did not load, say)."""
        try:
            if {p.name for p in self.path.iterdir()} <= {IDENTITY_FILE, LOCK_FILE}:
                shutil.rmtree(self.path)
        except OSError:
            pass


def lock_run(run_dir: Path) -> RunFolder:
    """Take the exclusive lock of `run_dir` now, or fail at once naming the process that holds it."""
    import fcntl

    lock_path = run_dir / LOCK_FILE
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise MtError(f"output folder '{run_dir.parent}' cannot be written: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise MtError(f"run folder '{run_dir}' is in use by another mt run (process {holder}); wait for it to "
                      "finish or stop it") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return RunFolder(run_dir, lock_path.resolve(), fd)


def claim_run_dir(config: Config, source: Source, overwrite: bool = False) -> RunFolder:
    """Lock the run folder of `config` on `source` and make it ready to write: created, or (with `overwrite`)
    emptied; a folder that holds another config's or input's run is refused unless `overwrite`."""
    identity = {"config_hash": config.config_hash(), "input": input_identity(source)}
    return claim_folder(run_dir_for(config, source), identity, overwrite)


def claim_folder(run_dir: Path, identity: dict[str, Any], overwrite: bool = False) -> RunFolder:
    """`claim_run_dir` for any command that writes a folder of its own (`mt score`): `identity` is
    `{"config_hash": what settings, "input": {"kind": ..., "path": ..., ...}}`, recorded in run.json."""
    folder = lock_run(run_dir)
    try:
        if overwrite:
            for child in run_dir.iterdir():
                if child.name != LOCK_FILE:
                    shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        _check_identity(run_dir, identity)
        from mt.writers import atomic_write

        atomic_write(run_dir / IDENTITY_FILE, json.dumps(identity, ensure_ascii=False, indent=2) + "\n")
    except OSError as exc:
        folder.release()
        raise MtError(f"output folder '{run_dir.parent}' cannot be written: {exc.strerror or exc}") from None
    except BaseException:
        folder.release()
        raise
    return folder


def _check_identity(run_dir: Path, identity: dict[str, Any]) -> None:
    path = run_dir / IDENTITY_FILE
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        found = None
    if not isinstance(found, dict):
        found = None
    if found == identity:
        return
    if found is None:
        if any(p.name != LOCK_FILE for p in run_dir.iterdir()):
            raise MtError(f"run folder '{run_dir}' holds files that are not this run's (no {IDENTITY_FILE}); "
                          "pass --overwrite to replace them")
        return
    if found.get("input") != identity["input"]:
        found_input = found.get("input") if isinstance(found.get("input"), dict) else {}
        other = " + ".join(_cut(str(found_input[k])) for k in ("path", "target") if k in found_input) or "?"
        raise MtError(f"run folder '{run_dir}' holds the run of another input ('{other}'); pass --overwrite "
                      "to replace it")
    raise MtError(f"run folder '{run_dir}' holds the run of another config ({_cut(str(found.get('config_hash')))});"
                  " pass --overwrite to replace it")


def _cut(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
