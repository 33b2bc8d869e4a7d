"""Strict and lax precision, recall and F1 of sentence alignments, as Vecalign's `score.py` defines them.

Precision is over the found beads (1-0 and 0-1 included): a bead is a strict hit if the gold has it exactly, a lax
hit if it shares a source sentence with a gold bead and one of that gold bead's target sentences. Recall is over the
gold beads without their 1-0 and 0-1 beads, against the found beads without theirs. Counts add up over documents
(micro-average).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol


class HasSides(Protocol):
    @property
    def src(self) -> tuple[int, ...]: ...
    @property
    def tgt(self) -> tuple[int, ...]: ...


Link = tuple[tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True)
class Counts:
    """Hits and misses: strict and lax, for precision (p_*) and recall (r_*)."""

    p_strict: int = 0
    p_strict_miss: int = 0
    p_lax: int = 0
    p_lax_miss: int = 0
    r_strict: int = 0
    r_strict_miss: int = 0
    r_lax: int = 0
    r_lax_miss: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(self.astuple(), other.astuple())))

    def astuple(self) -> tuple[int, ...]:
        return (self.p_strict, self.p_strict_miss, self.p_lax, self.p_lax_miss,
                self.r_strict, self.r_strict_miss, self.r_lax, self.r_lax_miss)

    def scores(self) -> dict[str, float]:
        """precision/recall/F1, strict and lax."""
        def div(a: int, b: int) -> float:
            return a / b if b else 0.0

        def f1(p: float, r: float) -> float:
            return 2 * p * r / (p + r) if p + r else 0.0

        ps, pl = div(self.p_strict, self.p_strict + self.p_strict_miss), div(self.p_lax, self.p_lax + self.p_lax_miss)
        rs, rl = div(self.r_strict, self.r_strict + self.r_strict_miss), div(self.r_lax, self.r_lax + self.r_lax_miss)
        return {"p_strict": ps, "r_strict": rs, "f1_strict": f1(ps, rs), "p_lax": pl, "r_lax": rl, "f1_lax": f1(pl, rl)}


def _links(beads: Iterable[HasSides]) -> set[Link]:
    return {(tuple(b.src), tuple(b.tgt)) for b in beads if b.src or b.tgt}


def _precision(gold: set[Link], found: set[Link]) -> tuple[int, int, int, int]:
    targets_of: dict[int, set[int]] = defaultdict(set)
    for g_src, g_tgt in gold:
        for i in g_src:
            targets_of[i].update(g_tgt)
    strict = lax = 0
    for f_src, f_tgt in found:
        if (f_src, f_tgt) in gold:
            strict += 1
            lax += 1
        elif set(f_tgt) & {j for i in f_src for j in targets_of[i]}:
            lax += 1
    return strict, len(found) - strict, lax, len(found) - lax


def count(gold: Sequence[HasSides], found: Sequence[HasSides]) -> Counts:
    """The hits and misses of one document."""
    g, f = _links(gold), _links(found)
    p = _precision(g, f)
    r = _precision({x for x in f if x[0] and x[1]}, {x for x in g if x[0] and x[1]})
    return Counts(*p, *r)


def strict_f1(gold: Sequence[HasSides], found: Sequence[HasSides]) -> tuple[float, float, float]:
    """Strict precision, recall and F1 of one document."""
    s = count(gold, found).scores()
    return s["p_strict"], s["r_strict"], s["f1_strict"]


def lax_f1(gold: Sequence[HasSides], found: Sequence[HasSides]) -> tuple[float, float, float]:
    """Lax precision, recall and F1 of one document."""
    s = count(gold, found).scores()
    return s["p_lax"], s["r_lax"], s["f1_lax"]
