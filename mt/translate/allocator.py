"""glibc's malloc and the large tensors of beam search on a CPU: keep freed memory while translating a batch.

glibc serves every block of 32 MB or more with its own mmap and unmaps it when it is freed. Beam search on a large
vocabulary allocates several beams × vocabulary float tensors at every decoding step, so each of them is
page-faulted in, and zeroed by the kernel, afresh (README, "Speed": what it costs on an opus-mt-sized model).
Inside `freed_memory_kept()` malloc serves large blocks from its heap and does not trim it, as
`MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2147483647` would for a whole process; on leaving, glibc's default
limits are set again and the kept memory is handed back (`malloc_trim`), so nothing outlives the batch. Linux with
glibc only, and only for allocations of the main thread (glibc's other threads allocate from arenas these settings
do not reach).
"""

from __future__ import annotations

import ctypes
import platform
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # mallopt parameters (malloc.h)
_KEEP = 2**31 - 1  # the largest value mallopt takes (a C int)
_DEFAULT_TRIM, _DEFAULT_MMAP_MAX = 128 * 1024, 65536  # glibc's defaults (mallopt(3))
_lock = threading.Lock()
_depth = 0


@cache
def _glibc() -> Any | None:
    """The C library when it is glibc with mallopt and malloc_trim, else None (looked up once)."""
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return None
    libc = ctypes.CDLL(None)
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def supported() -> bool:
    """Whether `freed_memory_kept` does anything here."""
    return _glibc() is not None


@contextmanager
def freed_memory_kept(enabled: bool = True) -> Iterator[bool]:
    """Keep freed memory for the next allocation while inside (nested uses share the outermost one); yields
    whether the setting is in force."""
    global _depth
    libc = _glibc() if enabled else None
    if libc is None:
        yield False
        return
    with _lock:
        _depth += 1
        applied = True
        if _depth == 1:
            applied = libc.mallopt(_M_MMAP_MAX, 0) == 1 and libc.mallopt(_M_TRIM_THRESHOLD, _KEEP) == 1
    try:
        yield applied
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                libc.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
                libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM)
                libc.malloc_trim(0)
