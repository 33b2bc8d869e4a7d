"""Sentence alignment on Text+Berg (German→French, hand-aligned; the standard test of Bleualign and Vecalign).

Prints, for `mt.align`, the previous aligner (`mt/align.py` at commit 36ecdc8, loaded from git history) and a
Gale–Church length-only baseline: strict and lax precision/recall/F1 (Vecalign's definitions, `mt.align_score`) per
document and micro-averaged over the 7 test documents, with seconds; whether the coarse-to-fine search finds the
same beads as the full search on every document, and on the dev document repeated ten times; the time to align a
5,000 × 5,000 sentence document (Text+Berg repeated; the aligner runs on one core: numpy element-wise operations, no
BLAS); and the calibration of the beads' confidence on the dev document (and on the test ones). The aligner's
constants were chosen on dev-1957 and MAC's dev chapters (benchmarks/mac.py) together.

Data: `--data DIR` or `MT_ALIGN_DEV`, default `../shared/data/align-dev` beside the checkout; it is read, never
copied. Run: .venv/bin/python benchmarks/textberg.py [--data DIR] [--skip-long]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from mt.align import AlignWeights, Bead, align, parse_ladder
from mt.align_score import Counts, count

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "align-dev"
PREVIOUS = "36ecdc8"  # the last commit with the chrF + Gale–Church aligner
DEV, TESTS = "dev-1957", [f"test-1989-{k}" for k in range(7)]
Doc = tuple[list[str], list[str], list[str], list[Bead]]  # source, target, translation, gold
Aligner = Callable[[list[str], list[str], list[str]], Sequence[Bead]]


def lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    out = text.split("\n")
    return out[:-1] if text.endswith("\n") else out


def load(data: Path) -> dict[str, Doc]:
    base = data / "textberg"
    return {name: (lines(base / name / "src.txt"), lines(base / name / "tgt.txt"), lines(base / name / "mt.txt"),
                   parse_ladder((base / name / "gold.txt").read_text(encoding="utf-8")))
            for name in [DEV, *TESTS]}


def previous_aligner() -> Aligner | None:
    """`align` from mt/align.py as it was at commit PREVIOUS, or None without git history."""
    try:
        code = subprocess.run(["git", "show", f"{PREVIOUS}:mt/align.py"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType("mt_align_previous")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(code, f"{PREVIOUS}:mt/align.py", "exec"), module.__dict__)
    return module.align  # type: ignore[no-any-return]


GC_PRIORS = {(1, 1): 0.89, (1, 0): 0.0099 / 2, (0, 1): 0.0099 / 2, (2, 1): 0.089 / 2, (1, 2): 0.089 / 2,
             (2, 2): 0.011}


def gale_church(source: list[str], target: list[str], _translation: list[str]) -> list[Bead]:
    """Gale and Church (1993) on character lengths, with the document's own length ratio: the classic baseline."""
    ls = [len("".join(s.split())) for s in source]
    lt = [len("".join(s.split())) for s in target]
    ratio = max(sum(lt), 1) / max(sum(ls), 1)

    def cost(a: int, b: int, shape: tuple[int, int]) -> float:
        if a + b == 0:
            delta = 0.0
        else:
            delta = (b - a * ratio) / math.sqrt(max((a + b / ratio) / 2, 1.0) * 6.8)
        p = max(2 * (1 - 0.5 * (1 + math.erf(abs(delta) / math.sqrt(2)))), 1e-12)
        return -math.log(GC_PRIORS[shape]) - math.log(p)

    n, m = len(ls), len(lt)
    best = {(0, 0): (0.0, (0, 0))}
    for i in range(n + 1):
        for j in range(m + 1):
            if (i, j) == (0, 0):
                continue
            choice = (math.inf, (0, 0))
            for (di, dj) in GC_PRIORS:
                prev = best.get((i - di, j - dj))
                if prev is not None:
                    c = prev[0] + cost(sum(ls[i - di : i]), sum(lt[j - dj : j]), (di, dj))
                    if c < choice[0]:
                        choice = (c, (di, dj))
            best[(i, j)] = choice
    beads, i, j = [], n, m
    while (i, j) != (0, 0):
        di, dj = best[(i, j)][1]
        beads.append(Bead(tuple(range(i - di, i)), tuple(range(j - dj, j)), 0.0))
        i, j = i - di, j - dj
    return beads[::-1]


def run(aligner: Aligner, docs: dict[str, Doc]) -> dict[str, tuple[Counts, float, Sequence[Bead]]]:
    out = {}
    for name, (src, tgt, mt, gold) in docs.items():
        clock = time.perf_counter()
        found = aligner(src, tgt, mt)
        out[name] = (count(gold, found), time.perf_counter() - clock, found)
    return out


def row(label: str, counts: Counts, seconds: float) -> str:
    s = counts.scores()
    return (f"| {label} | {s['p_strict']:.3f} | {s['r_strict']:.3f} | **{s['f1_strict']:.3f}** | {s['p_lax']:.3f} | "
            f"{s['r_lax']:.3f} | {s['f1_lax']:.3f} | {seconds:.1f} |")


def calibration(results: dict[str, tuple[Counts, float, Sequence[Bead]]], docs: dict[str, Doc],
                names: list[str]) -> list[str]:
    bins = [(0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 0.99), (0.99, 1.01)]
    hits = [[0, 0] for _ in bins]
    high = [0, 0]
    for name in names:
        gold = {(b.src, b.tgt) for b in docs[name][3]}
        for bead in results[name][2]:
            ok = (bead.src, bead.tgt) in gold
            for k, (lo, hi) in enumerate(bins):
                if lo <= bead.score < hi:
                    hits[k][0] += ok
                    hits[k][1] += 1
            if bead.score >= 0.9:
                high[0] += ok
                high[1] += 1
    out = ["| confidence | beads | share correct (strict) | mean confidence |", "|---|---|---|---|"]
    for (lo, hi), (ok, total) in zip(bins, hits):
        scores = [b.score for n in names for b in results[n][2] if lo <= b.score < hi]
        mean = sum(scores) / len(scores) if scores else 0.0
        share = f"{ok / total:.3f}" if total else "-"
        out.append(f"| [{lo:.2f}, {min(hi, 1.0):.2f}{']' if hi > 1 else ')'} | {total} | {share} | {mean:.3f} |")
    all_beads = sum(len(results[n][2]) for n in names)
    out.append(f"\nbeads scored >= 0.9: {high[1]} of {all_beads}, of which {high[0] / max(high[1], 1):.3f} correct")
    return out


def long_document(docs: dict[str, Doc], size: int) -> dict[str, float]:
    """Text+Berg's 8 documents one after another, repeated, cut to `size` sentences a side (with `size` 0: 8
    copies whole, 11,672 × 12,520), aligned by mt.align: CPU seconds, wall seconds, peak resident memory (GB) of
    this process."""
    src: list[str] = []
    tgt: list[str] = []
    mt: list[str] = []
    while (size and (len(src) < size or len(tgt) < size)) or (not size and len(src) < 8 * 1459):
        for s, t, m, _ in docs.values():
            src += s
            tgt += t
            mt += m
    if size:
        src, tgt, mt = src[:size], tgt[:size], mt[:size]
    cpu, wall = time.process_time(), time.perf_counter()
    beads = align(src, tgt, mt)
    return {"src": len(src), "tgt": len(tgt), "beads": len(beads), "cpu": time.process_time() - cpu,
            "wall": time.perf_counter() - wall, "rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6}


def long_documents(data: Path, sizes: Sequence[int] = (5000, 0, 50000)) -> list[str]:
    """`long_document` for each size, each in a fresh process (so that its peak memory is its own)."""
    out = []
    for size in sizes:
        run = subprocess.run([sys.executable, __file__, "--data", str(data), "--long-run", str(size)], cwd=ROOT,
                             capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        if run.returncode:
            out.append(f"long document ({size or 'Text+Berg x 8'}): failed: {run.stderr.strip()[-300:]}")
            continue
        r = json.loads(run.stdout.strip().splitlines()[-1])
        out.append(f"| {r['src']:,} x {r['tgt']:,} | {r['cpu']:.1f} | {r['wall']:.1f} | {r['rss_gb']:.2f} | "
                   f"{r['beads']:,} |")
    return ["| sentences (source x target) | CPU s | wall s | peak RSS GB | beads |", "|---|---|---|---|---|", *out]


def repeated_document(doc: Doc, one: Sequence[Bead], copies: int = 10) -> str:
    """One document repeated `copies` times and searched coarse to fine, against `one`, the full search's beads
    of one copy, shifted: with the default constants (its blocks are searched whole) and with `coarse_cells` lowered to
    50,000, so that the blocks are themselves aligned on blocks of blocks first."""
    src, tgt, mt, _ = doc
    expected = [(tuple(i + len(src) * c for i in b.src), tuple(j + len(tgt) * c for j in b.tgt))
                for c in range(copies) for b in one]
    lines = []
    for weights, what in ((AlignWeights(), "one coarse level"),
                          (replace(AlignWeights(), coarse_cells=50_000), "two coarse levels")):
        clock = time.perf_counter()
        found = [(b.src, b.tgt) for b in align(src * copies, tgt * copies, mt * copies, weights, search_mode="fast")]
        differ = len(set(found) ^ set(expected))
        lines.append(f"{what}: {'the same beads' if not differ else f'{differ} beads differ'} "
                     f"({time.perf_counter() - clock:.1f} s)")
    return f"{DEV} x {copies} ({len(src) * copies:,} x {len(tgt) * copies:,}), coarse to fine vs the full search of " \
           f"one copy: " + "; ".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("MT_ALIGN_DEV", str(DEFAULT_DATA)),
                        help="the align-dev folder (holding textberg/); default $MT_ALIGN_DEV, else "
                             "../shared/data/align-dev")
    parser.add_argument("--skip-long", action="store_true", help="skip the long-document timings")
    parser.add_argument("--long-run", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    data = Path(args.data)
    if args.long_run is not None:
        print(json.dumps(long_document(load(data), args.long_run)))
        return 0
    if not (data / "textberg" / DEV).is_dir():
        print(f"Text+Berg not found under {data}: pass --data DIR or set MT_ALIGN_DEV to a folder holding "
              "textberg/ (the evaluation folder of github.com/rsennrich/Bleualign, GPL-2.0; see "
              "../shared/data/align-dev/README.md)")
        return 0
    docs = load(data)
    systems: dict[str, Aligner] = {"mt.align": align}
    previous = previous_aligner()
    if previous is not None:
        systems[f"previous ({PREVIOUS})"] = previous
    else:
        print(f"(the previous aligner needs git history with commit {PREVIOUS}; not shown)")
    systems["Gale-Church"] = gale_church
    results = {name: run(aligner, docs) for name, aligner in systems.items()}

    print("## Text+Berg sentence alignment (strict/lax as in Vecalign's score.py; constants chosen on dev-1957 and "
          "MAC dev)\n")
    print("| system / document | P strict | R strict | F1 strict | P lax | R lax | F1 lax | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for name, res in results.items():
        for doc in [DEV, *TESTS]:
            print(row(f"{name} / {doc}", res[doc][0], res[doc][1]))
        total = sum((res[d][0] for d in TESTS), Counts())
        print(row(f"**{name} / test micro (7 documents)**", total, sum(res[d][1] for d in TESTS)))
    print("\nPublished on the same test documents (strict F1): Bleualign 0.809, Vecalign with LASER 0.902.\n")

    same, fulls, clock = [], {}, time.perf_counter()
    for doc, (src, tgt, mt, _) in docs.items():
        full = fulls[doc] = align(src, tgt, mt, search_mode="full")
        fast = align(src, tgt, mt, search_mode="fast")
        agree = [(b.src, b.tgt) for b in full] == [(b.src, b.tgt) for b in fast]
        same.append(f"{doc} {'same' if agree else 'DIFFERENT'}")
    print(f"coarse-to-fine vs full search, beads per document ({time.perf_counter() - clock:.1f} s): "
          f"{', '.join(same)}")
    if not args.skip_long:
        print(repeated_document(docs[DEV], fulls[DEV]))
        print("\n## Long documents (Text+Berg repeated; one core; goals: 11,672 x 12,520 in < 30 s and < 1 GB, "
              "50,000 x 50,000 in < 3 minutes)\n")
        print("\n".join(long_documents(data)))

    print("\n## Confidence calibration of mt.align's beads (posterior probability), dev-1957\n")
    print("\n".join(calibration(results["mt.align"], docs, [DEV])))
    print("\n## The same on the 7 test documents\n")
    print("\n".join(calibration(results["mt.align"], docs, TESTS)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
