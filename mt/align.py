"""Sentence alignment of an Arabic document with an English version of it, through the machine translation.

Each sentence of the machine translation and of the English text becomes a TF-IDF-weighted bag of word stems and
numbers (the source's numbers, Arabic-Indic digits normalised, join its translation's bag). A bead of n source and
m target sentences is scored as a whole: the cosine between the two summed bags. Its cost is `1 − cosine`, plus
weak length terms against the document's own length ratios (measured between anchors, so that text with no
counterpart does not move them), plus a price for every sentence beyond the first on each side, for a quotation
on one side of the bead only (unless one side leaves its quotations unmarked: then no quotation term is charged),
and for every line that ends no sentence beyond the other side's count; 1-0 and 0-1 beads have their own price; a
bead boundary right after a sentence that goes on (ends in a clause mark) or closes a quotation on one side but not
on the other has one too, and so has one that cuts links (similar sentences on either side of it). The prices are
not absolute: they are multiples of the cost of an average correct match in *this* document (estimated from the
best 1-1 match of each sentence), so a free translation, whose right matches share few words, is priced on its own
scale. A long document is first aligned in blocks of sentences, then sentence by sentence in a corridor around that
path (time and memory linear in length).
Each bead's score is its posterior probability over all alignments (a soft-minimum forward-backward pass), so it
can be used to filter pairs; the path returned is the one with the most expected right beads (the sum of its beads'
posteriors less a price per bead), not the least-cost one. Needs numpy only: no torch.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from mt.align_search import (
    Bag,
    Corridor,
    Costs,
    Gain,
    Units,
    cross_products,
    path_costs,
    search,
    shape_table,
    trace,
)


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
_ENDS = frozenset(".!?。！？؟…")
_QUOTES = "\"“”«»„「」『』"  # always a quotation mark
_QUOTE_SET = frozenset(_QUOTES)
_SINGLE = "'‘’"  # a quotation mark unless inside a word (an apostrophe: don't, Trinket's)
_QUOTE_SINGLE = re.compile(r"(?:^|(?<=[\s(\[—–-]))['‘’](?=\S)|(?<=[^\s\w])['‘’](?=[\s)\]—–-]|$)")
_FINAL = ".。!?！？؟…\u200e\u200f\u061c\u200c\u200d \t"  # a sentence's final marks, before a closing quote


@dataclass(frozen=True)
class AlignWeights:
    """The aligner's constants (chosen on the development documents only: MAC's dev chapters and Text+Berg's dev
    document together; see benchmarks/mac.py and benchmarks/textberg.py).

    `extra` and `temperature` are multiples of the document's average correct-match cost."""

    extra: float = 0.4  # per sentence beyond 1-1 in a bead (see `tilt`)
    tilt: float = 0.5  # ... times (target/source sentences) ** tilt on the source side, divided by it on the target
    skip: float = 4.5  # a 1-0 or 0-1 bead (see `document_costs`)
    skip_cap: float = 1.35  # ... but no dearer than this multiple of the average correct-match cost
    skip_floor: float = 0.15  # ... on a scale that never drops below this (`min_scale` for the other prices)
    open_end: float = 0.1  # a bead boundary after a sentence that ends in a clause mark (, ; : ، ؛) on one side only
    speech_end: float = 0.2  # a bead boundary after a sentence that closes a quotation on one side only
    cross: float = 0.1  # a bead boundary that cuts links: × the cosines across it (`mt.align_search.cross_links`)
    quote: float = 0.15  # a quotation on one side of a bead only
    quote_ratio: float = 0.33  # `quote` and `speech_end` are off where one side's share of quoted sentences is
    # under this much of the other's (`quotes_agree`: a side that leaves its quotations unmarked)
    unended: float = 0.2  # per line that does not end a sentence (a title, a caption) on one side of a bead beyond
    # the other side's count
    min_scale: float = 0.3  # the scale of the prices never drops below this (near-verbatim translations)
    length: float = 0.036  # weight of the squared length deviation (Gale–Church's delta²/2) from the translation
    own_length: float = 0.05  # the same from the source's own characters (its own ratio to the target)
    variance: float = 6.8  # Gale–Church's variance of target length per source character
    numbers: float = 2.0  # a number weighs this much more than a word of the same rarity
    stem: int = 5  # words are cut to this many letters
    ngram: int = 4  # with n > 0, character n-grams of the words join the bag
    ngram_weight: float = 0.6  # an n-gram weighs this much of a word of the same rarity
    size_power: float = 1.0  # a bead's 1 − cosine counts ((n + m) / 2) ** size_power times
    decode: str = "mea"  # "mea": the path with the most expected right beads (posterior decoding); "best": the
    # least-cost path
    gamma: float = 0.4  # with "mea", a bead is worth its posterior probability minus this
    temperature: float = 0.17  # of the posterior that gives each bead its confidence
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


Rows = tuple[np.ndarray, np.ndarray, np.ndarray]  # sparse rows: term ids, weights, row pointers


class _Vocabulary:
    """Term ids shared by both sides of a document: word stems, numbers and character n-grams (each word's ids
    made once), and what kind each term is (0 a word, 1 a number, 2 an n-gram)."""

    def __init__(self, stem: int, ngram: int) -> None:
        self.stem, self.ngram = stem, ngram
        self.ids: dict[str, int] = {}
        self.kinds: list[int] = []
        self._words: dict[str, list[int]] = {}

    def _id(self, term: str, kind: int) -> int:
        k = self.ids.get(term)
        if k is None:
            k = self.ids[term] = len(self.kinds)
            self.kinds.append(kind)
        return k

    def _word(self, word: str) -> list[int]:
        out = self._words.get(word)
        if out is None:
            out = [self._id(word[: self.stem], 0)]
            if self.ngram:
                padded = f" {word} "
                out += [self._id("~" + padded[k : k + self.ngram], 2) for k in range(len(padded) - self.ngram + 1)]
            self._words[word] = out
        return out

    def sentence(self, text: str, also: frozenset[str] = frozenset()) -> list[int]:
        """The ids of a sentence's terms, repeated as often as they occur (`terms`), with the numbers in `also`
        once each unless the sentence has them already."""
        out = [k for w in _WORD.findall(text.lower()) for k in self._word(w)]
        own = numbers(text)
        out += [self._id("#" + n, 1) for n in own]
        out += [self._id("#" + n, 1) for n in also - own]
        return out


def _counts(vocab: _Vocabulary, texts: Sequence[str], also: Sequence[frozenset[str]] | None) -> tuple[np.ndarray, ...]:
    """(sentence, term id, count) of every distinct term of every sentence, by sentence."""
    lists = [vocab.sentence(t, also[k] if also is not None else frozenset()) for k, t in enumerate(texts)]
    ids = np.fromiter(itertools.chain.from_iterable(lists), dtype=np.int64, count=sum(map(len, lists)))
    rows = np.repeat(np.arange(len(texts), dtype=np.int64), [len(ls) for ls in lists])
    return rows, ids


def weighted_rows(source: Sequence[str], translation: Sequence[str], target: Sequence[str],
                  weights: AlignWeights) -> tuple[Rows, Rows]:
    """The TF-IDF bags of the translation (with the source's numbers) and of the target as sparse rows (term
    ids, weights, row pointers): the same weights as `weighted_bags` over `terms`, built with numpy."""
    vocab = _Vocabulary(weights.stem, weights.ngram)
    src_rows, src_ids = _counts(vocab, translation, [numbers(s) for s in source])
    tgt_rows, tgt_ids = _counts(vocab, target, None)
    width = len(vocab.kinds)
    out: list[Rows] = []
    distinct = []
    for rows, ids in ((src_rows, src_ids), (tgt_rows, tgt_ids)):
        keys, tf = np.unique(rows * width + ids, return_counts=True)
        distinct.append((keys // width, keys % width, tf))
    df = np.bincount(np.concatenate([d[1] for d in distinct]), minlength=width)
    total = len(translation) + len(target)
    kind_weight = np.array([1.0, weights.numbers, weights.ngram_weight])[np.asarray(vocab.kinds, dtype=int)]
    idf = (np.log((total + 1) / (df + 1)) + 1) * kind_weight
    for (rows, ids, tf), n in zip(distinct, (len(translation), len(target))):
        w = (1 + np.log(tf)) * idf[ids]
        indptr = np.searchsorted(rows, np.arange(n + 1)).astype(np.int64)
        out.append((ids, w, indptr))
    return out[0], out[1]


def open_ends(sentences: Sequence[str]) -> np.ndarray:
    """1.0 at boundary k (between sentence k − 1 and k, 0 < k < n) when sentence k − 1 ends in a clause mark
    (, ; : ، ؛), closing quotes and invisible marks aside: a sentence that goes on in the next one. 0 at the
    document's two ends."""
    out = np.zeros(len(sentences) + 1)
    for k, s in enumerate(sentences[:-1], start=1):
        s = s.rstrip(_TRAILING)
        out[k] = float(bool(s) and s[-1] in _CLAUSE_END)
    return out


def quoted(sentence: str) -> bool:
    """Whether a sentence holds a quotation mark: `"“”«»„「」『』` anywhere, a single quote (`'‘’`) where it opens
    or closes a quotation (after a space or before one, next to punctuation), not an apostrophe in a word."""
    return not _QUOTE_SET.isdisjoint(sentence) or bool(_QUOTE_SINGLE.search(sentence))


def unended(sentence: str) -> bool:
    """Whether a line does not end a sentence: no full stop, question or exclamation mark and no clause mark at
    its end (closing quotes and brackets aside): a title, a caption, a label."""
    end = sentence.rstrip(_TRAILING + ")]）】")
    return bool(end) and end[-1] not in _ENDS and end[-1] not in _CLAUSE_END


def marks(sentences: Sequence[str]) -> np.ndarray:
    """Per sentence (columns): whether it holds a quotation (`quoted`, row 0) and whether it is `unended` (1)."""
    return np.array([[quoted(s) for s in sentences], [unended(s) for s in sentences]], dtype=float).reshape(2, -1)


def quotes_agree(src_quoted: np.ndarray, tgt_quoted: np.ndarray, ratio: float) -> bool:
    """Whether both sides mark quotations alike: the share of quoted sentences (`quoted`) on the side with fewer
    is at least `ratio` times the other side's. A side that leaves its quotations unmarked (an edition without
    quotation marks) would make every quotation on the other side look unmatched."""
    low, high = sorted((float(np.mean(src_quoted)) if len(src_quoted) else 0.0,
                        float(np.mean(tgt_quoted)) if len(tgt_quoted) else 0.0))
    return low >= ratio * high


def speech_ends(sentences: Sequence[str]) -> np.ndarray:
    """1.0 at boundary k (0 < k < n) when sentence k − 1 closes a quotation: it ends in a quotation mark (its
    final full stop, question or exclamation mark aside). 0 at the document's two ends."""
    out = np.zeros(len(sentences) + 1)
    for k, s in enumerate(sentences[:-1], start=1):
        s = s.rstrip(_FINAL)
        out[k] = float(bool(s) and (s[-1] in _QUOTES or (s[-1] in _SINGLE and len(s) > 1 and not s[-2].isalnum()
                                                          and not s[-2].isspace())))
    return out


def _lengths(sentences: Sequence[str]) -> list[int]:
    return [len("".join(s.split())) for s in sentences]


def document_costs(cor: Corridor, weights: AlignWeights, scale: float | None = None) -> tuple[Costs, float]:
    """The prices for one document from its own statistics, and the average correct-match cost they scale.

    The average correct-match cost is the median cost of each source unit's best 1-1 match near the diagonal
    (see `match_costs`), at least `min_scale`."""
    src_cost, tgt_cost, anchors = match_costs(cor.src, cor.tgt)
    # the side with text that has no counterpart (a partial document) has a poorer median: the other side's
    typical = min(float(np.median(src_cost)), float(np.median(tgt_cost))) if len(tgt_cost) else float(
        np.median(src_cost))
    if scale is None:
        scale = min(max(typical, weights.min_scale), 1.0)
    ratio = anchored_ratio(cor.src.cum_length, cor.tgt.cum_length, anchors)
    own_ratio = anchored_ratio(cor.src.cum_own, cor.tgt.cum_length, anchors)
    # two skips (a 1-0 and a 0-1) cost what a 1-1 match costs `skip` of the way from a correct one to an
    # unrelated pair (cost 1): neither free nor forbidden, on the document's own scale; one skip no more than
    # `skip_cap` correct matches (a close translation leaves out a sentence rather than merge it, yet still pairs
    # its weakest sentences); and always at least three quarters of a correct match, so that a translation that
    # shares nothing with the target still aligns by length. Its scale has a lower floor than the others': in a
    # near-verbatim translation a sentence with no counterpart is left out rather than merged into a neighbour
    s_skip = min(max(typical, weights.skip_floor), 1.0)
    skip = (s_skip + weights.skip * (1.0 - s_skip)) / 2
    skip = max(min(skip, weights.skip_cap * s_skip), 0.75 * s_skip)
    # more sentences on one side (a translation that splits sentences): an extra one on that side costs less
    tilt = (max(cor.tgt.n, 1) / max(cor.src.n, 1)) ** weights.tilt
    costs = Costs(extra=weights.extra * scale * tilt, extra_tgt=weights.extra * scale / tilt, delete=skip,
                  insert=skip, length=weights.length, ratio=ratio, variance=weights.variance,
                  size_power=weights.size_power, own_length=weights.own_length, own_ratio=own_ratio,
                  marks=scale * np.array([weights.quote, weights.unended]), counted=(False, True),
                  cross=weights.cross)
    return costs, scale


def anchored_ratio(src_cum: np.ndarray, tgt_cum: np.ndarray, anchors: np.ndarray, trim: float = 1.5) -> float:
    """The target/source length ratio between anchors (sure 1-1 matches, in order): over the stretches from one
    anchor to the next whose own ratio is within `trim` times their median (weighted by length); the whole
    document's ratio without two anchors. Text with no counterpart before the first anchor, after the last or
    inside a stretch does not move it."""
    whole = max(tgt_cum[-1], 1.0) / max(src_cum[-1], 1.0)
    if len(anchors) < 2:
        return whole
    s = np.diff(src_cum[anchors[:, 0]])
    t = np.diff(tgt_cum[anchors[:, 1]])
    ok = s > 0
    if not ok.any():
        return whole
    s, t = s[ok], t[ok]
    r = t / s
    order = np.argsort(r)
    cum = np.cumsum(s[order])
    median = float(max(r[order][np.searchsorted(cum, cum[-1] / 2)], 1e-3))
    keep = (r <= median * trim) & (r >= median / trim)
    return float(max(t[keep].sum(), 1.0) / max(s[keep].sum(), 1.0))


def match_costs(src: Units, tgt: Units, window: int = 40) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An estimate of the cost of a correct 1-1 match in this document: the cost (`1 − cosine`) of each source
    unit's most similar target unit within `window` units of the diagonal (most such matches are right), and of
    each target unit's most similar source unit among those; and the anchors: (source, target) pairs that are
    each other's most similar unit, in order (the longest chain of such pairs that rises on both sides)."""
    if not src.n or not tgt.n:
        return np.full(1, 0.5), np.zeros(0), np.zeros((0, 2), int)
    centre = np.round(np.arange(src.n) * tgt.n / src.n).astype(int)
    lo, hi = np.clip(centre - window, 0, tgt.n), np.clip(centre + window + 1, 0, tgt.n)
    dots = cross_products(src, tgt, lo, hi)
    width = dots.shape[1]
    cols = lo[:, None] + np.arange(width)[None, :]
    inside = cols < hi[:, None]
    cols = np.minimum(cols, tgt.n - 1)
    cos = np.where(inside, dots / np.sqrt(src.norm2[1][1:, None] * tgt.norm2[1][cols + 1] + 1e-12), -1.0)
    k = cos.argmax(axis=1)
    best_cos = cos[np.arange(src.n), k]
    best_col = cols[np.arange(src.n), k]
    tgt_best = np.full(tgt.n, -1.0)
    np.maximum.at(tgt_best, cols[inside], cos[inside])
    mutual = (best_cos > 0) & (best_cos >= tgt_best[best_col] - 1e-12)
    chain = _rising_chain(np.flatnonzero(mutual), best_col[mutual])
    return 1.0 - best_cos, 1.0 - np.maximum(tgt_best[tgt_best > -1.0], 0.0), chain


def _rising_chain(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The longest chain of (row, col) pairs (rows increasing) whose cols increase too, as an array of pairs."""
    tails: list[int] = []  # tails[L]: index of the smallest col ending a chain of length L + 1
    prev = np.full(len(rows), -1)
    for x, c in enumerate(cols):
        lo_, hi_ = 0, len(tails)
        while lo_ < hi_:
            mid = (lo_ + hi_) // 2
            if cols[tails[mid]] < c:
                lo_ = mid + 1
            else:
                hi_ = mid
        if lo_:
            prev[x] = tails[lo_ - 1]
        if lo_ == len(tails):
            tails.append(x)
        else:
            tails[lo_] = x
    out = []
    x = tails[-1] if tails else -1
    while x >= 0:
        out.append((rows[x], cols[x]))
        x = prev[x]
    return np.asarray(out[::-1], dtype=int).reshape(-1, 2)


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


def _posteriors(cor: Corridor, costs: Costs, temperature: float, forward: list[np.ndarray],
                backward: list[np.ndarray], path: list[tuple[int, int, int, int]]) -> list[float]:
    """P(bead | document) for each bead of `path` under exp(−cost / temperature) over all alignments, given the
    forward soft minima and the backward ones (those of the reversed corridor)."""
    n, m = cor.src.n, cor.tgt.n
    total = forward[n][m - cor.lo[n]]
    out = []
    # each bead's cost leaves out the price of the cell it arrives at: the backward soft minimum from there
    # has paid it
    for (i0, j0, i1, j1), c in zip(path, path_costs(cor, costs, path)):
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
    cor, costs, scale = prepare(source, target, translation, weights, search_mode)
    return decode(cor, costs, weights, scale)


def prepare(source: Sequence[str], target: Sequence[str], translation: Sequence[str], weights: AlignWeights,
            search_mode: str = "auto") -> tuple[Corridor, Costs, float]:
    """The cells to search and the prices of one document, and its average correct-match cost."""
    src_marks, tgt_marks = marks(source), marks(target)
    if not quotes_agree(src_marks[0], tgt_marks[0], weights.quote_ratio):
        weights = replace(weights, quote=0.0, speech_end=0.0)
    src_rows, tgt_rows = weighted_rows(source, translation, target, weights)
    src = Units(*src_rows, np.asarray(_lengths(translation), dtype=float), MAX_GROUP,
                own=np.asarray(_lengths(source), dtype=float), marks=src_marks)
    tgt = Units(*tgt_rows, np.asarray(_lengths(target), dtype=float), MAX_GROUP, marks=tgt_marks)
    full = replace(weights, full_cells=10**18) if search_mode == "full" else weights
    cor = _corridor(src, tgt, full, MAX_GROUP, fast=search_mode == "fast")
    costs, scale = document_costs(cor, weights)
    if weights.open_end or weights.speech_end:
        # a boundary where one side's sentence goes on and the other's ends is unlikely; both going on (a list
        # translated item by item) is not. The source's own punctuation, not its translation's: a machine
        # translation cut short ends anywhere. The same for a quotation that closes on one side only
        a, b = weights.open_end * scale, weights.speech_end * scale
        costs = replace(costs, row_price=np.stack([a * open_ends(source), b * speech_ends(source)]),
                        col_price=np.stack([a * open_ends(target), b * speech_ends(target)]))
    return cor, costs, scale


def decode(cor: Corridor, costs: Costs, weights: AlignWeights, scale: float) -> list[Bead]:
    """The beads of the path with the most expected right beads (or the least-cost path), with their
    posterior probabilities."""
    temperature = weights.temperature * scale
    src = cor.src
    back_cor = cor.reversed()
    backward = search(back_cor, costs.flipped(), BEAD_TYPES, temperature, soft_only=True)[2]
    gain = None
    if weights.decode == "mea":
        n_src = src.n

        def to_end(i: int, j: np.ndarray) -> np.ndarray:
            return backward[n_src - i][cor.hi[i] - j]

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
