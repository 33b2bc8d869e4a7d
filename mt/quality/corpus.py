"""The quality of pairs the model did not make (a parallel corpus, a run's reference sentences), as `mt score`
measures it: the reference-free checks of `mt.quality.checks`, and

- with a model, the forced-decoding log-probability of the English given the Arabic; with an English→Arabic model
  too, of the Arabic given the English. The two are combined as dual conditional cross-entropy (Junczys-Dowmunt
  2018, the WMT18 corpus filtering task's best system): with H_fwd and H_bwd the per-token cross-entropies (nats),
  `dual_xent = |H_fwd − H_bwd| + (H_fwd + H_bwd) / 2`, and `exp(−dual_xent)` is the adequacy that takes the place
  of the model confidence in `quality`;
- for a corpus of `quality.lexicon_min_pairs` pairs or more, the corpus's own length ratios and its word
  associations (`mt.quality.lexicon`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from mt.config import Config, QualityConfig
from mt.quality.checks import assess, round_scores, text_length
from mt.quality.lexicon import CorpusLexicon
from mt.records import Pair
from mt.text.normalize import normalize_for_model
from mt.translate import load_model
from mt.translate.batching import token_batches


class PairScorer(Protocol):
    """What forced decoding needs of a backend (both `hf` and `ct2` have it)."""

    model_id: str
    max_input_tokens: int

    def count_tokens(self, texts: list[str]) -> list[int]: ...

    def score_pairs(self, sources: list[str], targets: list[str]) -> list[tuple[float, int]]: ...


@dataclass(frozen=True)
class Scorers:
    """The forward (Arabic→English) model, its config, and the optional backward (English→Arabic) one."""

    forward: PairScorer | None = None
    forward_config: Config | None = None
    backward: PairScorer | None = None
    backward_config: Config | None = None


def load_scorers(config_path: str | None, reverse_path: str | None, forward_config: Config | None = None,
                 backward_config: Config | None = None) -> Scorers:
    """Load the models named by the configs (either may be None; a config already loaded is not read again)."""
    forward = load_model(config_path or "CONFIG", forward_config) if config_path or forward_config else None
    backward = load_model(reverse_path or "CONFIG", backward_config) if reverse_path or backward_config else None
    return Scorers(forward and forward.translator, forward and forward.config,  # type: ignore[arg-type]
                   backward and backward.translator, backward and backward.config)  # type: ignore[arg-type]


def cross_entropies(scorer: PairScorer, sources: Sequence[str], targets: Sequence[str],
                    max_batch_tokens: int = 4096) -> list[float | None]:
    """Per-token cross-entropy (nats, −mean log-probability) of each target given its source, by forced
    decoding in length-sorted batches; None for an empty side or one longer than the model's input limit."""
    src = [normalize_for_model(s) for s in sources]
    tgt = [normalize_for_model(t) for t in targets]
    src_len, tgt_len = scorer.count_tokens(src), scorer.count_tokens(tgt)
    limit = scorer.max_input_tokens
    todo = [i for i in range(len(src)) if src[i] and tgt[i] and src_len[i] <= limit and tgt_len[i] <= limit]
    out: list[float | None] = [None] * len(src)
    lengths = [max(src_len[i], tgt_len[i]) for i in todo]
    for batch in token_batches(lengths, max_batch_tokens):
        idx = [todo[k] for k in batch]
        for i, (total, n) in zip(idx, scorer.score_pairs([src[i] for i in idx], [tgt[i] for i in idx])):
            out[i] = -total / n if n else None
    return out


def dual_xent(h_fwd: float, h_bwd: float) -> float:
    """Junczys-Dowmunt (2018): disagreement between the two directions plus their mean."""
    return abs(h_fwd - h_bwd) + 0.5 * (h_fwd + h_bwd)


def model_adequacy(ar: Sequence[str], en: Sequence[str], scorers: Scorers) -> list[float | None]:
    """exp(−dual_xent) per pair (exp(−H_fwd) without a backward model); None where a side was not scored."""
    fwd, bwd = _directions(ar, en, scorers)
    out: list[float | None] = []
    for f, b in zip(fwd, bwd):
        if f is None or scorers.backward is not None and b is None:
            out.append(None)
        else:
            out.append(math.exp(-(dual_xent(f, b) if b is not None else f)))
    return out


def _directions(ar: Sequence[str], en: Sequence[str], scorers: Scorers) -> tuple[list[float | None],
                                                                                    list[float | None]]:
    none: list[float | None] = [None] * len(ar)
    fwd = bwd = none
    if scorers.forward is not None:
        budget = scorers.forward_config.max_batch_tokens if scorers.forward_config else 4096
        fwd = cross_entropies(scorers.forward, ar, en, budget)
    if scorers.backward is not None:
        budget = scorers.backward_config.max_batch_tokens if scorers.backward_config else 4096
        bwd = cross_entropies(scorers.backward, en, ar, budget)
    return fwd, bwd


def corpus_quality(quality: QualityConfig, pairs: Sequence[tuple[str, str]]) -> QualityConfig:
    """The quality settings with the expected length ratios taken from the corpus itself (the median
    English/Arabic ratio of its pairs, which a minority of misaligned pairs hardly moves): genres differ more
    than the spread within one (UN documents 1.2 characters of English per Arabic one, classical prose 1.7)."""
    ratios = []
    for unit in ("chars", "words"):
        logs = sorted(math.log(e / a) for a, e in ((text_length(ar, unit), text_length(en, unit)) for ar, en in pairs)
                      if a and e)
        ratios.append(round(math.exp(logs[len(logs) // 2]), 3) if logs else getattr(quality, f"{unit}_ratio"))
    return dataclasses.replace(quality, chars_ratio=ratios[0], words_ratio=ratios[1])


def assess_pairs(pairs: list[Pair], quality: QualityConfig, scorers: Scorers) -> list[Pair]:
    """Fill in the scores, flags and quality of `pairs` (their `ar` and `en`), in place; returns them. A
    corpus of `quality.lexicon_min_pairs` pairs or more also gives its own length ratios and word associations
    (`corpus_quality`, `mt.quality.lexicon`)."""
    fwd, bwd = _directions([p.ar for p in pairs], [p.en for p in pairs], scorers)
    lexicon = None
    if len(pairs) >= quality.lexicon_min_pairs:
        texts = [(p.ar, p.en) for p in pairs]
        lexicon, quality = CorpusLexicon(texts), corpus_quality(quality, texts)
    for k, (pair, f, b) in enumerate(zip(pairs, fwd, bwd)):
        if not pair.ar.strip() or not pair.en.strip():
            side = "Arabic" if not pair.ar.strip() else "English"
            pair.flag("empty_side", f"the {side} side is empty")
        logprob = None if f is None else -f
        adequacy = math.exp(-dual_xent(f, b)) if f is not None and b is not None else None
        lexical = lexicon.score(pair.ar, pair.en, own=k < lexicon.n) if lexicon else None
        result = assess(pair.ar, pair.en, 0.0 if logprob is None else logprob, quality, adequacy=adequacy,
                        lexical=lexical)
        scores = result.scores
        scores["logprob"] = logprob
        scores["xent_fwd"], scores["xent_bwd"] = f, b
        scores["dual_xent"] = dual_xent(f, b) if f is not None and b is not None else None
        pair.scores = round_scores(scores)
        pair.score = None if logprob is None else round(logprob, 6)
        pair.quality = result.quality
        if scorers.forward is not None and f is None and pair.ar.strip() and pair.en.strip():
            pair.flag("not_scored", "longer than the model's input limit: no model score")
        for code, reason in zip(result.flags, result.reasons):
            pair.flag(code, reason)
    return pairs
