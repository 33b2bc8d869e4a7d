"""The dynamic programme behind `mt.align`: beads of n source to m target units in a corridor of cells.

A unit is a sentence (or, at a coarse level, a block of sentences) given as a sparse weighted bag of terms and a
length. A bead's similarity is the cosine between the summed bags of its two sides; the dot products of every
source unit with the target units of its corridor row are computed once, so a group pair of any shape is scored
exactly from prefix sums. Rows of the corridor are processed with numpy, one vector per row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

Bag = dict[int, float]
INF = math.inf
_ROW_BLOCK = 128
_PRODUCTS = 1 << 21  # products of a source block with target entries held at once (16 MB)


@dataclass(frozen=True)
class Costs:
    """The prices of one search: per unit beyond the first (on the source side; `extra_tgt` on the target side
    when given), for a 1-0 and a 0-1 bead, the weight of the squared length deviation, and the document's
    target/source length ratio and length variance; `own_length` and `own_ratio` the same for the source's own
    lengths (`Units` own); `marks`, a price per row of the units' marks for a bead that has the mark on one side
    only (where `counted[row]`, per unit of difference between the two sides' counts of it instead); `cross`
    times the cosines a bead boundary cuts (`cross_links`); with `row_price` and `col_price` (rows of prices per
    cell row and column, given together), a price for every bead boundary the path makes: every bead that arrives
    at cell (i, j), 1-0 and 0-1 beads included, pays Σ |row_price[:, i] − col_price[:, j]|."""

    extra: float
    delete: float
    insert: float
    length: float
    ratio: float
    variance: float
    size_power: float = 1.0
    own_length: float = 0.0
    own_ratio: float = 1.0
    cross: float = 0.0
    extra_tgt: float | None = None
    marks: np.ndarray | None = field(default=None, compare=False)
    counted: tuple[bool, ...] = ()
    row_price: np.ndarray | None = field(default=None, compare=False)
    col_price: np.ndarray | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if (self.row_price is None) != (self.col_price is None):
            raise ValueError("row_price and col_price are given together or not at all")
        if self.row_price is not None and self.col_price is not None:
            object.__setattr__(self, "row_price", np.atleast_2d(self.row_price))
            object.__setattr__(self, "col_price", np.atleast_2d(self.col_price))

    def boundary(self, i: int, j: np.ndarray) -> np.ndarray:
        """The price of a bead boundary at each cell (i, j[k]) of row i (zeros without prices)."""
        if self.row_price is None or self.col_price is None:
            return np.zeros(len(j))
        return np.abs(self.row_price[:, i, None] - self.col_price[:, j]).sum(axis=0)

    def flipped(self) -> Costs:
        """The same prices for the reversed document (see `Units.flipped`): its cell (i, j) is cell
        (n − i, m − j) here."""
        if self.row_price is None or self.col_price is None:
            return self
        return replace(self, row_price=self.row_price[:, ::-1], col_price=self.col_price[:, ::-1])


class Units:
    """One side of a document: its bags as sparse rows (term ids, weights), its lengths, and the squared norms of
    every group of up to `max_group` consecutive units."""

    def __init__(self, ids: np.ndarray, weights: np.ndarray, indptr: np.ndarray, lengths: np.ndarray,
                 max_group: int, norm2: np.ndarray | None = None, own: np.ndarray | None = None,
                 marks: np.ndarray | None = None) -> None:
        self.ids, self.weights, self.indptr = ids, weights, indptr
        self.n = len(indptr) - 1
        self.max_group = max_group
        self.cum_length = np.concatenate([[0.0], np.cumsum(np.asarray(lengths, dtype=float))])
        # a second length (the source's own characters, beside its translation's) and marks (counts per unit of
        # features such as a question mark), both as prefix sums
        self.cum_own = self.cum_length if own is None else np.concatenate([[0.0], np.cumsum(own, dtype=float)])
        marks = np.zeros((0, self.n)) if marks is None else np.asarray(marks, dtype=float).reshape(-1, self.n)
        self.cum_marks = np.concatenate([np.zeros((len(marks), 1)), np.cumsum(marks, axis=1)], axis=1)
        self.norm2 = self._norms() if norm2 is None else norm2

    @staticmethod
    def from_bags(bags: Sequence[Bag], lengths: Sequence[float], max_group: int, own: Sequence[float] | None = None,
                  marks: np.ndarray | None = None) -> Units:
        indptr = np.concatenate([[0], np.cumsum([len(b) for b in bags])]).astype(np.int64)
        ids = np.fromiter((t for b in bags for t in b), dtype=np.int64, count=int(indptr[-1]))
        weights = np.fromiter((w for b in bags for w in b.values()), dtype=float, count=int(indptr[-1]))
        return Units(ids, weights, indptr, np.asarray(lengths, dtype=float), max_group,
                     own=None if own is None else np.asarray(own, dtype=float), marks=marks)

    def own_lengths(self) -> np.ndarray:
        return np.diff(self.cum_own)

    def marks(self) -> np.ndarray:
        return np.diff(self.cum_marks, axis=1)

    def _norms(self) -> np.ndarray:
        # norm2[g][e]: squared norm of the summed bags of the g units ending before e (g <= e); the group
        # e-g .. e-1 is the group e-g+1 .. e-1 with unit e-g in front
        n, top = self.n, self.max_group
        norm2 = np.zeros((top + 1, n + 1))
        rows = np.arange(n)
        self_dots = np.bincount(np.repeat(rows, np.diff(self.indptr)), self.weights**2, minlength=n)
        near = cross_products(self, self, np.minimum(rows + 1, n), np.minimum(rows + top, n))  # <r, r+1+k>
        near_cum = np.concatenate([np.zeros((n, 1)), np.cumsum(near, axis=1)], axis=1)
        for g in range(1, min(top, n) + 1):
            first = np.arange(0, n - g + 1)
            norm2[g][g:] = norm2[g - 1][g:] + self_dots[first] + 2 * near_cum[first, g - 1]
        return np.maximum(norm2, 0.0)

    def lengths(self) -> np.ndarray:
        return np.diff(self.cum_length)

    def blocks(self, size: int, max_group: int) -> Units:
        """Consecutive blocks of `size` units as the units of a coarser level (their bags summed)."""
        block = np.repeat(np.arange(self.n) // size, np.diff(self.indptr))
        width = int(self.ids.max(initial=0)) + 1
        keys, inverse = np.unique(block * width + self.ids, return_inverse=True)
        weights = np.bincount(inverse, self.weights, minlength=len(keys))
        count = -(-self.n // size)
        indptr = np.searchsorted(keys // width, np.arange(count + 1)).astype(np.int64)
        ends = np.minimum(np.arange(count + 1) * size, self.n)
        return Units(keys % width, weights, indptr, np.diff(self.cum_length[ends]), max_group,
                     own=np.diff(self.cum_own[ends]), marks=np.diff(self.cum_marks[:, ends], axis=1))

    def flipped(self) -> Units:
        """The same units in reverse order (norms carried over, not recomputed)."""
        n = self.n
        order = np.arange(n)[::-1]
        counts = np.diff(self.indptr)[order]
        take = np.concatenate([np.arange(self.indptr[r], self.indptr[r + 1]) for r in order]) if n else np.zeros(0, int)
        norm2 = np.zeros_like(self.norm2)
        for g in range(1, self.norm2.shape[0]):
            e = np.arange(g, n + 1)
            norm2[g][e] = self.norm2[g][n - e + g]
        return Units(self.ids[take], self.weights[take], np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
                     self.lengths()[::-1], self.max_group, norm2, own=self.own_lengths()[::-1],
                     marks=self.marks()[:, ::-1])


def cross_products(src: Units, tgt: Units, col_lo: np.ndarray, col_hi: np.ndarray) -> np.ndarray:
    """dots[r, k] = <src r, tgt col_lo[r] + k> for k < col_hi[r] - col_lo[r], else 0."""
    width = int(max(1, (col_hi - col_lo).max(initial=1)))
    out = np.zeros((src.n, width))
    for r0 in range(0, src.n, _ROW_BLOCK):
        r1 = min(src.n, r0 + _ROW_BLOCK)
        c0, c1 = int(col_lo[r0:r1].min()), int(col_hi[r0:r1].max())
        s0, s1 = src.indptr[r0], src.indptr[r1]
        if c1 <= c0 or s1 == s0:
            continue
        vocab, inverse = np.unique(src.ids[s0:s1], return_inverse=True)
        a = np.zeros((r1 - r0, len(vocab)))
        a[np.repeat(np.arange(r1 - r0), np.diff(src.indptr[r0 : r1 + 1])), inverse] = src.weights[s0:s1]
        block = np.zeros((r1 - r0, c1 - c0))
        # target columns a piece at a time, so that the products held at once stay under _PRODUCTS numbers
        per_piece = max(_PRODUCTS // (r1 - r0), 1)
        p0 = c0
        while p0 < c1:
            p1 = int(np.searchsorted(tgt.indptr, tgt.indptr[p0] + per_piece, side="right")) - 1
            p1 = min(max(p1, p0 + 1), c1)
            t0, t1 = tgt.indptr[p0], tgt.indptr[p1]
            ids = tgt.ids[t0:t1]
            pos = np.minimum(np.searchsorted(vocab, ids), len(vocab) - 1)
            hit = vocab[pos] == ids
            cols = np.repeat(np.arange(p0 - c0, p1 - c0), np.diff(tgt.indptr[p0 : p1 + 1]))[hit]
            if len(cols):
                # a sparse product without BLAS: each target entry that shares a term times that term's column of a
                contrib = a[:, pos[hit]] * tgt.weights[t0:t1][hit]
                present, starts = np.unique(cols, return_index=True)
                block[:, present] = np.add.reduceat(contrib, starts, axis=1)
            p0 = p1
        for r in range(r0, r1):
            lo, hi = int(col_lo[r]), int(col_hi[r])
            if hi > lo:
                out[r, : hi - lo] = block[r - r0, lo - c0 : hi - c0]
    return out


class Corridor:
    """Cells (i, j) with lo[i] <= j <= hi[i] (both non-decreasing), and the products the beads ending there need
    (and those of the reversed document: see `reversed`)."""

    def __init__(self, src: Units, tgt: Units, lo: np.ndarray, hi: np.ndarray, max_group: int,
                 products: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> None:
        self.src, self.tgt, self.lo, self.hi = src, tgt, lo.astype(int), hi.astype(int)
        self.max_group = max_group
        n = src.n
        if products is None:
            # source unit r is in beads ending at rows r+1 .. r+max_group, target columns lo[r+1]-max_group ..
            # hi[r+max_group], and in beads starting at rows r-max_group+1 .. r, columns lo[r-max_group+1] ..
            # hi[r]+max_group (those of the reversed document)
            rows = np.arange(n)
            first = np.minimum(self.lo[rows + 1] - max_group, self.lo[np.maximum(rows - max_group + 1, 0)])
            last = np.maximum(self.hi[np.minimum(rows + max_group, n)], self.hi[rows] + max_group)
            col_lo, col_hi = np.maximum(first, 0), np.minimum(last, tgt.n)
            dots = cross_products(src, tgt, col_lo, col_hi)
        else:
            dots, col_lo, col_hi = products
        self.dots, self.col_lo, self.col_hi = dots, col_lo, col_hi
        self.prefix = np.concatenate([np.zeros((n, 1)), np.cumsum(dots, axis=1)], axis=1)
        self.width = self.prefix.shape[1] - 1

    def reversed(self) -> Corridor:
        """The same corridor for the document read backwards (cell (i, j) here is cell (n − i, m − j) there),
        its products taken from this one's."""
        n, m = self.src.n, self.tgt.n
        widths = self.col_hi - self.col_lo
        k = np.arange(self.dots.shape[1])
        take = np.clip(widths[::-1, None] - 1 - k[None, :], 0, None)
        dots = np.where(k[None, :] < widths[::-1, None], self.dots[::-1][np.arange(n)[:, None], take], 0.0)
        return Corridor(self.src.flipped(), self.tgt.flipped(), m - self.hi[::-1], m - self.lo[::-1],
                        self.max_group, (dots, m - self.col_hi[::-1], m - self.col_lo[::-1]))

    @staticmethod
    def full(src: Units, tgt: Units, max_group: int) -> Corridor:
        n = src.n
        return Corridor(src, tgt, np.zeros(n + 1, int), np.full(n + 1, tgt.n), max_group)

    def row_sums(self, r: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """<src r, sum of tgt a..b-1> for vectors of column bounds."""
        base = self.col_lo[r]
        p = self.prefix[r]
        return p[np.minimum(np.maximum(b - base, 0), self.width)] - p[np.minimum(np.maximum(a - base, 0), self.width)]


def shape_table(bead_types: Sequence[tuple[int, int]]) -> np.ndarray:
    """allowed[n, m] for the bead types (n, m both at most the largest group)."""
    top = max(max(n, m) for n, m in bead_types)
    allowed = np.zeros((top + 1, top + 1), dtype=bool)
    for n, m in bead_types:
        allowed[n, m] = True
    return allowed


def group_costs(cor: Corridor, costs: Costs, i: np.ndarray, n: np.ndarray, j: np.ndarray, m: np.ndarray,
                dots: np.ndarray) -> np.ndarray:
    """The cost of n-m beads (n, m >= 1) ending at cells (i, j), given `dots`, the product of their summed source
    and target bags; the arguments broadcast together and must fit (i >= n, j >= m). The cell's own price is
    not included (see `cell_prices`)."""
    src, tgt = cor.src, cor.tgt
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = dots / np.sqrt(src.norm2[n, i] * tgt.norm2[m, j] + 1e-12)
    src_len = src.cum_length[i] - src.cum_length[i - n]
    tgt_len = tgt.cum_length[j] - tgt.cum_length[j - m]
    expected = src_len * costs.ratio
    delta2 = (tgt_len - expected) ** 2 / (costs.variance * (expected + tgt_len) / 2 + 1.0)
    extra = costs.extra * (n + m - 2) if costs.extra_tgt is None else (
        costs.extra * (n - 1) + costs.extra_tgt * (m - 1))
    c = (1.0 - cos) * ((n + m) / 2) ** costs.size_power + costs.length * delta2 / 2 + extra
    if costs.own_length:
        expected = (src.cum_own[i] - src.cum_own[i - n]) * costs.own_ratio
        c = c + costs.own_length / 2 * (tgt_len - expected) ** 2 / (costs.variance * (expected + tgt_len) / 2 + 1.0)
    if costs.marks is not None and len(src.cum_marks) and len(tgt.cum_marks):
        # a mark (a question, a speech …) on one side of the bead and not on the other
        for f, w in enumerate(costs.marks):
            if w:
                src_count = src.cum_marks[f][i] - src.cum_marks[f][i - n]
                tgt_count = tgt.cum_marks[f][j] - tgt.cum_marks[f][j - m]
                if f < len(costs.counted) and costs.counted[f]:
                    c = c + w * np.abs(src_count - tgt_count)
                else:
                    c = c + w * ((src_count > 0) != (tgt_count > 0))
    return c


def bead_costs(cor: Corridor, costs: Costs, allowed: np.ndarray, i: int, j: np.ndarray) -> np.ndarray:
    """cost[n, m, k]: the cost of an n-m bead (n, m >= 1) ending at cell (i, j[k]); inf where not allowed
    (`group_costs` for one row, each group's products summed directly)."""
    top = allowed.shape[0] - 1
    out = np.full((top + 1, top + 1, len(j)), INF)
    tops = min(top, i)
    if tops == 0 or not len(j):
        return out
    rows = i - 1 - np.arange(tops)  # the n-th row up is i - n
    base = cor.col_lo[rows]
    shift = np.arange(top + 1)
    idx = j[None, None, :] - shift[None, :, None] - base[:, None, None]  # [row, m, k]
    idx = np.minimum(np.maximum(idx, 0), cor.width)
    prefix = cor.prefix[rows][np.arange(tops)[:, None, None], idx]
    sums = prefix[:, :1, :] - prefix  # [row, m, k]: <src row, tgt j-m .. j-1>
    dots = np.cumsum(sums, axis=0)  # [n-1, m, k]
    n_arr = np.arange(1, tops + 1)[:, None, None]
    m_arr = np.arange(top + 1)[None, :, None]
    fits = (j[None, None, :] >= m_arr) & (m_arr > 0)
    jj = np.where(fits, j[None, None, :], 0)
    c = group_costs(cor, costs, np.full_like(jj, i), n_arr, jj, np.where(fits, m_arr, 0), dots)
    out[1 : tops + 1] = np.where(allowed[1 : tops + 1, :, None] & fits, c, INF)
    return out


def path_costs(cor: Corridor, costs: Costs, path: Sequence[tuple[int, int, int, int]]) -> np.ndarray:
    """The cost of each bead (i0, j0, i1, j1) of a path, without the price of the cell it arrives at."""
    if not path:
        return np.zeros(0)
    beads = np.asarray(path, dtype=np.int64)
    i0, j0, i1, j1 = beads.T
    n, m = i1 - i0, j1 - j0
    out = np.where(n == 0, costs.insert, costs.delete).astype(float)
    both = (n > 0) & (m > 0)
    if both.any():
        # <src rows i0 .. i1 − 1, tgt columns j0 .. j1 − 1>: each row's sum from its prefix sums, added per bead
        rows = np.concatenate([np.arange(a, b) for a, b in zip(i0[both], i1[both])])
        bead = np.repeat(np.arange(both.sum()), n[both])
        base = cor.col_lo[rows]
        hi = np.clip(j1[both][bead] - base, 0, cor.width)
        lo = np.clip(j0[both][bead] - base, 0, cor.width)
        per_row = cor.prefix[rows, hi] - cor.prefix[rows, lo]
        dots = np.bincount(bead, per_row, minlength=int(both.sum()))
        out[both] = group_costs(cor, costs, i1[both], n[both], j1[both], m[both], dots)
    return out


@dataclass(frozen=True)
class Gain:
    """For a search that maximises the expected number of right beads: the soft minima of the paths from each
    cell to the last one (`after(i, j)`, cells of this search, the price of cell (i, j) included), their total
    and the temperature, and a price `gamma` per bead (a bead is worth its posterior probability minus
    `gamma`)."""

    after: Callable[[int, np.ndarray], np.ndarray]
    total: float
    temperature: float
    gamma: float = 0.0


def cell_prices(cor: Corridor, costs: Costs, i: int, j: np.ndarray) -> np.ndarray:
    """The price every bead arriving at cell (i, j[k]) pays: `Costs.boundary`, and with `costs.cross` the
    links the boundary there cuts (the cosines of source unit i − 1 with target unit j and of source unit i
    with target unit j − 1: content that runs across it)."""
    out = costs.boundary(i, j)
    if costs.cross and len(j):
        out = out + costs.cross * cross_links(cor, i, j)
    return out


def cross_links(cor: Corridor, i: int, j: np.ndarray) -> np.ndarray:
    """cos(source i − 1, target j) + cos(source i, target j − 1) where both units exist, per cell (i, j[k])."""
    src, tgt = cor.src, cor.tgt
    out = np.zeros(len(j))
    if 0 < i:
        ok = j < tgt.n
        jj = np.where(ok, j, 0)
        d = cor.row_sums(i - 1, jj, jj + 1)
        out += np.where(ok, d / np.sqrt(src.norm2[1][i] * tgt.norm2[1][jj + 1] + 1e-12), 0.0)
    if i < src.n:
        ok = j > 0
        jj = np.where(ok, j - 1, 0)
        d = cor.row_sums(i, jj, jj + 1)
        out += np.where(ok, d / np.sqrt(src.norm2[1][i + 1] * tgt.norm2[1][jj + 1] + 1e-12), 0.0)
    return out


def _along_row(soft: np.ndarray, steps: np.ndarray, temperature: float) -> np.ndarray:
    """v[k] = softmin over h <= k of (soft[h] + steps[k] − steps[h]): the soft minima of a row with its 0-1
    beads, a cumulative log-sum-exp."""
    with np.errstate(invalid="ignore"):
        return -temperature * np.logaddexp.accumulate(-(soft - steps) / temperature) + steps


def trace(cor: Corridor, bead_types: Sequence[tuple[int, int]], rows: list[np.ndarray],
          backs: list[np.ndarray]) -> list[tuple[int, int, int, int]]:
    """The best path as (i0, j0, i1, j1) beads from the origin to the last cell."""
    i, j = cor.src.n, cor.tgt.n
    if not (cor.lo[i] <= j <= cor.hi[i]) or not math.isfinite(rows[i][j - cor.lo[i]]):
        raise ValueError("no alignment within the corridor")
    top = shape_table(bead_types).shape[0] - 1
    out = []
    while (i, j) != (0, 0):
        n, m = divmod(int(backs[i][j - cor.lo[i]]), top + 1)
        out.append((i - n, j - m, i, j))
        i, j = i - n, j - m
    return out[::-1]


_ROWS_AT_ONCE = 1 << 18  # bead costs of a block of rows computed at once (cells × shapes)


def _shape_arrays(bead_types: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray, int]:
    """The shapes with a source side (n >= 1; 0-1 beads are taken along each row), as arrays of n and m, and
    the largest group."""
    top = max(max(n, m) for n, m in bead_types)
    shapes = sorted((n, m) for n, m in bead_types if n >= 1)
    return np.array([n for n, _ in shapes]), np.array([m for _, m in shapes]), top


def row_costs(cor: Corridor, costs: Costs, ns: np.ndarray, ms: np.ndarray, i0: int,
              i1: int) -> tuple[np.ndarray, np.ndarray]:
    """For the rows i0 .. i1 − 1 of the corridor: cost[r, s, k], the cost of the bead of shape (ns[s], ms[s])
    that ends at cell (i0 + r, lo[i0 + r] + k), the price of that cell included (inf where the shape does not
    fit or past the row's end); and price[r, k], the cell's price alone (`cell_prices`)."""
    src, tgt = cor.src, cor.tgt
    top = int(max(ns.max(initial=1), ms.max(initial=1)))
    i = np.arange(i0, i1)
    widths = cor.hi[i] - cor.lo[i] + 1
    width = int(widths.max())
    j = cor.lo[i][:, None] + np.arange(width)[None, :]  # [r, k]
    inrow = np.arange(width)[None, :] < widths[:, None]
    jc = np.minimum(j, tgt.n)
    # the prefix sums of the rows that beads ending in these rows reach, on absolute columns c0 .. c1
    a = max(i0 - top, 0)
    c0 = max(int(cor.lo[i0]) - top, 0)
    c1 = min(int(cor.hi[i1 - 1]) + 1, tgt.n)
    cols = np.arange(c0, c1 + 1)
    rows = np.arange(a, min(i1, src.n))
    q = cor.prefix[rows[:, None], np.clip(cols[None, :] - cor.col_lo[rows][:, None], 0, cor.width)]  # [row, col]
    cum = np.concatenate([np.zeros((1, len(cols))), np.cumsum(q, axis=0)])  # cum[t]: rows a .. a + t − 1
    r_idx = np.arange(i1 - i0)[:, None, None]
    s_n, s_m = ns[None, :, None], ms[None, :, None]
    fits = (i[:, None] - ns[None, :] >= 0)[:, :, None] & (j[:, None, :] - s_m >= 0) & inrow[:, None, :]
    # G[n][r, c]: <src rows i − n .. i − 1, tgt columns c0 .. c − 1> (a prefix sum over columns)
    grid = np.stack([cum[i - a] - cum[np.maximum(i - n - a, 0)] for n in range(1, top + 1)])  # [n−1, r, col]
    hi_col = np.clip(j[:, None, :] - c0, 0, len(cols) - 1)
    lo_col = np.clip(j[:, None, :] - s_m - c0, 0, len(cols) - 1)
    n_idx = np.maximum(s_n - 1, 0)
    dots = grid[n_idx, r_idx, hi_col] - grid[n_idx, r_idx, lo_col]  # [r, s, k]
    ii = np.broadcast_to(i[:, None, None], fits.shape)
    nn = np.where(fits, s_n, 0)
    mm = np.where(fits, s_m, 0)
    c = group_costs(cor, costs, np.where(fits, ii, nn), nn, np.where(fits, jc[:, None, :], mm), mm, dots)
    delete = ms == 0
    if delete.any():
        c[:, delete, :] = costs.delete
    # the cell's price: boundary prices and the links the boundary cuts
    price = np.zeros((i1 - i0, width))
    if costs.row_price is not None and costs.col_price is not None:
        price += np.abs(costs.row_price[:, i][:, :, None] - costs.col_price[:, jc]).sum(axis=0)
    if costs.cross:
        # cos(source i − 1, target j) and cos(source i, target j − 1), from single columns of the prefix sums
        kc = np.clip(jc - c0, 0, len(cols) - 2)
        up = np.clip(i - 1 - a, 0, len(rows) - 1)
        ok = (i >= 1)[:, None] & (jc < tgt.n)
        d = np.take_along_axis(q[up], kc + 1, axis=1) - np.take_along_axis(q[up], kc, axis=1)
        norm = src.norm2[1][np.maximum(i, 1)][:, None] * tgt.norm2[1][np.minimum(jc + 1, tgt.n)]
        links = np.where(ok, d / np.sqrt(norm + 1e-12), 0.0)
        here = np.clip(i - a, 0, len(rows) - 1)
        kl = np.clip(jc - 1 - c0, 0, len(cols) - 2)
        ok = (i < src.n)[:, None] & (jc >= 1)
        d = np.take_along_axis(q[here], kl + 1, axis=1) - np.take_along_axis(q[here], kl, axis=1)
        norm = src.norm2[1][np.minimum(i + 1, src.n)][:, None] * tgt.norm2[1][np.maximum(jc, 1)]
        links += np.where(ok, d / np.sqrt(norm + 1e-12), 0.0)
        price += costs.cross * links
    c += price[:, None, :]
    return np.where(fits, c, INF), np.where(inrow, price, INF)


def _offsets(cor: Corridor) -> np.ndarray:
    """Where each row's cells start in flat arrays of the corridor's cells (and their total, last)."""
    return np.concatenate([[0], np.cumsum(cor.hi - cor.lo + 1)])


def search(cor: Corridor, costs: Costs, bead_types: Sequence[tuple[int, int]],
           temperature: float | None = None, gain: Gain | None = None,
           soft_only: bool = False) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Row by row over the corridor: the least total cost to each cell and the bead shape (n * (top + 1) + m;
    -1 at the origin) that reaches it; with a `temperature`, also -T·log of the sum of exp(-cost/T) over all
    paths to each cell (the soft minimum), from the same bead costs (cell prices included, see `row_costs`).
    With a `gain` (and a temperature), the first two are instead the least total of (gamma − posterior) over
    the beads of a path and its shapes: the path with the most expected right beads (maximum expected accuracy
    decoding). With `soft_only`, only the soft minima. Each is a list of rows (cells lo[i] .. hi[i])."""
    ns, ms, top = _shape_arrays(bead_types)
    codes = ns * (top + 1) + ms
    inserts = (0, 1) in bead_types
    n_rows = cor.src.n + 1
    off = _offsets(cor)
    widths = cor.hi - cor.lo + 1
    hard = not soft_only or temperature is None
    value_all = np.full(off[-1], INF)
    back_all = np.full(off[-1], -1, dtype=np.int64)
    soft_all = np.full(off[-1], INF) if temperature is not None else value_all
    block = max(1, _ROWS_AT_ONCE // max(len(ns) * int(widths.max()), 1))
    bead_block, price_block = row_costs(cor, costs, ns, ms, 0, min(block, n_rows))
    b0 = 0
    for i in range(n_rows):
        if i >= b0 + len(bead_block):
            b0 = i
            bead_block, price_block = row_costs(cor, costs, ns, ms, i, min(i + block, n_rows))
        k = np.arange(widths[i])
        j = cor.lo[i] + k
        if i == 0:
            value = np.where(j == 0, 0.0, INF)
            back = np.full(len(j), -1)
            soft = value.copy()
            price = price_block[0][: len(j)]
        else:
            bead = bead_block[i - b0][:, : len(j)]
            price = price_block[i - b0][: len(j)]
        if gain is not None:
            # the soft minima from each cell on, less the price of the cell (the bead arriving there pays it)
            base = gain.after(i, j) - price - gain.total
        if i > 0:
            prev = i - ns
            ok_row = prev >= 0
            prev = np.maximum(prev, 0)
            pk = j[None, :] - ms[:, None] - cor.lo[prev][:, None]
            ok = ok_row[:, None] & (pk >= 0) & (pk < widths[prev][:, None])
            idx = off[prev][:, None] + np.clip(pk, 0, None)
            idx = np.where(ok, idx, 0)
            soft_stack = None
            if temperature is not None:
                soft_stack = np.where(ok, soft_all[idx], INF) + bead
                low = soft_stack.min(axis=0)
                safe = np.where(np.isfinite(low), low, 0.0)
                with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
                    soft = safe - temperature * np.log(np.exp(-(soft_stack - safe) / temperature).sum(axis=0))
                soft = np.where(np.isfinite(low), soft, INF)
            if gain is not None:
                assert soft_stack is not None
                with np.errstate(invalid="ignore", over="ignore"):
                    post = np.exp(np.minimum(-(soft_stack + base) / gain.temperature, 0.0))
                stack = np.where(ok & np.isfinite(soft_stack), value_all[idx] + gain.gamma - post, INF)
            elif hard:
                stack = np.where(ok, value_all[idx], INF) + bead
            if gain is not None or hard:
                pick = stack.argmin(axis=0)
                value = stack[pick, k]
                back = np.where(np.isfinite(value), codes[pick], -1)
        if inserts:
            steps = np.concatenate([[0.0], np.cumsum(costs.insert + price[1:])])
            if temperature is not None:
                soft_row = _along_row(soft, steps, temperature)
            if gain is not None:
                # a 0-1 bead into column k from k - 1: gamma − its posterior, accumulated along the row
                with np.errstate(invalid="ignore", over="ignore"):
                    post = np.exp(np.minimum(-(soft_row[:-1] + np.diff(steps) + base[1:]) / gain.temperature, 0.0))
                worth = np.concatenate([[0.0], np.cumsum(np.where(np.isfinite(soft_row[:-1]), gain.gamma - post, 0.0))])
            else:
                worth = steps
            if gain is not None or hard:
                with np.errstate(invalid="ignore"):
                    g = value - worth
                    cm = np.minimum.accumulate(g)
                    from_left = cm < g - 1e-12
                value = np.where(from_left, cm + worth, value)
                back = np.where(from_left, 1, back)  # shape 0-1: n * (top + 1) + m = 1
            if temperature is not None:
                soft = soft_row
        if gain is not None or hard:
            value_all[off[i] : off[i + 1]] = value
            back_all[off[i] : off[i + 1]] = back
        if temperature is not None:
            soft_all[off[i] : off[i + 1]] = soft
    split = off[1:-1]
    return (np.split(value_all, split), np.split(back_all, split),
            np.split(soft_all, split) if temperature is not None else [])
