"""A small synthetic gold set for sentence alignment, made from the seed article and its reference translation by
merging, splitting, dropping and adding sentences, and the aligner's strict/lax F1 on it next to a
Gale–Church (length-only) baseline. A regression test, not the headline figure: that is Text+Berg
(benchmarks/textberg.py), real documents with their own gold.

No real MT model can be downloaded here, so the "machine translation" of the source is simulated: the
reference sentence with every third word dropped and neighbouring words swapped (chrF to the reference
about 60, like a mediocre system).

Run: .venv/bin/python benchmarks/alignment.py
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.textberg import gale_church
from mt.align import Bead, align
from mt.align_score import lax_f1, strict_f1

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "seed"
Case = tuple[str, list[str], list[str], list[str], list[Bead]]  # name, source, target, translation, gold


def noisy(sentence: str) -> str:
    words = [w for k, w in enumerate(sentence.split()) if k % 3 != 2]
    for k in range(0, len(words) - 1, 4):
        words[k], words[k + 1] = words[k + 1], words[k]
    return " ".join(words).lower()


def split_at_commas(sentence: str, parts: int) -> list[str]:
    pieces = [p.strip() for p in sentence.split(", ")]
    size = -(-len(pieces) // parts)
    return [", ".join(pieces[k : k + size]) for k in range(0, len(pieces), size)]


def cases(ar: list[str], en: list[str]) -> list[Case]:
    mt = [noisy(s) for s in en]
    n = len(ar)
    out: list[Case] = [("identity", ar, en, mt, [Bead((k,), (k,), 0) for k in range(n)])]

    # two English sentences merged into one (2-1) twice
    tgt = [en[0] + " " + en[1], *en[2:6], en[6] + " " + en[7], *en[8:]]
    gold = [Bead((0, 1), (0,), 0)] + [Bead((k,), (k - 1,), 0) for k in range(2, 6)]
    gold += [Bead((6, 7), (5,), 0)] + [Bead((k,), (k - 2,), 0) for k in range(8, n)]
    out.append(("merge", ar, tgt, mt, gold))

    # the long sentence 5 split in two (1-2) and in five (1-5, literary style)
    for parts in (2, 5):
        pieces = split_at_commas(en[5], parts)
        tgt = [*en[:5], *pieces, *en[6:]]
        gold = [Bead((k,), (k,), 0) for k in range(5)] + [Bead((5,), tuple(range(5, 5 + len(pieces))), 0)]
        gold += [Bead((k,), (k + len(pieces) - 1,), 0) for k in range(6, n)]
        out.append((f"split-1-{len(pieces)}", ar, tgt, mt, gold))

    # an English sentence dropped (1-0) and one added (0-1)
    tgt = [*en[:3], *en[4:9], "This article has been updated with the ministry's statement.", *en[9:]]
    gold = [Bead((k,), (k,), 0) for k in range(3)] + [Bead((3,), (), 0)]
    gold += [Bead((k,), (k - 1,), 0) for k in range(4, 9)] + [Bead((), (8,), 0)]
    gold += [Bead((k,), (k,), 0) for k in range(9, n)]
    out.append(("drop-add", ar, tgt, mt, gold))

    # all at once: a merge, a split, a drop
    pieces = split_at_commas(en[5], 3)
    tgt = [en[0] + " " + en[1], en[2], *en[4:5], *pieces, *en[6:11]]
    gold = [Bead((0, 1), (0,), 0), Bead((2,), (1,), 0), Bead((3,), (), 0), Bead((4,), (2,), 0),
            Bead((5,), tuple(range(3, 3 + len(pieces))), 0)]
    gold += [Bead((k,), (k - 3 + len(pieces),), 0) for k in range(6, 11)] + [Bead((11,), (), 0)]
    out.append(("mixed", ar, tgt, mt, gold))
    return out


HEADLINE = "Moscow: Lavrov has no plans to meet the Syrian opposition"


def partial_cases(ar: list[str], en: list[str]) -> list[Case]:
    """Partial documents (issue 22), the machine translation being the English reference itself: runs of
    sentences with no counterpart at the start, at the end and in the middle of either side, and a headline."""
    n = len(ar)
    one = [Bead((i,), (i,), 0) for i in range(n)]
    return [
        ("English without its first 6", ar, en[6:], en,
         [Bead((i,), (), 0) for i in range(6)] + [Bead((i,), (i - 6,), 0) for i in range(6, n)]),
        ("English without its last 3", ar, en[:-3], en, one[:-3] + [Bead((i,), (), 0) for i in range(n - 3, n)]),
        ("English without sentences 5-6", ar, en[:4] + en[6:], en,
         one[:4] + [Bead((4,), (), 0), Bead((5,), (), 0)] + [Bead((i,), (i - 2,), 0) for i in range(6, n)]),
        ("a headline on top of the English", ar, [HEADLINE, *en], en,
         [Bead((), (0,), 0)] + [Bead((i,), (i + 1,), 0) for i in range(n)]),
        ("Arabic without its first 3", ar[3:], en, en[3:],
         [Bead((), (j,), 0) for j in range(3)] + [Bead((i,), (i + 3,), 0) for i in range(n - 3)]),
        ("Arabic without sentences 7-8", ar[:6] + ar[8:], en, en[:6] + en[8:],
         one[:6] + [Bead((), (6,), 0), Bead((), (7,), 0)] + [Bead((i,), (i + 2,), 0) for i in range(6, n - 2)]),
    ]


def report_partial(ar: list[str], en: list[str]) -> None:
    print("\nPartial documents (MT = the English reference; then with the noisy MT above as a harder variant):\n")
    print("| case | MT | beads exactly right | wrong beads scored >= 0.9 | scores of the beads with no counterpart |")
    print("|---|---|---|---|---|")
    for label, noisy_mt in (("reference", False), ("noisy", True)):
        for name, src, tgt, mt, gold in partial_cases(ar, en):
            if noisy_mt:
                mt = [noisy(x) for x in mt]
            found = align(src, tgt, mt)
            expected = {(b.src, b.tgt) for b in gold}
            exact = [(b.src, b.tgt) for b in found] == [(b.src, b.tgt) for b in gold]
            wrong = sum(1 for b in found if (b.src, b.tgt) not in expected and b.score >= 0.9)
            alone = ", ".join(f"{b.score:.2f}" for b in found if not b.src or not b.tgt)
            print(f"| {name} | {label} | {'all' if exact else 'NO'} | {wrong} | {alone} |")


def load_seed() -> tuple[list[str], list[str]] | None:
    if not SHARED.exists():
        return None
    ar = (SHARED / "article-000.sentences.ar.txt").read_text(encoding="utf-8").splitlines()
    en = (SHARED / "article-000.en.txt").read_text(encoding="utf-8").splitlines()
    return ar, en


def evaluate() -> dict[str, dict[str, tuple[float, float]]]:
    seed = load_seed()
    if seed is None:
        raise SystemExit("../shared/data/seed is not present")
    results: dict[str, dict[str, tuple[float, float]]] = {}
    for name, src, tgt, mt, gold in cases(*seed):
        row = {}
        for system, aligner in (("mt.align", align), ("gale-church", gale_church)):
            found = aligner(src, tgt, mt)
            row[system] = (strict_f1(gold, found)[2], lax_f1(gold, found)[2])
        results[name] = row
    return results


def main() -> None:
    results = evaluate()
    print("Synthetic regression cases (the seed article merged, split, dropped; not the headline figure):\n")
    print("| case | mt.align strict F1 | mt.align lax F1 | Gale-Church strict F1 | Gale-Church lax F1 |")
    print("|---|---|---|---|---|")
    totals = {"mt.align": [0.0, 0.0], "gale-church": [0.0, 0.0]}
    for name, row in results.items():
        print(f"| {name} | {row['mt.align'][0]:.3f} | {row['mt.align'][1]:.3f} | "
              f"{row['gale-church'][0]:.3f} | {row['gale-church'][1]:.3f} |")
        for system in totals:
            totals[system][0] += row[system][0] / len(results)
            totals[system][1] += row[system][1] / len(results)
    print(f"| mean | {totals['mt.align'][0]:.3f} | {totals['mt.align'][1]:.3f} | "
          f"{totals['gale-church'][0]:.3f} | {totals['gale-church'][1]:.3f} |")
    seed = load_seed()
    if seed is not None:
        report_partial(*seed)


if __name__ == "__main__":
    main()
