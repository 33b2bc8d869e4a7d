"""Sentence alignment of an Arabic document with an English version of it.

Beads of n source to m target sentences are found by dynamic programming in a band around the diagonal.
A bead's cost combines chrF (sacrebleu's character n-grams and F-score) between the machine translation of
its source sentences and its target sentences (the Bleualign idea), a Gale–Church length prior, and number
anchors (Arabic-Indic digits normalised). Pure Python: no torch.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from sacrebleu.metrics import CHRF
from sacrebleu.metrics.helpers import extract_all_char_ngrams

# (n source, m target) bead shapes; the long 1-to-many ones cover literary translation.
BEAD_TYPES: tuple[tuple[int, int], ...] = (
    (1, 1), (1, 0), (0, 1), (1, 2), (2, 1), (2, 2), (1, 3), (3, 1),
    (1, 4), (1, 5), (1, 6), (1, 7), (1, 8),
)
SKIP_COST = 0.55  # a 1-0 or 0-1 bead: cheaper than a 1-1 pair with chrF below ~45
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NUMBER = re.compile(r"\d+(?:[.,٫]\d+)*")
_CHRF = CHRF()
MAX_LENGTH_COST = 12.0  # a many-sentence bead whose lengths are this unlikely is not scored at all


@dataclass(frozen=True, slots=True)
class Bead:
    """Source and target sentence indices aligned together (either side may be empty), and a score in [0, 1]."""

    src: tuple[int, ...]
    tgt: tuple[int, ...]
    score: float

    def ladder(self) -> str:
        """Vecalign's text form: `[0, 1]:[2]:0.8312`."""
        return f"[{', '.join(map(str, self.src))}]:[{', '.join(map(str, self.tgt))}]:{self.score:.4f}"


def numbers(text: str) -> frozenset[str]:
    """The numbers in a text, with Arabic-Indic digits and decimal separators normalised."""
    text = text.translate(_DIGITS)
    return frozenset(m.group().replace("٫", ".").replace(",", "") for m in _NUMBER.finditer(text))


class _Side:
    """Per-sentence features of one side, combined over a span of sentences on demand."""

    def __init__(self, sentences: Sequence[str]) -> None:
        self.ngrams = [extract_all_char_ngrams(s, _CHRF.char_order) for s in sentences]
        self.lengths = [len("".join(s.split())) for s in sentences]
        self.numbers = [numbers(s) for s in sentences]

    @cache  # noqa: B019  (one _Side per alignment call)
    def span_ngrams(self, i: int, n: int) -> tuple[Counter[str], ...]:
        if n == 1:
            return tuple(self.ngrams[i])
        total: list[Counter[str]] = [Counter() for _ in range(_CHRF.char_order)]
        for k in range(i, i + n):
            for order, counter in enumerate(self.ngrams[k]):
                total[order].update(counter)
        return tuple(total)

    def span_length(self, i: int, n: int) -> int:
        return sum(self.lengths[i : i + n])

    def span_numbers(self, i: int, n: int) -> frozenset[str]:
        return frozenset().union(*self.numbers[i : i + n])


def chrf(hyp: Sequence[Counter[str]], ref: Sequence[Counter[str]]) -> float:
    """sacrebleu's sentence chrF (0-100) from character n-gram counters."""
    stats: list[int] = []
    for h, r in zip(hyp, ref):
        matched = sum(min(h[g], r[g]) for g in h.keys() & r.keys())
        stats += [h.total(), r.total(), matched]
    return float(_CHRF._compute_f_score(stats))


def gale_church(src_len: int, tgt_len: int, ratio: float, variance: float = 6.8) -> float:
    """-log P(length match) under Gale and Church's model, for `ratio` target chars per source char."""
    if src_len + tgt_len == 0:
        return 0.0
    mean = (src_len + tgt_len / ratio) / 2
    delta = (tgt_len - src_len * ratio) / math.sqrt(max(mean, 1.0) * variance)
    p = 2 * (1 - 0.5 * (1 + math.erf(abs(delta) / math.sqrt(2))))
    return -math.log(max(p, 1e-12))


@dataclass(frozen=True)
class AlignWeights:
    similarity: float = 1.0
    length: float = 0.06
    numbers: float = 0.3
    skip: float = SKIP_COST
    many: float = 0.25  # extra cost per sentence beyond 1-1, so merges need evidence


COARSE_BEADS: tuple[tuple[int, int], ...] = ((1, 1), (1, 0), (0, 1))
FINE_WIDTH = 4  # the fine search's band: this many sentences either side of the coarse path
_WORD = re.compile(r"\w{3,}")


def align(source: Sequence[str], target: Sequence[str], translation: Sequence[str],
          band: int | None = None, weights: AlignWeights = AlignWeights(),
          use_similarity: bool = True) -> list[Bead]:
    """Align `source` sentences to `target` sentences, given `translation` (line-aligned with `source`).

    With `use_similarity=False` only lengths (and numbers) count: the Gale–Church baseline. Without a `band`,
    a long document is searched twice: a cheap coarse pass (word overlap and lengths, simple beads) in a wide
    band around the diagonal, then the full cost in a narrow band around the coarse path.
    """
    if len(translation) != len(source):
        raise ValueError(f"the translation has {len(translation)} lines for {len(source)} source sentences")
    n_src, n_tgt = len(source), len(target)
    mt, tgt = _Side(translation), _Side(target)
    src_lengths = [len("".join(s.split())) for s in source]
    ratio = max(sum(tgt.lengths), 1) / max(sum(src_lengths), 1)
    src_numbers = [numbers(s) for s in source]
    inf = float("inf")
    width = band if band is not None else max(10, abs(n_src - n_tgt) + 8)

    def diagonal(i: int, j: int) -> bool:
        expected = i * n_tgt / n_src if n_src else 0
        return abs(j - expected) <= width

    def cost(i: int, j: int, n: int, m: int) -> tuple[float, float]:
        if n == 0 or m == 0:
            return weights.skip, 0.0
        length = gale_church(sum(src_lengths[i : i + n]), tgt.span_length(j, m), ratio)
        if n + m > 2 and length > MAX_LENGTH_COST:
            return inf, 0.0  # lengths rule this merge out; skip the similarity
        sim = chrf(mt.span_ngrams(i, n), tgt.span_ngrams(j, m)) / 100 if use_similarity else 0.0
        src_num = frozenset().union(*src_numbers[i : i + n])
        tgt_num = tgt.span_numbers(j, m)
        num = len(src_num ^ tgt_num) / len(src_num | tgt_num) if src_num | tgt_num else 0.0
        c = (weights.similarity * (1 - sim) + weights.length * length + weights.numbers * num) * (n + m) / 2
        return c + weights.many * (n + m - 2), sim

    in_band: Callable[[int, int], bool] = diagonal
    if band is None and width > 2 * FINE_WIDTH and use_similarity:
        src_words = [frozenset(_WORD.findall(t.lower())) for t in translation]
        tgt_words = [frozenset(_WORD.findall(t.lower())) for t in target]

        def coarse_cost(i: int, j: int, n: int, m: int) -> tuple[float, float]:
            if n == 0 or m == 0:
                return weights.skip, 0.0
            a = frozenset().union(*src_words[i : i + n])
            b = frozenset().union(*tgt_words[j : j + m])
            sim = 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0
            length = gale_church(sum(src_lengths[i : i + n]), tgt.span_length(j, m), ratio)
            c = ((1 - sim) + weights.length * length) * (n + m) / 2
            return c + weights.many * (n + m - 2), sim

        path = _search(n_src, n_tgt, diagonal, COARSE_BEADS, coarse_cost)
        in_band = _corridor(path, n_src, FINE_WIDTH)
    return _search(n_src, n_tgt, in_band, BEAD_TYPES, cost)


def _corridor(path: list[Bead], n_src: int, width: int) -> Callable[[int, int], bool]:
    """A band `width` sentences either side of the cells a path passes through."""
    lo, hi = [math.inf] * (n_src + 1), [-math.inf] * (n_src + 1)
    i = j = 0
    for bead in path:
        i2, j2 = i + len(bead.src), j + len(bead.tgt)
        for k in range(i, i2 + 1):
            lo[k], hi[k] = min(lo[k], j), max(hi[k], j2)
        i, j = i2, j2

    def inside(a: int, b: int) -> bool:
        return lo[a] - width <= b <= hi[a] + width

    return inside


def _search(n_src: int, n_tgt: int, in_band: Callable[[int, int], bool], bead_types: Sequence[tuple[int, int]],
            cost: Callable[[int, int, int, int], tuple[float, float]]) -> list[Bead]:
    inf = float("inf")
    best: dict[tuple[int, int], tuple[float, tuple[int, int], float]] = {(0, 0): (0.0, (0, 0), 0.0)}
    for i in range(n_src + 1):
        for j in range(n_tgt + 1):
            if (i, j) == (0, 0) or not in_band(i, j):
                continue
            choice = (inf, (0, 0), 0.0)
            for n, m in bead_types:
                prev = best.get((i - n, j - m))
                if prev is None or prev[0] == inf:
                    continue
                c, sim = cost(i - n, j - m, n, m)
                if prev[0] + c < choice[0]:
                    choice = (prev[0] + c, (n, m), sim)
            if choice[0] < inf:
                best[(i, j)] = choice
    if (n_src, n_tgt) not in best:
        raise ValueError("no alignment within the band; pass a wider band")
    beads: list[Bead] = []
    i, j = n_src, n_tgt
    while (i, j) != (0, 0):
        _, (n, m), sim = best[(i, j)]
        beads.append(Bead(tuple(range(i - n, i)), tuple(range(j - m, j)), round(sim, 4)))
        i, j = i - n, j - m
    return beads[::-1]


def links(beads: Sequence[Bead]) -> set[tuple[tuple[int, ...], tuple[int, ...]]]:
    return {(b.src, b.tgt) for b in beads}


def strict_f1(gold: Sequence[Bead], found: Sequence[Bead]) -> tuple[float, float, float]:
    """Precision, recall and F1 over whole beads (deletions and insertions included), as in Vecalign."""
    g, f = links(gold), links(found)
    tp = len(g & f)
    p = tp / len(f) if f else 0.0
    r = tp / len(g) if g else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def lax_f1(gold: Sequence[Bead], found: Sequence[Bead]) -> tuple[float, float, float]:
    """Precision, recall and F1 where a found bead counts if it overlaps a gold bead on both sides."""

    def hits(a: Sequence[Bead], b: Sequence[Bead]) -> int:
        return sum(any(set(x.src) & set(y.src) and set(x.tgt) & set(y.tgt) or (x.src, x.tgt) == (y.src, y.tgt)
                       for y in b) for x in a)

    p = hits(found, gold) / len(found) if found else 0.0
    r = hits(gold, found) / len(gold) if gold else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def parse_ladder(text: str) -> list[Bead]:
    """Read beads written by `Bead.ladder` (one per line; a missing score reads as 0)."""
    beads = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.strip().split(":")
        src = tuple(int(x) for x in parts[0].strip("[]").split(",") if x.strip())
        tgt = tuple(int(x) for x in parts[1].strip("[]").split(",") if x.strip())
        beads.append(Bead(src, tgt, float(parts[2]) if len(parts) > 2 else 0.0))
    return beads
