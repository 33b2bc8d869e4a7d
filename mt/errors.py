"""Errors a user can act on. Only `mt.cli` turns them into messages and exit codes."""

from __future__ import annotations

from pathlib import Path


class MtError(Exception):
    """A mistake or missing resource the user can fix; the message says what to do next."""


class ConfigError(MtError):
    """A configuration file is missing, malformed or holds a bad value."""


class InputError(MtError):
    """An input file or folder cannot be read as text to translate."""


class ModelUnavailable(MtError):
    """The model is neither in the local cache nor reachable on the hub."""


class DiskFull(MtError):
    """An output could not be written because its disk is full; the message names the folder."""


def disk_full(exc: BaseException, where: Path | None = None) -> bool:
    """Whether `exc` says that a disk is full: ENOSPC or EDQUOT from the OS (as Python, pyarrow and others raise
    it), or SQLite's SQLITE_FULL ("database or disk is full"). With `where` (a folder being written), an I/O error
    counts too when that folder's disk has no space left: SQLite reports a full disk met while growing its
    shared-memory file as SQLITE_IOERR_SHMSIZE ("disk I/O error")."""
    import errno

    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        return exc.errno == errno.EIO and where is not None and _no_space(where)
    if type(exc).__module__ == "sqlite3":  # without importing sqlite3 here
        code = getattr(exc, "sqlite_errorcode", None)
        if code == 13 or "database or disk is full" in str(exc):  # SQLITE_FULL
            return True
        io_error = code is not None and code & 0xFF == 10 or "disk I/O error" in str(exc)  # SQLITE_IOERR_*
        return io_error and where is not None and _no_space(where)
    return False


def _no_space(where: Path) -> bool:
    import shutil

    folder = next((p for p in (where, *where.parents) if p.exists()), where)
    try:
        return shutil.disk_usage(folder).free < 1 << 20
    except OSError:
        return False
