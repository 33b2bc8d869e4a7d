"""Page faults of beam search's large tensors with and without
`mt.translate.allocator.freed_memory_kept` (Linux, glibc).

Each run is a fresh process that allocates and frees a 64 MB torch tensor ten times, first with glibc's defaults
(every block mapped afresh and faulted in: 10 x 16,384 pages of 4 KB), then inside `freed_memory_kept` (the freed
block is reused: about one block's worth), then frees a 256 MB block inside and reports how much of it goes back to
the system on leaving. The counts depend on the kernel and on how torch's allocations interleave (one run in a few
faults in a second or third block inside), which is why they are measured here and not asserted in the tests
(tests/test_backend_hf.py checks the mechanism with glibc's own counters).

    python benchmarks/allocator.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FAULTS = """
import resource
import torch
from mt.translate.allocator import freed_memory_kept

def faults(cycles=10):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(cycles):
        torch.ones(16 * 2**20).sum()  # 64 MB, freed at once
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20

plain = faults()
with freed_memory_kept() as applied:
    kept = faults()
    block = torch.ones(64 * 2**20)  # 256 MB, freed inside
    del block
    inside = rss_mb()
print(applied, plain, kept, inside - rss_mb())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="fresh processes (default: 10)")
    args = parser.parse_args()
    from mt.translate import allocator

    if not allocator.supported():
        print("freed_memory_kept does nothing here (not Linux with glibc)")
        return
    pages = 64 * 2**20 // resource.getpagesize()
    rows = []
    for _ in range(args.runs):
        out = subprocess.run([sys.executable, "-c", FAULTS], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.split()
        rows.append((int(out[1]), int(out[2]), float(out[3])))
    print(f"Page faults of ten 64 MB tensors ({pages} pages each), {args.runs} fresh processes:")
    for name, k in (("glibc defaults", 0), ("freed_memory_kept", 1)):
        values = [r[k] for r in rows]
        print(f"  {name:18s} median {statistics.median(values):>9,.0f}  min {min(values):>9,}  max {max(values):>9,}"
              f"  ({statistics.median(values) / pages:.1f} blocks)")
    print(f"  256 MB freed inside, handed back on leaving: median {statistics.median(r[2] for r in rows):.0f} MB")
    print("  per run (defaults, kept, MB back):", "; ".join(f"{p}, {k}, {m:.0f}" for p, k, m in rows))


if __name__ == "__main__":
    main()
