"""Sentence alignment of an Arabic document with an English version of it, through the machine translation.

Each sentence of the machine translation and of the English text becomes a TF-IDF-weighted bag of word stems and
numbers (the source's numbers, Arabic-Indic digits normalised, join its translation's bag). A bead of n source and
m target sentences is scored as a whole: the cosine between the two summed bags. Its cost is `1 − cosine`, plus a
length term against the document's own translation/target length ratio, plus a price for every sentence beyond the
first on each side; 1-0 and 0-1 beads have their own price; a bead boundary right after a sentence that goes on
(ends in a clause mark) on one side but not on the other has one too. The prices are not absolute: they are
multiples of the cost of an average correct match in *this* document (estimated from the best 1-1 match of each
sentence), so a free translation, whose right matches share few words, is priced on its own scale. A long document
is first aligned in blocks of sentences, then sentence by sentence in a corridor around that path (time and memory
linear in length).
Each bead's score is its posterior probability over all alignments (a soft-minimum forward-backward pass), so it
can be used to filter pairs; the path returned is the one with the most expected right beads (the sum of its beads'
posteriors less a price per bead), not the least-cost one. Needs numpy only: no torch.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from mt.align_search import Bag, Corridor, Costs, Gain, Units, bead_costs, cross_products, search, shape_table, trace


def _bead_types(max_one: int = 8, max_two: int = 5) -> tuple[tuple[int, int], ...]:
    """1-1 .. 1-8 and 8-1, 2-2 .. 2-5 and 5-2, 3-3, and the 1-0 and 0-1 beads."""
    types = [(1, 0), (0, 1)]
    for k in range(1, max_one + 1):
        types += [(1, k)] + ([(k, 1)] if k > 1 else [])
    for k in range(2, max_two + 1):
        types += [(2, k)] + ([(k, 2)] if k > 2 else [])
    return (*types, (3, 3))


BEAD_TYPES = _bead_types()
MAX_GROUP = 8
_ALLOWED = shape_table(BEAD_TYPES)
COARSE_TYPES = ((1, 1), (1, 0), (0, 1), (1, 2), (2, 1))  # for blocks of sentences
DEEP_TYPES = ((1, 1), (1, 2), (2, 1))  # for blocks of blocks: a skip of a whole block of blocks is never cheap
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NUMBER = re.compile(r"\d+(?:[.,٫]\d+)*")
_WORD = re.compile(r"[^\W\d_]+")
_CLAUSE_END = frozenset(",;:،؛")
_TRAILING = "\"'«»“”‘’\u200e\u200f\u061c\u200c\u200d \t"  # closing quotes and invisible marks after it


@dataclass(frozen=True)
class AlignWeights:
    """The aligner's constants (chosen on the Text+Berg dev document only; see benchmarks/textberg.py).

    `extra` and `temperature` are multiples of the document's average correct-match cost."""

    extra: float = 0.33  # per sentence beyond 1-1 in a bead
    skip: float = 3.0  # a 1-0 or 0-1 bead (see `document_costs`)
    skip_cap: float = 1.2  # ... but no dearer than this multiple of the average correct-match cost
    open_end: float = 0.2  # a bead boundary after a sentence that ends in a clause mark (, ; : ، ؛) on one side only
    min_scale: float = 0.3  # the scale of the prices never drops below this (near-verbatim translations)
    length: float = 0.2  # weight of the squared length deviation (Gale–Church's delta²/2)
    variance: float = 6.8  # Gale–Church's variance of target length per source character
    numbers: float = 2.0  # a number weighs this much more than a word of the same rarity
    stem: int = 5  # words are cut to this many letters
    ngram: int = 4  # with n > 0, character n-grams of the words join the bag
    ngram_weight: float = 1.0  # an n-gram weighs this much of a word of the same rarity
    size_power: float = 1.0  # a bead's 1 − cosine counts ((n + m) / 2) ** size_power times
    decode: str = "mea"  # "mea": the path with the most expected right beads (posterior decoding); "best": the
    # least-cost path
    gamma: float = 0.4  # with "mea", a bead is worth its posterior probability minus this
    temperature: float = 0.13  # of the posterior that gives each bead its confidence
    block: int = 8  # sentences per unit of the coarse pass
    margin: int = 20  # the fine corridor: this many sentences either side of the coarse path
    full_cells: int = 300_000  # documents up to this many cells (sentences × sentences) are searched whole
    coarse_cells: int = 4_000_000  # ... and the coarse pass (blocks × blocks) of a longer one up to this many


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


def terms(text: str, stem: int = AlignWeights.stem, ngram: int = AlignWeights.ngram) -> Counter[str]:
    """A sentence's bag: lower-cased words cut to `stem` letters, its numbers (prefixed `#`), and with `ngram`
    the character n-grams of its words (prefixed `~`)."""
    words = _WORD.findall(text.lower())
    bag: Counter[str] = Counter(w[:stem] for w in words)
    bag.update("#" + n for n in numbers(text))
    if ngram:
        for w in words:
            padded = f" {w} "
            bag.update("~" + padded[k : k + ngram] for k in range(len(padded) - ngram + 1))
    return bag


def weighted_bags(mt_bags: Sequence[Counter[str]], tgt_bags: Sequence[Counter[str]], number_weight: float,
                  ngram_weight: float = 1.0) -> tuple[list[Bag], list[Bag]]:
    """TF-IDF over the sentences of both sides ((1 + ln tf) × ln((N + 1) / (df + 1)) + 1), terms as integers."""
    df: Counter[str] = Counter()
    for bag in (*mt_bags, *tgt_bags):
        df.update(bag.keys())
    total = len(mt_bags) + len(tgt_bags)
    ids = {t: k for k, t in enumerate(df)}

    def weigh(bag: Counter[str]) -> Bag:
        out = {}
        for t, tf in bag.items():
            w = (1 + math.log(tf)) * (math.log((total + 1) / (df[t] + 1)) + 1)
            out[ids[t]] = w * (number_weight if t[0] == "#" else ngram_weight if t[0] == "~" else 1.0)
        return out

    return [weigh(b) for b in mt_bags], [weigh(b) for b in tgt_bags]


def open_ends(sentences: Sequence[str]) -> np.ndarray:
    """1.0 at boundary k (between sentence k − 1 and k, 0 < k < n) when sentence k − 1 ends in a clause mark
    (, ; : ، ؛), closing quotes and invisible marks aside: a sentence that goes on in the next one. 0 at the
    document's two ends."""
    out = np.zeros(len(sentences) + 1)
    for k, s in enumerate(sentences[:-1], start=1):
        s = s.rstrip(_TRAILING)
        out[k] = float(bool(s) and s[-1] in _CLAUSE_END)
    return out


def _lengths(sentences: Sequence[str]) -> list[int]:
    return [len("".join(s.split())) for s in sentences]


def document_costs(cor: Corridor, weights: AlignWeights, scale: float | None = None) -> tuple[Costs, float]:
    """The prices for one document from its own statistics, and the average correct-match cost they scale.

    The average correct-match cost is the median cost of each source unit's best 1-1 match near the diagonal
    (see `match_costs`), at least `min_scale`."""
    best = match_costs(cor.src, cor.tgt, weights)
    if scale is None:
        scale = min(max(float(np.median(best)), weights.min_scale), 1.0)
    ratio = max(cor.tgt.cum_length[-1], 1.0) / max(cor.src.cum_length[-1], 1.0)
    # two skips (a 1-0 and a 0-1) cost what a 1-1 match costs `skip` of the way from a correct one to an
    # unrelated pair (cost 1): neither free nor forbidden, on the document's own scale; one skip no more than
    # `skip_cap` correct matches (a close translation leaves out a sentence rather than merge it, yet still pairs
    # its weakest sentences); and always at least three quarters of a correct match, so that a translation that
    # shares nothing with the target still aligns by length
    skip = (scale + weights.skip * (1.0 - scale)) / 2
    skip = max(min(skip, weights.skip_cap * scale), 0.75 * scale)
    costs = Costs(extra=weights.extra * scale, delete=skip, insert=skip,
                  length=weights.length, ratio=ratio, variance=weights.variance,
                  size_power=weights.size_power)
    return costs, scale


def match_costs(src: Units, tgt: Units, weights: AlignWeights, window: int = 40) -> np.ndarray:
    """An estimate of the cost of a correct 1-1 match in this document: the median over source units of the cost
    (`1 − cosine` and the length term) of their most similar target unit within `window` units of the diagonal
    (most such matches are right)."""
    if not src.n or not tgt.n:
        return np.full(1, 0.5)
    ratio = max(tgt.cum_length[-1], 1.0) / max(src.cum_length[-1], 1.0)
    centre = np.round(np.arange(src.n) * tgt.n / src.n).astype(int)
    lo, hi = np.clip(centre - window, 0, tgt.n), np.clip(centre + window + 1, 0, tgt.n)
    dots = cross_products(src, tgt, lo, hi)
    src_len, tgt_len = src.lengths(), tgt.lengths()
    best = []
    for r in range(src.n):
        j = np.arange(lo[r], hi[r])
        if len(j):
            cos = dots[r, : len(j)] / np.sqrt(src.norm2[1][r + 1] * tgt.norm2[1][j + 1] + 1e-12)
            k = int(cos.argmax())
            expected = src_len[r] * ratio
            delta2 = (tgt_len[j[k]] - expected) ** 2 / (weights.variance * (expected + tgt_len[j[k]]) / 2 + 1.0)
            best.append(1.0 - float(cos[k]) + weights.length * delta2 / 2)
    return np.asarray(best) if best else np.full(1, 0.5)


def _corridor(src: Units, tgt: Units, weights: AlignWeights, max_group: int, fast: bool, depth: int = 0) -> Corridor:
    """The whole matrix for a small document, else a corridor around the path found on blocks of sentences
    (`depth` 0), or of blocks of blocks (1, 2 …). The blocks are searched whole up to `weights.coarse_cells` cells
    (their beads are few and small); a level of blocks of blocks is not allowed to leave a block out: its whole
    blocks are priced so roughly that runs of skips could take it off the diagonal."""
    k = weights.block
    limit = weights.full_cells if depth == 0 else max(weights.coarse_cells, weights.full_cells)
    if (not fast and src.n * tgt.n <= limit) or min(src.n, tgt.n) < 2 * k:
        return Corridor.full(src, tgt, max_group)
    coarse_src, coarse_tgt = src.blocks(k, 2), tgt.blocks(k, 2)
    coarse = _corridor(coarse_src, coarse_tgt, weights, 2, fast=False, depth=depth + 1)
    costs, _ = document_costs(coarse, weights)
    types = COARSE_TYPES if depth == 0 else DEEP_TYPES
    rows, backs, _ = search(coarse, costs, types)
    lo = np.full(src.n + 1, tgt.n)
    hi = np.zeros(src.n + 1, int)
    for a0, b0, a1, b1 in trace(coarse, types, rows, backs):
        i0, i1 = min(a0 * k, src.n), min(a1 * k, src.n)
        j0, j1 = min(b0 * k, tgt.n), min(b1 * k, tgt.n)
        lo[i0 : i1 + 1] = np.minimum(lo[i0 : i1 + 1], j0)
        hi[i0 : i1 + 1] = np.maximum(hi[i0 : i1 + 1], j1)
    # a square of `margin` sentences around every cell of the path, in both directions
    lo = np.minimum.accumulate(lo[::-1])[::-1]
    hi = np.maximum.accumulate(hi)
    cells = np.arange(src.n + 1)
    lo = np.clip(lo[np.maximum(cells - weights.margin, 0)] - weights.margin, 0, tgt.n)
    hi = np.clip(hi[np.minimum(cells + weights.margin, src.n)] + weights.margin, 0, tgt.n)
    lo[0], hi[-1] = 0, tgt.n
    return Corridor(src, tgt, lo, hi, max_group)


def _reversed(cor: Corridor, max_group: int) -> Corridor:
    m = cor.tgt.n
    return Corridor(cor.src.flipped(), cor.tgt.flipped(), m - cor.hi[::-1], m - cor.lo[::-1], max_group)


def _posteriors(cor: Corridor, costs: Costs, temperature: float, forward: list[np.ndarray],
                backward: list[np.ndarray], path: list[tuple[int, int, int, int]]) -> list[float]:
    """P(bead | document) for each bead of `path` under exp(−cost / temperature) over all alignments, given the
    forward soft minima and the backward ones (those of the reversed corridor)."""
    n, m = cor.src.n, cor.tgt.n
    total = forward[n][m - cor.lo[n]]
    out = []
    for i0, j0, i1, j1 in path:
        di, dj = i1 - i0, j1 - j0
        if di == 0 or dj == 0:
            c = costs.insert if di == 0 else costs.delete
        else:
            c = float(bead_costs(cor, costs, _ALLOWED, i1, np.array([j1]))[di, dj, 0])
        # `c` leaves out the boundary price at (i1, j1): the backward soft minimum from there has paid it
        before = forward[i0][j0 - cor.lo[i0]]
        after = backward[n - i1][(m - j1) - (m - cor.hi[i1])]
        out.append(math.exp(min(0.0, -(before + c + after - total) / temperature)))
    return out


def align(source: Sequence[str], target: Sequence[str], translation: Sequence[str],
          weights: AlignWeights = AlignWeights(), search_mode: str = "auto") -> list[Bead]:
    """Align `source` sentences to `target` sentences, given `translation` (line-aligned with `source`).

    `search_mode` "auto" searches a document of up to `weights.full_cells` cells whole and a longer one coarse to
    fine; "full" and "fast" force one or the other (the benchmark checks that they agree)."""
    if len(translation) != len(source):
        raise ValueError(f"the translation has {len(translation)} lines for {len(source)} source sentences")
    if search_mode not in ("auto", "full", "fast"):
        raise ValueError(f"unknown search_mode '{search_mode}'; available: auto, fast, full")
    if weights.decode not in ("mea", "best"):
        raise ValueError(f"unknown decode '{weights.decode}'; available: best, mea")
    if not source or not target:
        return [Bead((i,), (), 0.0) for i in range(len(source))] + [Bead((), (j,), 0.0) for j in range(len(target))]
    mt_bags = [terms(t, weights.stem, weights.ngram) for t in translation]
    for bag, s in zip(mt_bags, source):
        for n in numbers(s):
            bag["#" + n] = max(bag["#" + n], 1)
    tgt_terms = [terms(t, weights.stem, weights.ngram) for t in target]
    src_bags, tgt_bags = weighted_bags(mt_bags, tgt_terms, weights.numbers, weights.ngram_weight)
    src = Units.from_bags(src_bags, _lengths(translation), MAX_GROUP)
    tgt = Units.from_bags(tgt_bags, _lengths(target), MAX_GROUP)
    full = replace(weights, full_cells=10**18) if search_mode == "full" else weights
    cor = _corridor(src, tgt, full, MAX_GROUP, fast=search_mode == "fast")
    costs, scale = document_costs(cor, weights)
    if weights.open_end:
        # a boundary where one side's sentence goes on and the other's ends is unlikely; both going on (a list
        # translated item by item) is not. The source's own punctuation, not its translation's: a machine
        # translation cut short ends anywhere
        price = weights.open_end * scale
        costs = replace(costs, row_price=price * open_ends(source), col_price=price * open_ends(target))
    temperature = weights.temperature * scale
    back_cor = _reversed(cor, MAX_GROUP)
    backward = search(back_cor, costs.flipped(), BEAD_TYPES, temperature)[2]
    gain = None
    if weights.decode == "mea":
        n_src = src.n

        # the backward soft minima at cells (i, j), less the boundary price there (the arriving bead pays it)
        def to_end(i: int, j: np.ndarray) -> np.ndarray:
            return backward[n_src - i][cor.hi[i] - j] - costs.boundary(i, j)

        gain = Gain(to_end, float(backward[n_src][cor.hi[0]]), temperature, weights.gamma)
    rows, backs, forward = search(cor, costs, BEAD_TYPES, temperature, gain)
    path = trace(cor, BEAD_TYPES, rows, backs)
    confidence = _posteriors(cor, costs, temperature, forward, backward, path)
    return [Bead(tuple(range(i0, i1)), tuple(range(j0, j1)), round(p, 4))
            for (i0, j0, i1, j1), p in zip(path, confidence)]


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
