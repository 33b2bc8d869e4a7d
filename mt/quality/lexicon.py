"""Word associations learnt from the corpus being scored: a reference-free adequacy check for `mt score`.

A parallel corpus is mostly aligned, so words that translate each other co-occur in its pairs far more often
than chance. For every Arabic and English word (lightly stemmed: one prefix of `mt.text.arabic.PREFIXES` off,
ال و ب ك وال ..., and the first letters kept) the Dice coefficient 2·c(a, e) / (c(a) + c(e)) over the corpus says
how strongly they go together; a pair's `lexical` score is the mean, over its English words, of the best Dice with
one of its Arabic words. Each pair is scored leaving its own co-occurrences out, so a misaligned pair cannot vouch
for itself. Pure Python.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from mt.text.arabic import PREFIXES, normalize_arabic

MAX_PAIRS = 20_000  # the associations are learnt from at most this many pairs (the first ones)
_AR_WORD = re.compile("[\u0621-\u064a]+")
_EN_WORD = re.compile(r"[a-z]+")
COMMON = 0.2  # words in more than this share of the pairs say nothing about alignment


def arabic_stems(text: str) -> frozenset[str]:
    stems = set()
    for word in _AR_WORD.findall(normalize_arabic(text)):
        for prefix in PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 3:
                word = word[len(prefix):]
                break
        if len(word) >= 2:
            stems.add(word[:5])
    return frozenset(stems)


def english_stems(text: str) -> frozenset[str]:
    return frozenset(w[:6] for w in _EN_WORD.findall(text.lower()) if len(w) >= 3)


class CorpusLexicon:
    """Co-occurrence counts of the (Arabic, English) stems of a corpus's pairs."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        pairs = pairs[:MAX_PAIRS]
        self.n = len(pairs)
        sides = [(arabic_stems(a), english_stems(e)) for a, e in pairs]
        self.ar: Counter[str] = Counter(s for a, _ in sides for s in a)
        self.en: Counter[str] = Counter(s for _, e in sides for s in e)
        top = self.common_above()
        self.both: Counter[tuple[str, str]] = Counter()
        for a, e in sides:  # a stem seen once can only pair with itself, which leave-one-out takes away
            useful_a = [x for x in a if 2 <= self.ar[x] <= top]
            useful_e = [y for y in e if 2 <= self.en[y] <= top]
            self.both.update((x, y) for x in useful_a for y in useful_e)

    def common_above(self) -> float:
        return max(COMMON * self.n, 5.0)

    def score(self, ar: str, en: str, *, own: bool) -> float | None:
        """Mean best Dice of the English stems; `own`: the pair is one of those the lexicon was learnt from
        (its own counts are left out). None when the English has no word the corpus can judge."""
        k = 1 if own else 0
        top = self.common_above()
        src = [(x, self.ar[x] - k) for x in arabic_stems(ar) if self.ar[x] <= top]
        src = [(x, c) for x, c in src if c >= 1]
        best = []
        for y in english_stems(en):
            cy = self.en[y] - k
            if cy < 1 or self.en[y] > top:
                continue
            value = 0.0
            for x, cx in src:
                joint = self.both.get((x, y), 0) - k
                if joint > 0:
                    value = max(value, 2 * joint / (cx + cy))
            best.append(value)
        return sum(best) / len(best) if best else None
