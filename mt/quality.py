"""Per-pair quality estimation without a reference, and reference scores when there is one.

Every check gives a number in `scores` and, past its threshold (`QualityConfig`), a flag with a reason.
`quality` combines them into one number in [0, 1]; README.md ("Scores and flags") documents each part.
Pure Python plus sacrebleu: no torch.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mt.config import QualityConfig
from mt.numbers import compare as compare_numbers

SCORE_KEYS = (
    "logprob", "chars_ratio", "chars_z", "words_ratio", "words_z", "arabic_share", "repeat_share",
    "numbers_match", "punctuation", "lexical", "round_trip_chrf", "xent_fwd", "xent_bwd", "dual_xent",
    "ref_bleu", "ref_chrf", "ref_chrfpp", "ref_ter",
    "ref_align",
)
REFERENCE_METRICS = {"bleu": "ref_bleu", "chrf": "ref_chrf", "chrf++": "ref_chrfpp", "ter": "ref_ter"}
_WORD = re.compile(r"\w+")
_QUESTION, _EXCLAIM, _STOP = "?؟", "!", ".…۔"
_BRACKETS = (("(", ")"), ("[", "]"))
_QUOTES = '"«»“”'
_ARABIC_RANGES = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))
_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u0640\u06d6-\u06ed]")  # harakat, Quranic marks, tatweel


@dataclass
class Assessment:
    """The outcome of the checks on one pair."""

    scores: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(SCORE_KEYS))
    flags: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    quality: float | None = None

    def flag(self, code: str, reason: str) -> None:
        self.flags.append(code)
        self.reasons.append(reason)


def is_arabic_letter(ch: str) -> bool:
    return ch.isalpha() and any(lo <= ord(ch) <= hi for lo, hi in _ARABIC_RANGES)


def arabic_share(text: str) -> float:
    """Arabic letters among all letters of `text` (0 when it has no letters)."""
    letters = [ch for ch in text if ch.isalpha()]
    return sum(map(is_arabic_letter, letters)) / len(letters) if letters else 0.0


def repeat_share(text: str, n: int = 3) -> float:
    """Word n-grams that repeat an earlier n-gram of the same text, as a share of all its n-grams."""
    words = [w.lower() for w in _WORD.findall(text)]
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    return (len(grams) - len(set(grams))) / len(grams) if grams else 0.0


def text_length(text: str, unit: str) -> int:
    """Letters and digits (`chars`; Arabic diacritics and tatweel not counted, so vocalised and bare text
    weigh the same) or words holding one (`words`)."""
    if unit == "chars":
        return sum(ch.isalnum() for ch in _DIACRITICS.sub("", text))
    return sum(any(ch.isalnum() for ch in w) for w in text.split())


def length_sd(q: QualityConfig, unit: str, n: int) -> float:
    """The spread of ln(English/Arabic length) for an Arabic side of `n` units: `sd * sqrt(1 + scale / n)`,
    wider for short sentences (fitted on real pairs, README "Scores and flags")."""
    sd, scale = (q.chars_sd, q.chars_scale) if unit == "chars" else (q.words_sd, q.words_scale)
    return sd * math.sqrt(1 + scale / n)


def length_z(ar: str, en: str, q: QualityConfig, unit: str) -> tuple[float | None, float | None]:
    """The English/Arabic length ratio in characters or words, and its z-score as a log ratio."""
    a, e = text_length(ar, unit), text_length(en, unit)
    if not a or not e:
        return None, None
    ratio = e / a
    expected = q.chars_ratio if unit == "chars" else q.words_ratio
    return ratio, (math.log(ratio) - math.log(expected)) / length_sd(q, unit, a)


def agreed_length_z(chars_z: float | None, words_z: float | None) -> float | None:
    """The length z-score both units agree on: the smaller of the two when they have the same sign, else 0.
    Letters and words are two noisy measures of one length (a word count also depends on how Arabic clitics
    and English function words fall); a length flag needs both (README "Scores and flags")."""
    if chars_z is None or words_z is None:
        return None
    if chars_z * words_z <= 0:
        return 0.0
    return min(chars_z, words_z, key=abs)


_ENDS = {"stop": "as a statement", "exclamation": "as an exclamation", "none": "without end punctuation"}


def _terminal(text: str) -> str:
    body = text.rstrip().rstrip("\"'»”’)]")
    last = body[-1:] if body else ""
    if last and last in _QUESTION:
        return "question"
    if last and last in _EXCLAIM:
        return "exclamation"
    return "stop" if last and last in _STOP else "none"


def _balanced(text: str) -> bool:
    """Round and square brackets pair up (quotes are left out: a quotation often spans several sentences)."""
    for opening, closing in _BRACKETS:
        depth = 0
        for ch in text:
            depth += (ch == opening) - (ch == closing)
            if depth < 0:
                return False
        if depth:
            return False
    return True


def _quote_marks(text: str) -> int:
    return sum(text.count(q) for q in _QUOTES)


_QUOTED = re.compile(r'"([^"]+)"|«([^»]+)»|“([^”]+)”')


def _quotes_a_passage(text: str) -> bool:
    """A quotation of three words or more: editors also put quotation marks around single names and terms
    (قال "الشافعي"), which translations drop."""
    return any(len("".join(m.groups(default="")).split()) >= 3 for m in _QUOTED.finditer(text))


def punctuation_checks(ar: str, en: str) -> list[tuple[str, str]]:
    """The punctuation checks that fail, as (flag, reason); at most three. Each fires only where real pairs
    rarely differ (README "Scores and flags" gives the rates): a question that is no longer one (translators add
    and drop exclamation marks, and turn statements into questions, freely); a quotation of the source that the
    output drops altogether (English adds quotation marks where Arabic has none or uses brackets:
    `عبارة (تحت التصفية)`, `The phrase “under liquidation”`); brackets that no longer pair up."""
    failed = []
    src_end, out_end = _terminal(ar), _terminal(en)
    if src_end == "question" and out_end != "question":  # exclamation marks come and go in real translations
        failed.append(("punctuation_mismatch", f"the source ends as a question, the output {_ENDS[out_end]}"))
    if _quotes_a_passage(ar) and not _quote_marks(en):
        failed.append(("quotes_mismatch", "the source quotes something; the output has no quotation marks"))
    if _balanced(ar) and not _balanced(en) and any(b in ar for b in "()[]"):
        failed.append(("unbalanced_brackets", "the output's brackets do not pair up, the source's do"))
    return failed


def _is_copy(ar: str, en: str) -> bool:
    strip = "".join(ch for ch in unicodedata.normalize("NFKC", ar) if ch.isalnum())
    return bool(strip) and strip == "".join(ch for ch in unicodedata.normalize("NFKC", en) if ch.isalnum())


def assess(ar: str, en: str, logprob: float | None, q: QualityConfig, *, adequacy: float | None = None,
           lexical: float | None = None) -> Assessment:
    """Score one pair without a reference; see the module docstring. `adequacy` (in [0, 1], e.g. the
    exp(−dual cross-entropy) of `mt score`) takes the place of exp(logprob) in `quality` when given;
    `lexical` is the pair's word association learnt from its corpus (`mt.lexicon`, `mt score` only)."""
    a = Assessment()
    s = a.scores
    s["logprob"] = logprob
    if not ar.strip() or logprob is None:
        return a
    if not en.strip():
        a.quality = 0.0
        return a  # the pipeline flags empty_output
    s["chars_ratio"], s["chars_z"] = length_z(ar, en, q, "chars")
    s["words_ratio"], s["words_z"] = length_z(ar, en, q, "words")
    s["arabic_share"] = share = arabic_share(en)
    s["repeat_share"] = repeats = repeat_share(en)
    missing, added, shared = compare_numbers(ar, en)
    unmatched = len(missing) + len(added)
    s["numbers_match"] = match = shared / (shared + unmatched) if shared + unmatched else None
    failed = punctuation_checks(ar, en)
    s["punctuation"] = punctuation = 1 - len(failed) / 3
    s["lexical"] = lexical

    if logprob < q.min_logprob:
        a.flag("low_confidence", f"mean log-probability {logprob:.2f} < {q.min_logprob}")
    z = agreed_length_z(s["chars_z"], s["words_z"])
    if z is not None and abs(z) > q.max_length_z:
        a.flag("too_long" if z > 0 else "too_short",
               f"chars ratio {s['chars_ratio']:.2f} and words ratio {s['words_ratio']:.2f} are {s['chars_z']:+.1f} "
               f"and {s['words_z']:+.1f} sd from the expected {q.chars_ratio} and {q.words_ratio}")
    copy = _is_copy(ar, en)
    if copy:
        a.flag("copy_of_source", "the output repeats the source")
    elif share > q.max_arabic_share:
        a.flag("untranslated", f"{share:.0%} of the output's letters are Arabic")
    if repeats > q.max_repeat_share:
        a.flag("repetition", f"{repeats:.0%} of the output's word trigrams repeat")
    if missing:
        a.flag("numbers_missing", f"source numbers not in the output: {', '.join(n.text for n in missing)}")
    if added:
        a.flag("numbers_added", f"output numbers not in the source: {', '.join(n.text for n in added)}")
    for code, reason in failed:
        a.flag(code, reason)
    if lexical is not None and lexical < q.min_lexical:
        a.flag("unrelated_words", f"its words rarely go together elsewhere in the corpus (lexical {lexical:.3f} < "
                                  f"{q.min_lexical})")

    zs = [z for z in (s["chars_z"], s["words_z"]) if z is not None]
    z = sum(zs) / len(zs) if zs else 0.0
    parts = (
        math.exp(logprob) if adequacy is None else adequacy,
        math.exp(-0.5 * max(0.0, abs(z) - q.length_free_z) ** 2),
        1 - share,
        1 - repeats,
        0.5 + 0.5 * (1.0 if match is None else match),
        0.8 + 0.2 * punctuation,
        1.0 if lexical is None else 1 - q.lexical_weight + q.lexical_weight * min(1.0, lexical / q.lexical_full),
    )
    a.quality = 0.0 if copy else round(math.prod(parts), 4)
    return a


def round_scores(scores: dict[str, float | None]) -> dict[str, float | None]:
    """Each score to 4 decimals; `logprob` to the 6 of the pair's `score`, so that the two are equal."""
    return {k: None if v is None else round(v, 6 if k == "logprob" else 4) for k, v in scores.items()}


def reference_metrics() -> dict[str, Any]:
    """Fresh sacrebleu metrics, keyed by the names `mt` uses: bleu, chrf, chrf++, ter (sacrebleu is imported
    only when a reference or a round trip needs it)."""
    from sacrebleu.metrics import BLEU, CHRF, TER

    return {"bleu": BLEU(), "chrf": CHRF(), "chrf++": CHRF(word_order=2), "ter": TER()}


def sentence_reference_scores(hypothesis: str, reference: str) -> dict[str, float]:
    """Sentence BLEU (effective order), chrF, chrF++ and TER of one hypothesis against one reference."""
    from sacrebleu.metrics import BLEU

    metrics = reference_metrics()
    metrics["bleu"] = BLEU(effective_order=True)
    return {key: metrics[name].sentence_score(hypothesis, [reference]).score
            for name, key in REFERENCE_METRICS.items()}


def corpus_reference_scores(hypotheses: Sequence[str], references: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Corpus BLEU, chrF, chrF++ and TER with sacrebleu signatures, so each number can be reproduced."""
    out = {}
    for name, metric in reference_metrics().items():
        result = metric.corpus_score(list(hypotheses), [list(references)])
        out[name] = {"score": round(result.score, 4), "signature": str(metric.get_signature())}
    return out


def round_trip_chrf(source: str, back_translation: str) -> float:
    """chrF of the back-translation (English→Arabic) against the Arabic source."""
    from sacrebleu.metrics import CHRF

    return CHRF().sentence_score(back_translation, [source]).score
