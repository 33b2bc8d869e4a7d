"""Numbers in Arabic and English sentences, as values: digits, number words, compounds and ordinals.

`خلال (ستين) يوماً` holds 60 as surely as `within 60 days` does, `التاسعة والستون` is 69 like `sixty-ninth`,
and `ثلاثة آلاف` is 3000. Each number is marked *hard* (written in digits, or a word of value 3 or more) or
*soft* (one, two, first, second: Arabic says them with a dual or an article as often as with a word, and English
`one` is also a pronoun); only hard numbers can be missing or added. List markers at the start of a sentence
(`10 -`, `(أ)`, `1.`, `أولاً:`) and English footnote calls (`languages.3`) are not numbers of the sentence:
translations keep or drop them freely. Pure Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mt.text.arabic import DIGITS, PREFIXES, normalize_arabic

_TENS = {"عشرون": 20, "ثلاثون": 30, "اربعون": 40, "خمسون": 50, "ستون": 60, "سبعون": 70, "ثمانون": 80,
         "تسعون": 90}
_UNITS = {"ثلاث": 3, "اربع": 4, "خمس": 5, "ست": 6, "سبع": 7, "ثمان": 8, "ثماني": 8, "تسع": 9, "عشر": 10}
_ORDINALS = {"ثالث": 3, "رابع": 4, "خامس": 5, "سادس": 6, "سابع": 7, "ثامن": 8, "تاسع": 9, "عاشر": 10}
# Adjectives made from a number (خطة خمسية: a five-year plan, اجتماع ثلاثي: a tripartite meeting): soft, since
# English says them with a number (five-year, three-way) as often as without (tripartite, quinquennial).
_DERIVED = {"ثلاثي": 3, "رباعي": 4, "خماسي": 5, "خمسي": 5, "سداسي": 6, "سباعي": 7, "عشري": 10}


def _arabic_words() -> dict[str, float]:
    """Normalised Arabic number words (no diacritics, bare alef, final ه for ة) and their values."""
    words: dict[str, float] = {"صفر": 0, "واحد": 1, "واحده": 1, "احدي": 1, "حادي": 1, "حاديه": 1,
                               "اول": 1, "اولي": 1, "اولا": 1, "ثاني": 2, "ثانيه": 2, "ثانيا": 2,
                               "اثنان": 2, "اثنين": 2, "اثنتان": 2, "اثنتين": 2, "اثنا": 2, "اثني": 2,
                               "اثنتا": 2, "اثنتي": 2, "مائه": 100, "مئه": 100, "مائتان": 200, "مائتين": 200,
                               "مئتان": 200, "مئتين": 200, "الف": 1000, "الفا": 1000, "الفان": 2000,
                               "الفين": 2000, "الاف": 1000, "مليون": 1e6, "مليونا": 1e6, "ملايين": 1e6,
                               "مليار": 1e9, "مليارا": 1e9, "مليارات": 1e9, "بليون": 1e9, "بلايين": 1e9,
                               "الفي": 2000, "مليونان": 2e6, "مليونين": 2e6, "مليوني": 2e6}
    for word, value in _TENS.items():
        words[word] = value
        words[word[:-2] + "ين"] = value  # عشرين, ستين
    for word, value in _UNITS.items():
        words[word] = words[word + "ه"] = words[word + "ا"] = value  # ثلاث, ثلاثة, ثلاثاً
        if value < 10:
            words[word + "مائه"] = words[word + "مئه"] = value * 100  # ثلاثمائة
    for word, value in _ORDINALS.items():
        words[word] = words[word + "ه"] = words[word + "ا"] = value  # ثالث, ثالثة, ثالثاً
    for word, value in _DERIVED.items():
        words[word] = words[word + "ه"] = value  # خطة خمسية: a five-year plan
    return words


_AR_WORDS = _arabic_words()
_AR_MULTIPLIERS = {"الاف": 1000, "الف": 1000, "الفا": 1000, "مليون": 1e6, "ملايين": 1e6, "مليونا": 1e6,
                   "مليار": 1e9, "مليارا": 1e9, "مليارات": 1e9, "بليون": 1e9, "بلايين": 1e9}
_AR_PLURALS = {"الاف", "ملايين", "مليارات", "بلايين"}  # "thousands" alone is no number; "ثلاثة آلاف" is 3000

_EN_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
             "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_EN_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_EN_ORDINALS = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
                "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
                "seventeenth", "eighteenth", "nineteenth"]


def _english_words() -> dict[str, float]:
    words: dict[str, float] = {}
    for value, (cardinal, ordinal) in enumerate(zip(_EN_UNITS, _EN_ORDINALS)):
        words[cardinal] = words[ordinal] = value
    for k, tens in enumerate(_EN_TENS):
        words[tens] = words[tens[:-1] + "ieth"] = 20 + 10 * k
    words.update({"firstly": 1, "secondly": 2, "thirdly": 3, "fourthly": 4, "fifthly": 5, "hundred": 100,
                  "hundredth": 100, "thousand": 1000, "thousandth": 1000, "million": 1e6, "billion": 1e9,
                  "trillion": 1e12})
    return words


_EN_WORDS = _english_words()
_EN_MULTIPLIERS = {"thousand": 1000, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_SOFT_WORDS = {"one", "two", "first", "second", "firstly", "secondly", "zero"}
_AR_SOFT = {"صفر", "واحد", "واحده", "احدي", "اول", "اولي", "اولا", "ثاني", "ثانيه", "ثانيا", "اثنان", "اثنين",
            "اثنتان", "اثنتين", *_DERIVED, *(word + "ه" for word in _DERIVED)}

_TOKEN = re.compile(r"\d+(?:[.,٫٬]\d+)*|[^\W\d_]+(?:-[^\W\d_]+)*")
# A list marker or paragraph number opening a sentence: "10 -", "١ -", "10-", "2-1", "(أ)", "(a)", "1.", "2.1 ",
# "(iv)", "'3`", "أولاً:", "First,". Arabic is matched after normalize_arabic (no diacritics, bare alef).
_LIST_MARKER = re.compile(
    r"^\s*(?:[(\[]\s*(?:\d{1,3}|[ivxlc]{1,6}|\w)\s*[)\]]|['‘`]\d{1,2}['’`]|\d{1,3}(?:[.\-]\d{1,3})*\s*[-–.)](?!\d)"
    r"|\d{1,2}(?:[.\-]\d{1,2})+(?=\s+[A-Z\u0600-\u06ff])|[ivxlc]{1,6}\s*[.)]"
    r"|(?:اولا|ثانيا|ثالثا|رابعا|خامسا|سادسا|سابعا|ثامنا|تاسعا|عاشرا)\s*[:–-]?"
    r"|(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)(?:ly)?\s*[,:])\s*",
    re.IGNORECASE,
)
# An English footnote call glued to a word or its punctuation: "languages.3", "Convention,12".
_FOOTNOTE = re.compile(r"(?<=[a-z])([.,;:)”\"]?)\d{1,3}(?=\s|$)")
_PER_CENT = re.compile(r"(?:في\s+|ب)ال?م[ا]?ئه")  # في المائة, بالمئة: "per cent", not the number 100
_ELEVEN = re.compile(r"\bاحد(?=\s+عشر)")  # أحد عشر: 11 (أحد alone is "anyone")
# Digits, number words, and the marks around them: a time (10:00, 00/10, 10.10 a.m.), a sub-item ('3`).
_TOKEN = re.compile(
    r"(?P<time>\d{1,2}[:/]\d{2}\b|\d{1,2}[.:]\d{2}\s*[ap]\.?m\b\.?)"
    r"|(?P<time4>\d{4}(?=\s+hours\b))|(?P<digits>\d+(?:[.,٫٬]\d+)*(?:\s\d{1,3}\b(?![.,٫٬]\d))*)|(?P<word>[^\W\d_]+(?:-[^\W\d_]+)*)|(?P<mark>['‘`’])"
)
# English idioms whose ordinal or number is no quantity of the source: a third party (legal Arabic الغير), third
# States, the Third World, second-hand, the eleventh hour, a sixth sense. Soft: they match a source number, never
# add one.
_EN_IDIOMS = re.compile(
    r"\bthird[- ](?:part(?:y|ies)|states?|countr(?:y|ies))\b|\bthird world\b"
    r"|\b(?:first|second|third)[- ]?hand(?:ed)?\b|\beleventh hour\b|\bsixth sense\b",
    re.IGNORECASE,
)
# One part written with a hyphen (one-third, one-sixth): Arabic says it with a noun (الثلث, السدس), not a number
# word; in nine-tenths (تسعة أعشار) the nine stays a number.
_EN_FRACTION = re.compile(
    r"\bone-(?:third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|twentieth|hundredth|thousandth)\b",
    re.IGNORECASE,
)
_DECADE = re.compile(r"\d{3}0s\b")  # the 1960s: الستينيات, a period rather than a number
# A span of years said as a length (a seven-year span, 7 years) where the source gives its first and last year.
_YEARS_AFTER = re.compile(r"(?:-|\s+)years?\b", re.IGNORECASE)
_ROMAN = re.compile(r"^(?=[MDCLXVI]{2,}$|[VX]$)M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_ROMAN_VALUES = {"M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1}


@dataclass(frozen=True, slots=True)
class Number:
    """One number of a sentence: the values it may stand for (a time or a spaced group can be read two ways),
    how it was written, and whether it must be matched (`hard`)."""

    values: frozenset[float]
    text: str
    hard: bool


def _digits_values(token: str, lang: str) -> list[set[float]]:
    """The numbers a run of digit groups stands for: `116 000` is one number, and in Arabic, whose groups may
    come out in reverse, so is `000 116`; `2014 15` is two."""
    groups = token.split(" ")
    if len(groups) == 1:
        return [{_plain_value(token)}]
    values = set()
    if all(len(g) == 3 for g in groups[1:]) and not (groups[0].startswith("0") and len(groups[0]) > 1):
        values.add(_plain_value("".join(groups)))
    if lang == "ar" and all(len(g) == 3 for g in groups[:-1]):
        values.add(_plain_value("".join(reversed(groups))))
    return [values] if values else [{_plain_value(g)} for g in groups]


def _plain_value(token: str) -> float:
    token = token.replace("٫", ".").replace("٬", ",")
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", token):
        token = token.replace(",", "")
    token = token.replace(",", ".")
    if token.count(".") > 1:  # 12.08.2014: a date, compared as written
        return float(token.replace(".", ""))
    return float(token)


def _time_values(token: str) -> set[float]:
    """The hour (on a 12-hour clock) and minutes of a time, in either order: Arabic text often stores 10:00
    as 00:10."""
    digits = re.findall(r"\d+", token)
    a, b = (int(digits[0][:2]), int(digits[0][2:])) if len(digits) == 1 else (int(digits[0]), int(digits[1]))
    return {h % 12 + m / 100 for h, m in ((a, b), (b, a)) if h <= 24 and m < 60}


def _roman(token: str) -> float | None:
    if not _ROMAN.match(token):
        return None
    total = 0
    for k, ch in enumerate(token):
        value = _ROMAN_VALUES[ch]
        total += -value if k + 1 < len(token) and _ROMAN_VALUES[token[k + 1]] > value else value
    return float(total)


def _arabic_word(token: str) -> str | None:
    word = normalize_arabic(token)
    if word in _AR_WORDS:
        return word
    for prefix in PREFIXES:
        rest = word[len(prefix):]
        # لست is "I am not", not "for six": a one-letter preposition needs a longer word after it
        if word.startswith(prefix) and rest in _AR_WORDS and (len(rest) > 2 or "ال" in prefix or prefix == "و"):
            return rest
    return None


def _english_parts(token: str) -> list[str] | None:
    """The number words of an English token: `sixty-ninth`, and the leading ones of `three-year`."""
    parts = token.lower().split("-")
    k = 0
    while k < len(parts) and parts[k] in _EN_WORDS:
        k += 1
    return parts[:k] if k == len(parts) or k and parts[k - 1] not in ("first", "second") else None


def numbers(text: str, lang: str) -> list[Number]:
    """The numbers of an Arabic (`lang="ar"`) or English (`"en"`) sentence.

    Consecutive number words make one number (`مائة وخمسة وعشرون` 125, `two thousand and fourteen` 2014); a
    multiplier word after digits scales them (`5 ملايين`, `1.5 million`). Soft, so never missing or added on
    their own: one/two/first/second and their Arabic forms, a list marker opening the sentence, numbers in
    brackets (translators add and drop dates and references there), times, UN sub-items (`'3`), Roman
    numerals (`Chapter VIII`, which stand for Arabic ordinals). English footnote calls (`languages.3`) are
    left out."""
    text = text.translate(DIGITS)
    if lang == "ar":
        text = _ELEVEN.sub("حادي", _PER_CENT.sub(" ", normalize_arabic(text)))
    out: list[Number] = []
    marker = _LIST_MARKER.match(text)
    if marker:
        for m in re.finditer(r"\d+", marker.group()):
            out.append(Number(frozenset({float(m.group())}), m.group(), False))
        text = text[marker.end():]
    idioms: list[tuple[int, int]] = []
    if lang == "en":
        text = _EN_FRACTION.sub(lambda f: " " * len(f.group()), _FOOTNOTE.sub(r"\1 ", text))
        idioms = [f.span() for f in _EN_IDIOMS.finditer(text)] + [f.span() for f in _DECADE.finditer(text)]
    depth_at = _bracket_depths(text)
    matches = list(_TOKEN.finditer(text))
    tokens = [m.group() for m in matches]
    i = 0
    while i < len(matches):
        m = matches[i]
        # in brackets (translators add and drop dates there) or in an idiom: soft
        bracketed = depth_at[m.start()] > 0 or any(a <= m.start() < b for a, b in idioms)
        if m.lastgroup == "mark":
            i += 1
            continue
        if m.lastgroup in ("time", "time4"):
            out.append(Number(frozenset(_time_values(m.group())), m.group(), False))
            i += 1
            continue
        if m.lastgroup == "digits":
            readings = _digits_values(m.group(), lang)
            sub_item = 0 < i and tokens[i - 1] in "'‘`" and i + 1 < len(tokens) and tokens[i + 1] in "'’`"
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            mult = _AR_MULTIPLIERS.get(_arabic_word(nxt) or "") if lang == "ar" else _EN_MULTIPLIERS.get(nxt.lower())
            if mult:
                readings[-1] = {v * mult for v in readings[-1]}
                i += 1
            for values in readings:
                # 1 and 2 are as often said by an Arabic singular or dual noun as by a numeral (رطلاً, 1 ratl)
                small = values <= {1.0, 2.0}
                out.append(Number(frozenset(values), m.group(), not (bracketed or sub_item or small)))
            i += 1
            continue
        roman = _roman(m.group()) if lang == "en" else None
        if roman is not None:
            out.append(Number(frozenset({roman}), m.group(), False))
            i += 1
            continue
        group, j = _word_group(tokens, i, lang)
        if group is None:
            i += 1
            continue
        value, words = group
        alone = len(words) == 1
        if lang == "en" and alone and i > 0 and tokens[i - 1].lower() in ("a", "one", "two", "three") \
                and words[0].endswith(("th", "rd")):  # a third, two fifths: fractions
            i = j
            continue
        if not (alone and lang == "ar" and words[0] in _AR_PLURALS):  # آلاف alone is "thousands"
            soft = bracketed or alone and (words[0] in _SOFT_WORDS or words[0] in _AR_SOFT or value >= 1000)
            out.append(Number(frozenset({value}), " ".join(tokens[i:j]), not soft))
        i = j
    return out


def _bracket_depths(text: str) -> list[int]:
    depths, depth = [], 0
    for ch in text:
        depth = max(0, depth + (ch in "([") - (ch in ")]"))
        depths.append(depth)
    return depths


def _joins(lang: str, previous: float, total: float, token: str) -> bool:
    """Whether a number word continues the number before it (`previous`: the last word's value, `total`: the
    number so far). Arabic joins units and tens with و (خمسة وعشرون), the teen عشر, hundreds in either order
    (مائة وخمسة, الرابع والمئة) and multipliers (ثلاثة آلاف), but not a list (الأول والثاني, واحد واثنان);
    English joins hyphens and `and` (handled by the caller), hundreds, multipliers and a unit after a ten."""
    if lang == "ar":
        word = _arabic_word(token) or ""
        value = _AR_WORDS.get(word, 0)
        if word in ("عشر", "عشره") and previous < 10 or word in _AR_MULTIPLIERS or word in ("مائه", "مئه") \
                and previous < 10:
            return True
        if not normalize_arabic(token).startswith("و"):
            return False
        ascending_hundred = value % 100 == 0 and 100 <= value < 1000 and total < 100  # الحادي والعشرون والمئة
        return (value in _TENS.values() and previous < 10) or ascending_hundred \
            or (total >= 100 and value < 100) or (total >= 1000 and value < 1000)
    word = token.lower().split("-")[0]
    return word in _EN_MULTIPLIERS or word == "hundred" or (previous in (20, 30, 40, 50, 60, 70, 80, 90)
                                                           and _EN_WORDS.get(word, 99) < 10)


def _word_group(tokens: list[str], i: int, lang: str) -> tuple[tuple[float, list[str]] | None, int]:
    """The number spelled by the words from `i` on, and the index after them."""
    table = _AR_WORDS if lang == "ar" else _EN_WORDS
    multipliers = _AR_MULTIPLIERS if lang == "ar" else _EN_MULTIPLIERS
    words: list[str] = []
    total, current = 0.0, 0.0
    j = i
    while j < len(tokens):
        token = tokens[j]
        if lang == "ar":
            word = _arabic_word(token)
            if word is None or words and not _joins(lang, table[words[-1]], total + current, token):
                break
            parts = [word]
        else:
            if token.lower() == "and" and words and words[-1] in ("hundred", "thousand", "million", "billion") \
                    and j + 1 < len(tokens) and _english_parts(tokens[j + 1]):
                j += 1
                continue
            if token.lower() == "a" and not words and j + 1 < len(tokens) \
                    and tokens[j + 1].lower() in ("hundred", "thousand", "million"):
                j += 1
                continue
            found = _english_parts(token)
            if found is None or words and tokens[j - 1].lower() != "and" \
                    and not _joins(lang, table[words[-1]], total + current, token):
                break
            parts = found
        for word in parts:
            value = table[word]
            if word in multipliers:
                total += (current or 1) * value
                current = 0.0
            elif value == 100 and 0 < current < 100 and lang == "en":
                current *= 100
            elif 0 < current < 10 and lang == "ar" and word in ("مائه", "مئه") \
                    and not normalize_arabic(token).startswith("و"):
                current *= 100  # ثلاث مائة (but الحادي والمئة is 101)
            else:
                current += value
        words.extend(parts)
        j += 1
    if not words:
        return None, i + 1
    return (total + current, words), j


def compare(ar: str, en: str) -> tuple[list[Number], list[Number], int]:
    """The Arabic hard numbers whose value the English lacks, the English hard numbers the Arabic lacks,
    and how many numbers of the Arabic the English matches."""
    src, out = numbers(ar, "ar"), numbers(en, "en")
    src_values = frozenset().union(*(n.values for n in src))
    out_values = frozenset().union(*(n.values for n in out))
    missing = [n for n in src if n.hard and not n.values & out_values]
    added = [n for n in out if n.hard and not n.values & src_values and not _years_between(n, en, src_values)]
    return missing, added, sum(bool(n.values & out_values) for n in src)


def _years_between(number: Number, en: str, src_values: frozenset[float]) -> bool:
    """Whether `number` is a length in years (a seven-year span, 7 years) that the source gives as its first and
    last year (من 2008 إلى 2015): the years between them, or counted with both ends."""
    if not _YEARS_AFTER.search(number.text) and not any(
            _YEARS_AFTER.match(en, m.end()) for m in re.finditer(r"(?<![\w.,-])" + re.escape(number.text), en)):
        return False
    years = [v for v in src_values if 1000 <= v <= 2200 and v.is_integer()]
    return any(0 < b - a <= 100 and {b - a, b - a + 1} & number.values for a in years for b in years)
