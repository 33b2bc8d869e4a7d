"""Which run folder a run writes, and the lock that keeps one run at a time in it.

A run folder belongs to one (config, input) pair: `<config name>-<hash>`, the hash taken over the config hash
and the input's identity (its kind, resolved path and, for a corpus, its columns and split). `run.json` in the
folder records both, so a folder that holds another config's or another input's run is refused, never mixed
into (`--overwrite` replaces it). Every engine, `mt compare` and any other command that writes or looks for a
run calls `run_dir_for` (where) and `claim_run_dir` (to write); `mt score` and `mt compare`, whose folders are
named from their own settings, call `claim_folder` with the same rules.

Only what mt made is ever removed: `--overwrite` replaces a folder that holds mt's `run.json` and nothing but the
files mt writes (`MADE_FILES`, `MADE_FOLDERS`); a folder holding anything else, or an input of the command, is
refused, and the clean-ups after a failed run remove mt's own files only.

The lock is `fcntl.flock` on `.lock` in the run folder (`--overwrite` removes mt's files but keeps it). It is
held for the whole run and released by the OS when the process ends in any way, a crash or SIGKILL included;
the file holds the holder's PID so that a refusal can name it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from mt.errors import DiskFull, MtError, disk_full

if TYPE_CHECKING:
    from mt.config import Config
    from mt.sources import Source

IDENTITY_FILE = "run.json"
LOCK_FILE = ".lock"
# Everything mt writes in the folders it makes (a run's, `mt score`'s, `mt compare`'s), by name: `--overwrite` and
# the clean-ups remove these and nothing else.
MADE_FILES = frozenset({
    IDENTITY_FILE, LOCK_FILE, "checkpoint.sqlite", "checkpoint.sqlite-wal", "checkpoint.sqlite-shm",
    "checkpoint.sqlite-journal", "pairs.jsonl", "rejected.jsonl", "corpus.ar", "corpus.en", "pairs.tsv", "pairs.tmx",
    "README.md", "report.html", "manifest.json", "table.json", "table.md", "side_by_side.jsonl",
})
MADE_FOLDERS = {"data": re.compile(r"train-\d{5}-of-\d{5}\.parquet"), "shards": re.compile(r"\d{5}\..+|ids\.sqlite.*")}
_TEMPORARY = re.compile(r"\..+\.(\d+\.)?tmp")  # a write cut short (mt.writers.temp_name)


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
    """A claimed run folder: `path`, locked until `release()` (or the end of the process). Leaving it on an
    exception removes it when nothing was written in it, and turns a full disk into `DiskFull` naming it."""

    def __init__(self, path: Path, lock_path: Path, fd: int, created: bool = False, lock_created: bool = False) -> None:
        self.path = path
        self.lock_path = lock_path
        self._fd: int | None = fd
        self.created = created  # this claim made the folder (so a clean-up may remove it) ...
        self.lock_created = lock_created  # ... or the lock file in it

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
        if exc is not None and disk_full(exc, self.path):
            raise DiskFull(disk_full_message(self.path)) from exc

    def give_up(self) -> None:
        """Release a folder found unfit to write in, taking away the lock file (and folder) this claim made."""
        self.release()
        try:
            if self.lock_created:
                self.lock_path.unlink(missing_ok=True)
            if self.created and not any(self.path.iterdir()):
                self.path.rmdir()
        except OSError:
            pass

    def remove_if_unused(self) -> None:
        """Remove the folder when the run failed before writing anything in it (the model did not load, say):
        its run.json and lock, and the folder itself if this claim made it."""
        try:
            if {p.name for p in self.path.iterdir()} <= {IDENTITY_FILE, LOCK_FILE}:
                remove_made(self.path, remove_folder=self.created)
        except OSError:
            pass


def disk_full_message(folder: Path) -> str:
    return (f"the disk is full: '{folder}' cannot be written (no space left on the device); free some space or "
            "pick another output folder, then run the same command again (a run resumes where it stopped)")


def foreign_entries(folder: Path) -> list[str]:
    """What `folder` holds that mt did not make (`MADE_FILES`, `MADE_FOLDERS`), relative to it; symbolic links
    and special files are never mt's."""
    out = []
    for child in sorted(folder.iterdir()):
        pattern = MADE_FOLDERS.get(child.name)
        if pattern is not None and child.is_dir() and not child.is_symlink():
            out += [f"{child.name}/{inner.name}" for inner in sorted(child.iterdir())
                    if not _made_file(inner, pattern)]
        elif not _made_file(child):
            out.append(child.name)
    return out


def _made_file(path: Path, pattern: re.Pattern[str] | None = None) -> bool:
    named = pattern.fullmatch(path.name) if pattern else path.name in MADE_FILES
    return bool(named or _TEMPORARY.fullmatch(path.name)) and path.is_file() and not path.is_symlink()


def remove_made(folder: Path, keep: Iterable[str] = (), remove_folder: bool = True) -> None:
    """Remove what mt made in `folder` (but the names in `keep`), never anything else; then the folder itself
    when `remove_folder` and it is empty."""
    kept = set(keep)
    for child in list(folder.iterdir()):
        pattern = MADE_FOLDERS.get(child.name)
        if pattern is not None and child.is_dir() and not child.is_symlink():
            for inner in list(child.iterdir()):
                if _made_file(inner, pattern):
                    inner.unlink()
            if not any(child.iterdir()):
                child.rmdir()
        elif child.name not in kept and _made_file(child):
            child.unlink()
    if remove_folder and not any(folder.iterdir()):
        folder.rmdir()


def lock_run(run_dir: Path) -> RunFolder:
    """Take the exclusive lock of `run_dir` now, or fail at once naming the process that holds it."""
    import fcntl

    lock_path = run_dir / LOCK_FILE
    created, lock_created = not run_dir.exists(), not lock_path.exists()
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except (FileExistsError, NotADirectoryError):
        raise MtError(not_a_folder(run_dir)) from None
    except OSError as exc:
        raise MtError(_unwritable(run_dir, exc)) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise MtError(f"run folder '{run_dir}' is in use by another mt run (process {holder}); wait for it to "
                      "finish or stop it") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return RunFolder(run_dir, lock_path.resolve(), fd, created, lock_created)


def not_a_folder(folder: Path) -> str:
    """The message for a folder that cannot be made because it, or a folder above it, is a file."""
    blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), folder)
    where = "" if blocker == folder else f", so '{folder}' cannot be made"
    return f"'{blocker}' is a file, not a folder{where}; pick a new or empty folder for the output"


def _unwritable(folder: Path, exc: OSError) -> str:
    if disk_full(exc, folder):
        return disk_full_message(folder)
    return f"output folder '{folder}' cannot be written: {exc.strerror or exc}"


def claim_run_dir(config: Config, source: Source, overwrite: bool = False,
                  inputs: Iterable[str | Path | None] = ()) -> RunFolder:
    """Lock the run folder of `config` on `source` and make it ready to write: created, or (with `overwrite`)
    emptied of mt's files; a folder that holds another config's or input's run is refused unless `overwrite`,
    one that holds anything mt did not make or one of the `inputs` (besides `source`'s own) always."""
    from mt.sources import HF_PREFIX

    identity = {"config_hash": config.config_hash(), "input": input_identity(source)}
    own = [] if source.path.startswith(HF_PREFIX) else [source.path]
    return claim_folder(run_dir_for(config, source), identity, overwrite, inputs=[*own, *inputs])


def claim_folder(run_dir: Path, identity: dict[str, Any], overwrite: bool = False,
                 inputs: Iterable[str | Path | None] = ()) -> RunFolder:
    """`claim_run_dir` for any command that writes a folder of its own (`mt score`, `mt compare`): `identity` is
    `{"config_hash": what settings, "input": {"kind": ..., "path": ..., ...}}`, recorded in run.json; `inputs`
    are the files and folders the command reads (a folder that holds one of them is refused)."""
    _refuse_inputs_inside(run_dir, inputs)
    folder = lock_run(run_dir)
    try:
        found = _found_identity(run_dir)
        if found != identity or overwrite:
            _check_replaceable(run_dir, found, identity, overwrite)
            remove_made(run_dir, keep=[LOCK_FILE], remove_folder=False)
        from mt.writers import atomic_write

        atomic_write(run_dir / IDENTITY_FILE, json.dumps(identity, ensure_ascii=False, indent=2) + "\n")
    except OSError as exc:
        folder.give_up()
        raise MtError(_unwritable(run_dir, exc)) from None
    except BaseException:
        folder.give_up()
        raise
    return folder


def _refuse_inputs_inside(folder: Path, inputs: Iterable[str | Path | None]) -> None:
    root = folder.resolve()
    for item in inputs:
        if item is None or not Path(item).exists():
            continue
        path = Path(item).resolve()
        if path == root or root in path.parents:
            raise MtError(f"the output folder '{folder}' holds the input '{item}': mt never writes where its inputs "
                          "are, nor replaces them; pick an empty or new folder")


def _found_identity(run_dir: Path) -> dict[str, Any] | None:
    try:
        found = json.loads((run_dir / IDENTITY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    # mt writes exactly {"config_hash": 8 hex digits, "input": {"kind": ..., "path": ..., ...}}: any other run.json
    # is someone else's file, and the folder is not mt's to replace
    mine = (isinstance(found, dict) and set(found) == {"config_hash", "input"}
            and isinstance(found["config_hash"], str) and re.fullmatch(r"[0-9a-f]{8}", found["config_hash"])
            and isinstance(found["input"], dict) and isinstance(found["input"].get("kind"), str)
            and isinstance(found["input"].get("path"), str))
    return found if mine else None


def _check_replaceable(run_dir: Path, found: dict[str, Any] | None, identity: dict[str, Any],
                       overwrite: bool) -> None:
    """Refuse unless the folder is new or empty, or mt's own and (with `overwrite`) free of anything else."""
    if found is None:
        theirs = [name for name in sorted(p.name for p in run_dir.iterdir())
                  if name != LOCK_FILE and not _TEMPORARY.fullmatch(name)]
        if theirs:
            shown = ", ".join(f"'{name}'" for name in theirs[:3]) + (", ..." if len(theirs) > 3 else "")
            whose = f"a {IDENTITY_FILE} mt did not write" if IDENTITY_FILE in theirs else f"no {IDENTITY_FILE}"
            raise MtError(f"folder '{run_dir}' holds files that mt did not make ({_cut(shown)}; {whose}); "
                          "mt writes only into a new or empty folder or one it made, and --overwrite replaces "
                          "nothing else: pick an empty or new folder")
        return
    foreign = foreign_entries(run_dir)
    if foreign:
        shown = ", ".join(f"'{name}'" for name in foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise MtError(f"folder '{run_dir}' holds {_cut(shown)}, which mt did not make; --overwrite replaces only "
                      "what mt made: move it out, or pick an empty or new folder")
    if overwrite:
        return
    found_input: dict[str, Any] = found["input"] if isinstance(found.get("input"), dict) else {}
    if found_input != identity["input"]:
        other = " + ".join(_cut(str(found_input[k])) for k in ("path", "target", "reference")
                           if found_input.get(k)) or "?"
        what = "comparison" if found_input.get("kind") == "compare" else "run"
        raise MtError(f"run folder '{run_dir}' holds the {what} of another input ('{other}'); pass --overwrite "
                      "to replace it")
    raise MtError(f"run folder '{run_dir}' holds the run of another config ({_cut(str(found.get('config_hash')))});"
                  " pass --overwrite to replace it")


def _cut(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
