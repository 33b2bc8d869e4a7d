"""Numbers in Arabic and English sentences: digits, number words, compounds, ordinals, list markers."""

from __future__ import annotations

import pytest

from mt.text.numbers import compare, numbers


def values(text: str, lang: str) -> list[tuple[float, bool]]:
    """(value, hard) of each number, the smallest value of a number read two ways."""
    return [(min(n.values), n.hard) for n in numbers(text, lang)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("خلال (ستين) يوماً من تاريخ الإخطار", [(60, False)]),  # in brackets: soft, but it still matches
        ("لمدة اثني عشر شهراً", [(12, True)]),
        ("ثمانية عشر عاماً", [(18, True)]),
        ("أحد عشر كوكباً", [(11, True)]),
        ("الدورة التاسعة والستون", [(69, True)]),
        ("خمسة وعشرون موظفاً", [(25, True)]),
        ("مائة وخمسة وعشرون", [(125, True)]),
        ("ثلاثمائة دينار", [(300, True)]),
        ("ثلاثة آلاف دولار", [(3000, True)]),
        ("٥ ملايين نسمة", [(5_000_000, True)]),
        ("الفصل العاشر", [(10, True)]),
        ("الباب الحادي والعشرون والمئة", [(121, True)]),  # classical order: units, tens, then hundreds
        ("في القرن الحادي والعشرين", [(21, True)]),
        ("ارتفع بنسبة 50 في المائة", [(50, True)]),  # في المائة is "per cent", not 100
        ("زاد بنسبة ٢٫٥ بالمئة", [(2.5, True)]),
        ("الأول والثاني", [(1, False), (2, False)]),  # a list, not 1 + 2; first and second are soft
        ("واحد واثنان وثلاثة", [(1, False), (2, False), (3, True)]),
        ("لست أدري", []),  # لست is "I am not", not "for six"
        ("آلاف الأشخاص", []),  # "thousands of people"
        ("عملية تدمير المرافق الاثنى عشر", [(12, True)]),
        ("وبثلاث مراجعات لحسابات المكاتب القطرية", [(3, True)]),  # و + ب before the number
        ("خطة عمل خمسية", [(5, False)]),  # an adjective made from a number: a five-year plan
        ("عقد اجتماع ثلاثي", [(3, False)]),  # ... or a tripartite meeting, with no number in English
    ],
)
def test_arabic_numbers(text: str, expected: list[tuple[float, bool]]) -> None:
    assert values(text, "ar") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("within 60 days", [(60, True)]),
        ("Sixty-ninth session", [(69, True)]),
        ("one hundred and twenty-five", [(125, True)]),
        ("two thousand and fourteen", [(2014, True)]),
        ("a three-year period", [(3, True)]),
        ("$1.5 million", [(1_500_000, True)]),
        ("116,000 followers", [(116_000, True)]),
        ("Chapter VIII of the Charter", [(8, False)]),  # Roman numerals stand for Arabic ordinals: soft
        ("one of the members", [(1, False)]),
        ("a third of the population", []),  # a fraction
        ("the languages.3 It", []),  # a footnote call
        ("one-sixth of the estate", []),  # a fraction, Arabic السدس
        ("nine-tenths of the amount", [(9, True)]),  # تسعة أعشار: the nine is a number
        ("disclosed to third parties", [(3, False)]),  # idioms: soft
        ("a second-hand car", []),
        ("at the eleventh hour", [(11, False)]),
        ("dating back to the early 1960s", [(1960, False)]),  # a decade: الستينيات
    ],
)
def test_english_numbers(text: str, expected: list[tuple[float, bool]]) -> None:
    assert values(text, "en") == expected


@pytest.mark.parametrize(
    ("ar", "en"),
    [
        ("١٠ - اتفقت اللجنة على تنظيم خمس مناقشات", "The Commission agreed to organize five discussions"),
        ("10- اتفقت اللجنة على تنظيم خمس مناقشات", "10. The Commission agreed to organize five discussions"),
        ("(أ) تقديم الدعم التقني", "(a) Provision of technical support"),
        ("أولاً: الأحكام العامة", "I. General provisions"),
        ("ثانياً - نطاق التطبيق", "Second, the scope of application"),
        ("2-1 زيادة الكفاءة في تقديم الخدمات", "2.1 Increased efficiency in service delivery"),
        ("'3` حشد الموارد المالية", "Mobilization of financial resources"),  # a UN sub-item mark
    ],
)
def test_list_markers_are_never_missing_or_added(ar: str, en: str) -> None:
    missing, added, _ = compare(ar, en)
    assert (missing, added) == ([], [])


@pytest.mark.parametrize(
    ("ar", "en", "missing", "added"),
    [
        ("خلال (ستين) يوماً", "within 60 days", [], []),
        ("مدة (اثني عشر) شهراً", "a period of 12 months", [], []),
        ("الساعة 00:11", "at 11 a.m.", [], []),  # a time, its digits stored in reverse
        ("الساعة 15:00", "at 3 p.m.", [], []),
        ("مبلغ 000 116 دولار", "$116,000", [], []),  # thousands groups in reverse
        ("في عام 1988", "In 1998", ["1988"], ["1998"]),
        ("بمبلغ 000 100 دولار", "a fixed amount of $110,000", ["000 100"], ["110,000"]),
        ("رطلاً من الماء", "1 ratl of water", [], []),  # 1 and 2: said by a singular or dual noun
        ("ثم تكويه ثلاث كيات", "then cauterize him", ["ثلاث"], []),
    ],
)
def test_compare(ar: str, en: str, missing: list[str], added: list[str]) -> None:
    got_missing, got_added, _ = compare(ar, en)
    assert [n.text for n in got_missing] == missing and [n.text for n in got_added] == added


def test_hundreds_join_by_conjunction_or_multiply() -> None:
    assert values("الباب الحادي والمئة", "ar") == [(101, True)]  # classical: one and a hundred
    assert values("ثلاث مائة فارس", "ar") == [(300, True)]
    assert compare("الباب الحادي والمئة: عمل الخشكنانج", "101. Making dry cookies")[:2] == ([], [])


# Real pairs of legal and UN text whose English says an idiom, a fraction, a decade or a length with a number word
# the source holds no number for (or holds in another form), beside pairs whose English adds a real number.
@pytest.mark.parametrize(
    ("ar", "en", "missing", "added"),
    [
        ("لا يجوز للمستأجر أن يؤجر العين المؤجرة إلى الغير.", "The lessee may not sublet the leased property to "
         "third parties.", [], []),
        ("قبل أي تبادل للمعلومات الشخصية مع أطراف أخرى.", "before sharing personal information with third-party "
         "companies.", [], []),
        ("ويلتزم الطرف الثالث بالسرية.", "The third party is bound by confidentiality.", [], []),  # still matches
        ("باع سيارته المستعملة.", "He sold his second-hand car.", [], []),
        ("تم التوصل إلى الاتفاق في اللحظة الأخيرة.", "The agreement was reached at the eleventh hour.", [], []),
        ("ولأبيه السدس.", "And his father gets one-sixth.", [], []),
        ("يرجع تاريخها إلى أوائل الستينيات من القرن الماضي.", "They date back to the early 1960s.", [], []),
        ("وخطة عمل خمسية تدرج في الميزانية.", "and a five-year budgeted plan of action.", [], []),
        ("والإطار العشري للبرامج المتعلقة بالاستهلاك والإنتاج المستدامين.",
         "the 10-year framework of programmes on sustainable consumption and production.", [], []),
        ("وبثلاث مراجعات لحسابات المكاتب القطرية.", "three country office audits.", [], []),
        ("عقد الاجتماع الثلاثي في جنيف.", "The tripartite meeting was held in Geneva.", [], []),  # soft: not missing
        # a length in years that the source gives as its first and last year
        ("تضاعف عدد السكان بين عامي 2008 و2015.", "Between 2008 and 2015, a seven-year span, the population "
         "doubled.", [], []),
        ("تضاعف عدد السكان بين عامي 2008 و2015.", "The population doubled in 7 years, from 2008 to 2015.", [], []),
        ("تضاعف عدد السكان خلال الفترة الماضية.", "The population doubled over a seven-year span.", [],
         ["seven-year"]),
        ("تضاعف عدد السكان بين عامي 2008 و2015.", "Between 2008 and 2015, a nine-year span, the population "
         "doubled.", [], ["nine-year"]),
        ("بنيت مدن جديدة بين عامي 2008 و2015.", "Seven new towns were built between 2008 and 2015.", [],
         ["Seven"]),  # as many as the years between, but no length in years
        # a number the source does not have is still added
        ("قتل جنود في الهجوم على الموقع.", "3 soldiers were killed in the attack on the position.", [], ["3"]),
        ("قتل جنود في الهجوم على الموقع.", "Three soldiers were killed in the attack on the position.", [],
         ["Three"]),
        ("لا يجوز إحالة العقد إلى الغير.", "The contract may not be assigned to three parties.", [], ["three"]),
    ],
)
def test_idioms_fractions_and_lengths_add_no_number(ar: str, en: str, missing: list[str], added: list[str]) -> None:
    got_missing, got_added, _ = compare(ar, en)
    assert [n.text for n in got_missing] == missing and [n.text for n in got_added] == added
