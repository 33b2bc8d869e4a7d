"""glibc's malloc seen through its own counters (`mallinfo2`, glibc 2.33+), for the allocator tests: light enough
for a fresh process (no torch)."""

from __future__ import annotations

import ctypes
from typing import Any

from mt.translate import allocator

BLOCK = 64 * 2**20  # beyond glibc's largest mmap threshold (32 MB): mapped on its own unless mmap is off


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                       "fsmblks", "uordblks", "fordblks", "keepcost")]


def glibc() -> Any | None:
    """The C library with malloc, free and mallinfo2 typed, or None where it is not glibc 2.33+."""
    libc = allocator._glibc()
    if libc is None or not hasattr(libc, "mallinfo2"):
        return None
    libc.mallinfo2.restype = MallInfo2
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    return libc


def mapped_for_block(libc: Any) -> int:
    """How many mmap-ed chunks glibc adds (its count `hblks`) to serve one 64 MB malloc: 1 with its defaults, 0
    while freed memory is kept (the block comes from the heap, where a freed one is reused)."""
    before = libc.mallinfo2().hblks
    block = libc.malloc(BLOCK)
    mapped = int(libc.mallinfo2().hblks - before)
    libc.free(block)
    return mapped


def resident_mb() -> float:
    import resource

    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def keep_and_hand_back() -> dict[str, Any]:
    """What `freed_memory_kept` does to a 64 MB block before, inside and after it (run in a fresh process)."""
    libc = glibc()
    out: dict[str, Any] = {"before": mapped_for_block(libc)}
    with allocator.freed_memory_kept() as applied:
        out["applied"], out["inside"] = applied, mapped_for_block(libc)
        block = libc.malloc(BLOCK)
        ctypes.memset(block, 1, BLOCK)  # resident
        libc.free(block)
        out["free_in_heap_mb"] = libc.mallinfo2().fordblks / 2**20
        inside = resident_mb()
    out["handed_back_mb"] = inside - resident_mb()
    out["after"] = mapped_for_block(libc)
    return out
