"""Quality scores and flags on hand-made pairs, with the expected values worked out by hand."""

from __future__ import annotations

import dataclasses
import math

import pytest

from mt.config import QualityConfig
from mt.quality.checks import agreed_length_z, arabic_share, assess, repeat_share, round_trip_chrf
from mt.quality.reference import corpus_reference_scores, sentence_reference_scores

# Round constants, so that the expected values can be worked out by hand (the shipped ones are fitted on real
# pairs: configs/default.yaml). Lengths count letters and digits only (no spaces, punctuation or diacritics).
Q = QualityConfig(chars_ratio=1.25, chars_sd=0.25, chars_scale=0.0, words_ratio=1.25, words_sd=0.3,
                  words_scale=0.0, length_free_z=1.0)

# (Arabic, English, logprob, expected quality, expected flags, expected scores). With Q:
# z_chars = ln(ratio / 1.25) / 0.25, z_words = ln(ratio / 1.25) / 0.3, z = their mean;
# quality = exp(logprob) * exp(-(max(0, |z| - 1))^2 / 2) * (1 - arabic_share) * (1 - repeat_share)
#           * (0.5 + 0.5 * numbers_match) * (0.8 + 0.2 * punctuation); 0 for a copy of the source.
CASES = [
    pytest.param(
        "ذهب الولد إلى المدرسة.", "The boy went to school.", -0.4,
        0.6703, [],  # exp(-0.4); 18 vs 18 letters: z_chars = ln(1/1.25)/0.25 = -0.89, z_words 0: inside one sd
        {"chars_ratio": 1.0, "chars_z": -0.8926, "words_ratio": 1.25, "words_z": 0.0, "arabic_share": 0.0,
         "repeat_share": 0.0, "numbers_match": None, "punctuation": 1.0},
        id="good",
    ),
    pytest.param(
        "هل ذهب الولد إلى المدرسة؟", "The boy went to school.", -0.4,
        0.6254, ["punctuation_mismatch"],  # z = (-1.314 - 0.7438)/2 = -1.029: exp(-0.029^2/2); (0.8 + 0.2 * 2/3)
        {"chars_ratio": 0.9, "chars_z": -1.314, "words_ratio": 1.0, "punctuation": 0.6667},
        id="question-lost",
    ),
    pytest.param(
        "روسيا", "روسيا", -0.1, 0.0, ["copy_of_source"], {"arabic_share": 1.0}, id="copy",
    ),
    pytest.param(
        "قال لافروف إن روسيا لن تتدخل.", "Lavrov said Russia روسيا will not.", -0.5,
        0.4982, ["untranslated"],  # 5 of 28 letters Arabic: exp(-0.5) * (1 - 5/28)
        {"arabic_share": 0.1786, "chars_ratio": 1.2174},
        id="untranslated",
    ),
    pytest.param(
        "استمرت المحادثات طويلا.", "the talks the talks the talks the talks", -0.3,
        0.1855, ["repetition"],  # 4 of 6 trigrams repeat; z = (0.987 + 2.526)/2 = 1.757: exp(-0.757^2/2)
        {"repeat_share": 0.6667, "words_ratio": 2.6667, "words_z": 2.5256},
        id="repetition",
    ),
    pytest.param(
        "نعم.", "Yes, and then he said many other things that nobody had asked about at all.", -0.2,
        0.0, ["too_long"],  # 59 / 3 letters: z_chars = ln(19.67/1.25)/0.25 = 11.0
        {"chars_ratio": 19.6667, "chars_z": 11.0231, "words_z": 8.283},
        id="too-long",
    ),
    pytest.param(
        "قتل ١٥ شخصا عام ٢٠١٢.", "15 people were killed in 2011.", -0.6,
        0.3659, ["numbers_missing", "numbers_added"],  # 15 shared, 2012 and 2011 not: 1/3; exp(-0.6) * (0.5 + 0.5/3)
        {"numbers_match": 0.3333},
        id="numbers",
    ),
    pytest.param(
        'وقال "لن نتدخل أبدا".', "He said we will not intervene.", -0.3,
        0.6914, ["quotes_mismatch"],  # 15 vs 24 letters: z 0.80, inside one sd; exp(-0.3) * (0.8 + 0.2 * 2/3)
        {"chars_z": 0.9874, "punctuation": 0.6667},
        id="quotes-lost",
    ),
    pytest.param(
        "الأمم المتحدة (نيويورك).", "The United Nations (New York.", -0.3,
        0.6914, ["unbalanced_brackets"], {"punctuation": 0.6667}, id="bracket-open",
    ),
    pytest.param(
        "ذهب الولد إلى المدرسة.", "The boy went to school.", -3.2,
        0.0408, ["low_confidence"], {"logprob": -3.2}, id="low-confidence",
    ),
    # Real pairs that the checks must leave alone: a number spelt out, quotation marks on one side only.
    pytest.param(
        "يجب تقديم الطلب خلال (ستين) يوماً من تاريخ الإخطار.",
        "The application must be submitted within 60 days of the date of notification.", -0.5,
        0.6065, [], {"numbers_match": 1.0, "punctuation": 1.0}, id="number-word-matches-digits",
    ),
    pytest.param(
        "ويجب أن تحمل الشركة عبارة (تحت التصفية) في جميع مراسلاتها.",
        "The company must carry the phrase “under liquidation” in all its correspondence.", -0.5,
        0.6065, [], {"punctuation": 1.0}, id="quotes-added-by-the-translator",
    ),
]


@pytest.mark.parametrize(("ar", "en", "logprob", "quality", "flags", "scores"), CASES)
def test_assess_hand_made_pairs(ar: str, en: str, logprob: float, quality: float, flags: list[str],
                                scores: dict[str, float | None]) -> None:
    result = assess(ar, en, logprob, Q)
    assert result.quality == pytest.approx(quality, abs=1e-4)
    assert result.flags == flags
    assert len(result.reasons) == len(flags) and all(result.reasons)
    for key, value in scores.items():
        got = result.scores[key]
        assert got == (None if value is None else pytest.approx(value, abs=1e-4)), key


def test_reasons_say_what_was_measured() -> None:
    assert assess("قتل ١٥ شخصا عام ٢٠١٢.", "15 people were killed in 2011.", -0.6, Q).reasons == [
        "source numbers not in the output: 2012", "output numbers not in the source: 2011",
    ]
    assert assess("نعم.", "Yes, and then he said many other things that nobody had asked about at all.", -0.2,
                  Q).reasons == ["chars ratio 19.67 and words ratio 15.00 are +11.0 and +8.3 sd from the expected 1.25 "
                                 "and 1.25"]
    assert assess("ذهب الولد.", "The boy went.", -3.2, Q).reasons == ["mean log-probability -3.20 < -2.5"]


@pytest.mark.parametrize(
    ("en", "reason"),
    [
        ("Did the boy go to school.", "the source ends as a question, the output as a statement"),
        ("Did the boy go to school!", "the source ends as a question, the output as an exclamation"),
        ("Did the boy go to school", "the source ends as a question, the output without end punctuation"),
        ("Did the boy go to school?\u201d", None),
    ],
)
def test_a_lost_question_says_how_the_output_ends(en: str, reason: str | None) -> None:
    result = assess("هل ذهب الولد إلى المدرسة؟", en, -0.4, Q)
    assert result.reasons == ([reason] if reason else [])


def test_legal_idioms_raise_no_numbers_flag_but_an_added_number_does() -> None:
    ar = "لا يجوز للمستأجر أن يؤجر العين المؤجرة إلى الغير."
    assert assess(ar, "The lessee may not sublet the leased property to third parties.", -0.5, Q).flags == []
    added = assess(ar, "The lessee may not sublet the leased property to 3 parties.", -0.5, Q)
    assert added.flags == ["numbers_added"] and added.reasons == ["output numbers not in the source: 3"]


def test_a_length_flag_needs_letters_and_words_to_agree() -> None:
    """Long English words make the letters ratio high while the words ratio is ordinary: no flag; both far off
    (the "نعم." case above) flags. The threshold is on the smaller z of the two."""
    ar = "وافق المجلس على القرار."
    en = "Councillors unanimously approved comprehensive internationalisation recommendations."
    result = assess(ar, en, 0.0, Q)
    assert result.scores["chars_z"] == pytest.approx(4.7565, abs=1e-3)  # ln(78/19 / 1.25) / 0.25
    assert result.scores["words_z"] == pytest.approx(0.6077, abs=1e-3)  # ln(6/4 / 1.25) / 0.3
    assert result.flags == []
    assert agreed_length_z(4.77, 0.61) == 0.61 and agreed_length_z(-3.1, -2.7) == -2.7
    assert agreed_length_z(3.5, -0.2) == 0.0 and agreed_length_z(None, 1.0) is None
    short = assess("قال المتحدث باسم الوزارة إن الوفد وصل إلى جنيف صباح اليوم.", "He said.", 0.0, Q)
    assert short.flags == ["too_short"] and min(short.scores["chars_z"], short.scores["words_z"]) < -2.5


def test_empty_output_scores_zero_and_no_source_scores_nothing() -> None:
    empty = assess("ذهب الولد إلى المدرسة.", "", -0.4, Q)
    assert empty.quality == 0.0 and empty.flags == []  # the pipeline flags empty_output
    nothing = assess("", "", None, Q)
    assert nothing.quality is None and nothing.scores["chars_ratio"] is None


def test_thresholds_come_from_the_config() -> None:
    loose = QualityConfig(max_arabic_share=0.5, max_length_z=20.0, min_logprob=-5.0)
    assert assess("قال لافروف إن روسيا لن تتدخل.", "Lavrov said Russia روسيا will not.", -0.5, loose).flags == []
    assert assess("نعم.", "Yes, and then he said many other things that nobody had asked about.", -0.2,
                  loose).flags == []
    assert assess("ذهب الولد.", "The boy went.", -3.2, loose).flags == []
    wide = dataclasses.replace(Q, chars_sd=1.0)  # a wider spread: the same ratio is fewer sd away
    z = assess("نعم.", "Yes, and then he said many other things that nobody had asked about at all.", -0.2,
               wide).scores["chars_z"]
    assert z == pytest.approx(math.log(59 / 3 / 1.25), abs=1e-4)


def test_short_sentences_get_a_wider_length_spread() -> None:
    # sd * sqrt(1 + scale / n): 26 Arabic letters, 45 English ones; with scale 104 the spread is sqrt(5) wider
    q = dataclasses.replace(Q, chars_scale=104.0)
    ar, en = "ذهب الولد إلى المدرسة في الصباح.", "The boy went to school in the morning, as he did every day."
    assert assess(ar, en, 0.0, Q).scores["chars_z"] == pytest.approx(math.log(45 / 26 / 1.25) / 0.25, abs=1e-4)
    assert assess(ar, en, 0.0, q).scores["chars_z"] == pytest.approx(
        math.log(45 / 26 / 1.25) / (0.25 * math.sqrt(5)), abs=1e-4)


def test_adequacy_replaces_the_model_confidence() -> None:
    ar, en = "ذهب الولد إلى المدرسة.", "The boy went to school."
    assert assess(ar, en, -0.4, Q, adequacy=0.5).quality == 0.5
    assert assess(ar, en, -0.4, Q).quality == pytest.approx(math.exp(-0.4), abs=1e-4)


@pytest.mark.parametrize(
    ("text", "share"),
    [("Hello مرحبا", 0.5), ("Hello", 0.0), ("2012 ...", 0.0), ("مرحبا", 1.0), ("ﻻ", 1.0)],
)
def test_arabic_share(text: str, share: float) -> None:
    assert arabic_share(text) == share


@pytest.mark.parametrize(
    ("text", "share"),
    [("a b c a b c a b c", 4 / 7), ("the cat sat", 0.0), ("one two", 0.0), ("The talks, the talks, THE TALKS", 0.5)],
)
def test_repeat_share(text: str, share: float) -> None:
    assert repeat_share(text) == pytest.approx(share)


def test_sentence_reference_scores() -> None:
    scores = sentence_reference_scores("Lavrov said Russia would not support the opposition.",
                                       "Lavrov said that Russia will not support the Syrian opposition.")
    assert scores == {"ref_bleu": pytest.approx(21.5961, abs=1e-4), "ref_chrf": pytest.approx(62.2945, abs=1e-4),
                      "ref_chrfpp": pytest.approx(61.3639, abs=1e-4), "ref_ter": 30.0}  # TER: 3 edits / 10 words
    same = sentence_reference_scores("The talks failed.", "The talks failed.")
    assert same == pytest.approx({"ref_bleu": 100.0, "ref_chrf": 100.0, "ref_chrfpp": 100.0, "ref_ter": 0.0})


def test_corpus_reference_scores_carry_sacrebleu_signatures() -> None:
    scores = corpus_reference_scores(["a b c d", "the cat sat on the mat"], ["a b c d", "the cat is on the mat"])
    assert scores["bleu"]["score"] == 53.8956 and scores["ter"]["score"] == 10.0
    assert scores["chrf"]["score"] == 66.4727 and scores["chrf++"]["score"] == 70.4889
    assert scores["bleu"]["signature"].startswith("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.")
    assert "|nw:2|" in scores["chrf++"]["signature"] and "tok:tercom" in scores["ter"]["signature"]


def test_round_trip_chrf() -> None:
    assert round_trip_chrf("ذهب الولد إلى المدرسة", "ذهب الولد إلى المدرسة") == 100.0
    assert round_trip_chrf("ذهب الولد إلى المدرسة", "xyz") == 0.0


@pytest.mark.parametrize(
    ("ar", "en", "flagged"),
    [
        ('قال "الشافعي": فإنما خاطب الله بكتابه العرب', "Al-Shāfiʿī said: God addressed the Arabs in His Book", False),
        ('وقال الوزير "لن نتدخل في شؤون الدول الأخرى".', "The minister said we would not interfere.", True),
        ('وقال الوزير "لن نتدخل في شؤون الدول الأخرى".', "The minister said: “We will not interfere.”", False),
    ],
)
def test_quotes_mismatch_needs_a_quoted_passage(ar: str, en: str, flagged: bool) -> None:
    assert ("quotes_mismatch" in assess(ar, en, -0.3, Q).flags) == flagged
