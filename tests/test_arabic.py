"""mt.text.arabic: the one home of Arabic letters, digits, marks and prefixes, and what the modules that use it read
through it (numbers, word stems, segmentation, length)."""

from __future__ import annotations

import pytest

from mt.quality.checks import text_length
from mt.quality.lexicon import arabic_stems
from mt.text.arabic import DIGITS, dominant_script, is_arabic_letter, normalize_arabic, without_marks
from mt.text.numbers import numbers
from mt.text.segment import split_sentences


@pytest.mark.parametrize(("text", "bare"), [
    ("وَفْقًا", "وفقا"),  # harakat and tanwin
    ("هٰذا", "هذا"),  # superscript (dagger) alef
    ("خَمۡسَةُ", "خمسة"),  # the Uthmani sukun U+06E1, a Quranic annotation sign
    ("ٱلۡحَمۡدُ لِلَّهِ رَبِّ ٱلۡعَٰلَمِينَ", "ٱلحمد لله رب ٱلعلمين"),  # Quranic text: alef wasla is a letter
    ("كـــتاب", "كتاب"),  # tatweel
    ("سماء\u0653", "سماء"),  # a combining maddah
    ("آمن", "آمن"),  # ... but alef with madda is a letter
])
def test_without_marks(text: str, bare: str) -> None:
    assert without_marks(text) == bare


def test_normalize_arabic_folds_the_letters_words_are_looked_up_by() -> None:
    assert normalize_arabic("أَإِآٱ مُسْتَشْفَى مَدْرَسَة") == "اااا مستشفي مدرسه"


def test_digits() -> None:
    assert "عام ٢٠١٢ و۱۳۹۰".translate(DIGITS) == "عام 2012 و1390"  # Arabic-Indic and Persian


@pytest.mark.parametrize(("ch", "arabic"), [("ب", True), ("ﺑ", True), ("ٱ", True), ("ک", True), ("a", False),
                                            ("٣", False), ("\u064e", False), ("ܐ", False), ("б", False)])
def test_is_arabic_letter(ch: str, arabic: bool) -> None:
    assert is_arabic_letter(ch) is arabic


def test_dominant_script() -> None:
    assert dominant_script("قال Lavrov إن موسكو") == "ARABIC"
    assert dominant_script("Лавров заявил, что Москва") == "CYRILLIC"
    assert dominant_script("... 123 !") is None


def test_numbers_read_vocalised_and_quranic_text() -> None:
    """The number words' lookup strips every mark of DIACRITICS: Uthmani text writes sukun as U+06E1."""
    found = numbers("لَبِثُوا۟ خَمۡسَةَ أَيَّامٍ", "ar")
    assert [(sorted(n.values), n.hard) for n in found] == [([5.0], True)]


def test_the_length_of_vocalised_and_bare_text_is_the_same() -> None:
    assert text_length("خَمۡسَةُ أَيَّامٍ", "chars") == text_length("خمسة أيام", "chars") == 8


@pytest.mark.parametrize("opener", ["وقال", "وَقَالَ", "وَقَالَ۟", "وَفۡقًا"])
def test_segmentation_reads_a_word_with_marks_as_without(opener: str) -> None:
    """After a weak abbreviation (`إلخ.`) a sentence ends where the next word opens one (وقال, وفقا), vocalised or
    not: with Quranic signs too (U+06DF, the Uthmani sukun U+06E1)."""
    assert [s.text for s in split_sentences(f"اشترى الكتب والأقلام إلخ. {opener} إنه سعيد.")] == [
        "اشترى الكتب والأقلام إلخ.", f"{opener} إنه سعيد."]


# The prefixes are one list (PREFIXES): ك ("like, as") is a proclitic as و ف ب ل are, and the combined ones (وب, وك
# ...) come off as one. Word stems (mt score's word associations) used to take a shorter list without ك and the
# combined ones, so كمدينة and مدينة, or وبلاده and بلاده, were different words there.
@pytest.mark.parametrize(("word", "same_as"), [
    ("كمدينة", "مدينة"),  # like a city
    ("كالمدينة", "المدينة"),
    ("وبلاده", "بلاده"),  # and his country / his country
    ("وكذلك", "كذلك"),  # and likewise / likewise
])
def test_a_word_and_its_prefixed_form_have_one_stem(word: str, same_as: str) -> None:
    assert arabic_stems(word) == arabic_stems(same_as)


def test_a_prefix_comes_off_a_number_word_only_when_the_rest_is_one() -> None:
    assert [sorted(n.values) for n in numbers("كثلاثة أيام وبخمسة", "ar")] == [[3.0], [5.0]]
    assert numbers("كتاب ولست", "ar") == []  # كتاب is no ك + number; لست ("I am not") is no ل + ست (six)
