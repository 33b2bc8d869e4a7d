"""Errors a user can act on. Only `mt.cli` turns them into messages and exit codes."""

from __future__ import annotations


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


def disk_full(exc: BaseException) -> bool:
    """Whether `exc` says that a disk is full: ENOSPC or EDQUOT from the OS (as Python, pyarrow and others raise
    it), or SQLite's SQLITE_FULL ("database or disk is full")."""
    import errno

    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    if type(exc).__module__ == "sqlite3":  # without importing sqlite3 here
        return getattr(exc, "sqlite_errorcode", None) == 13 or "database or disk is full" in str(exc)
    return False
