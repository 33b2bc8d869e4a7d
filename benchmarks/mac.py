"""Sentence alignment on MAC (Chinese→English literary translation, hand-aligned; Bertalign's MAC-Test).

Prints, for `mt.align` and beside the published alignments of Gale–Church, Hunalign, Bleualign, Vecalign (LASER)
and Bertalign (LaBSE) scored by the same code (Vecalign's strict/lax definitions, `mt.align_score`): strict F1 per
chapter and micro-averaged strict P/R/F1 over the dev chapters (1–2 of each novel; the aligner's constants were
chosen on them and on Text+Berg's dev document) and over the test chapters (3–4); and the calibration of
`mt.align`'s confidences (of the beads scored ≥ 0.9, the share exactly right). Zh→en exercises the same code as
ar→en: the English MT of the source against the English target, the source read for its numbers, quotations and
lengths only.

Data: `--mac DIR` or `MT_ALIGN_MAC` (a folder holding dev/, test/ and peers/ as written by
../shared/data/align-dev/mac/extract.py); it is read, never copied.
Run: .venv/bin/python benchmarks/mac.py [--mac DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.textberg import Doc, lines
from mt.align import Bead, align, parse_ladder
from mt.align_score import Counts, count

PEERS = {"galechurch": "Gale-Church", "hunalign": "Hunalign", "bleualign": "Bleualign", "vecalign": "Vecalign (LASER)",
         "mbert": "Bertalign (LaBSE)"}
HOW = ("MAC not found: pass --mac DIR or set MT_ALIGN_MAC to a folder holding dev/, test/ and peers/. To make it, "
       "fetch github.com/bfsujason/bertalign and run `python3 ../shared/data/align-dev/mac/extract.py MIRROR DIR` "
       "(see ../shared/data/align-dev/mac/README.md; book excerpts: never copy them into the repository)")


def load(base: Path, part: str) -> dict[str, Doc]:
    return {d.name: (lines(d / "src.txt"), lines(d / "tgt.txt"), lines(d / "mt.txt"),
                     parse_ladder((d / "gold.txt").read_text(encoding="utf-8")))
            for d in sorted((base / part).iterdir()) if d.is_dir()}


def calibration(found: dict[str, Sequence[Bead]], docs: dict[str, Doc]) -> str:
    right = total = 0
    for name, beads in found.items():
        gold = {(b.src, b.tgt) for b in docs[name][3]}
        for b in beads:
            if b.score >= 0.9:
                total += 1
                right += (b.src, b.tgt) in gold
    beads = sum(len(b) for b in found.values())
    return f"beads scored >= 0.9: {total} of {beads}, of which {right / max(total, 1):.3f} exactly right"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mac", default=os.environ.get("MT_ALIGN_MAC", ""),
                        help="the MAC folder (dev/, test/, peers/); default $MT_ALIGN_MAC")
    args = parser.parse_args(argv)
    base = Path(args.mac) if args.mac else None
    if base is None or not (base / "dev").is_dir():
        print(HOW)
        return 0
    for part, what in (("dev", "dev chapters (constants chosen on them)"),
                       ("test", "test chapters (not used to choose constants)")):
        docs = load(base, part)
        names = list(docs)
        found: dict[str, Sequence[Bead]] = {}
        seconds = 0.0
        for name, (src, tgt, mt, _gold) in docs.items():
            clock = time.process_time()
            found[name] = align(src, tgt, mt)
            seconds += time.process_time() - clock
        systems = {"mt.align": found}
        for key, label in PEERS.items():
            peer = base / "peers" / key
            if peer.is_dir():
                systems[label] = {n: parse_ladder((peer / f"{n}.align").read_text(encoding="utf-8")) for n in names}
        print(f"## MAC {what}: strict F1 per chapter, micro strict P / R / F1\n")
        print("| system | " + " | ".join(n.removeprefix("mac-") for n in names) + " | micro P / R / **F1** |")
        print("|---|" + "---|" * (len(names) + 1))
        for label, beads in systems.items():
            per = [count(docs[n][3], beads[n]) for n in names]
            total = sum(per, Counts()).scores()
            print(f"| {label} | " + " | ".join(f"{c.scores()['f1_strict']:.2f}" for c in per)
                  + f" | {total['p_strict']:.3f} / {total['r_strict']:.3f} / **{total['f1_strict']:.3f}** |")
        print(f"\nmt.align: {seconds:.1f} s CPU for {len(names)} chapters; {calibration(found, docs)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
