"""Ray for the Ray engine: importing it, joining a cluster or starting a local runtime (with the cluster's
authentication token where Ray itself would use it), and turning a failure inside a Ray pipeline into one line."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from mt.errors import InputError, MtError
from mt.inputs.sources import Source

log = logging.getLogger(__name__)
AUTH_HINT = ("set RAY_AUTH_MODE=token (Ray reads the cluster's token from ~/.ray/auth_token, RAY_AUTH_TOKEN_PATH or "
             "RAY_AUTH_TOKEN; `ray get-auth-token` on the head node prints it), or use --ray-address auto on a "
             "machine of the cluster")


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MtError("--engine ray needs Ray: pip install 'mt[ray]' (or pip install 'ray[data]')") from None
    return ray


def connect(ray: Any, address: str | None, num_cpus: int) -> bool:
    """Join the cluster at `address`, or start a local Ray runtime with `num_cpus` slots; True when this call
    started Ray (and should shut it down). A refused connection is one MtError saying what to set."""
    if ray.is_initialized():
        return False
    local = {} if address else {"num_cpus": num_cpus}
    if address and address != "auto" and _is_this_machine(address):
        _use_local_token()
    try:
        with _stderr_kept_back(enabled=bool(address)):
            ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
                     **local)
    except Exception as exc:  # noqa: BLE001 (Ray raises ConnectionError, RuntimeError, ValueError ...)
        causes = chain(exc)
        if any(type(e).__name__ == "AuthenticationError" or "InvalidAuthToken" in str(e) for e in causes):
            raise MtError(f"the Ray cluster at {address} requires token authentication: {AUTH_HINT}") from None
        first = (str(causes[-1]).strip().splitlines() or [type(causes[-1]).__name__])[0]
        where = f"the Ray cluster at {address}" if address else "a local Ray runtime"
        raise MtError(f"cannot connect to {where}: {first}") from None
    return True


def _is_this_machine(address: str) -> bool:
    import socket

    host = address.split("://")[-1].rsplit(":", 1)[0].strip("[]")
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.bind((host, 0))  # only an address of this machine can be bound
    except OSError:
        return False
    return True


def _use_local_token() -> None:
    """What Ray itself does for `ray.init()` without an address: a cluster started on this machine by
    `ray start --head` (token authentication on by default since Ray 2.59) is joined with the token it left in
    ~/.ray/auth_token, unless RAY_AUTH_MODE says otherwise. A remote address never gets the token unasked."""
    try:
        from ray._private.authentication.authentication_token_setup import (
            maybe_enable_token_auth_if_token_available,
        )
    except ImportError:  # an older Ray, without token authentication
        return
    maybe_enable_token_auth_if_token_available(warn_if_disabled=False)


class _stderr_kept_back:
    """Ray's C++ core logs every retry of a refused connection on file descriptor 2 (20 lines for a missing
    token); hold them back and show them only when the connection succeeds, or at -vv."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __enter__(self) -> None:
        if not self.enabled:
            return
        import tempfile

        sys.stderr.flush()
        self.saved = os.dup(2)
        self.file = tempfile.TemporaryFile()
        os.dup2(self.file.fileno(), 2)

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if not self.enabled:
            return
        sys.stderr.flush()
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.file.seek(0)
        held = self.file.read().decode("utf-8", "replace")
        self.file.close()
        if held and (exc_type is None or log.isEnabledFor(logging.DEBUG)):
            sys.stderr.write(held)


def chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes, outermost first (Ray's task errors keep theirs in `.cause`)."""
    out: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in out:
        out.append(current)
        nxt = getattr(current, "cause", None)
        current = nxt if isinstance(nxt, BaseException) else current.__cause__ or current.__context__
    return out


def input_error(exc: Exception, source: Source) -> MtError:
    """The one-line error for a failure inside the Ray pipeline: ours as raised, a reader's as bad input."""
    causes = chain(exc)
    for err in causes:
        if isinstance(err, MtError) and "RayTaskError" not in type(err).__name__:
            return err
    if isinstance(exc, MtError):
        return exc
    last = causes[-1]
    first = (str(last).strip().splitlines() or [type(last).__name__])[0]
    if "arrow" in type(last).__module__.lower() or isinstance(last, (OSError, UnicodeError, ValueError)):
        return InputError(f"input '{source.path}' cannot be read: {first}")
    return MtError(f"the Ray pipeline failed: {type(last).__name__}: {first} (run with -v for Ray's trace)")
