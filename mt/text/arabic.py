"""What Arabic text is made of, in one place for every module that reads it (segment, numbers, the quality checks
and word associations, the report, the aligner): letters and scripts, digits, the marks written on letters, and
the prefixes that attach to words."""

from __future__ import annotations

import re
import unicodedata

# The Arabic script's blocks: Arabic, its Supplement and Extended-A, and the presentation forms.
ARABIC_RANGES = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))
# Arabic-Indic (U+0660–U+0669) and Extended Arabic-Indic (Persian, Urdu: U+06F0–U+06F9) digits as Western ones.
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
TATWEEL = "\u0640"
# Written on letters, never letters themselves: the harakat and the other combining marks of the Arabic block
# (U+064B–U+065F: fatha, damma, kasra, tanwin, shadda, sukun, maddah, hamza above and below ...), the superscript
# (dagger) alef U+0670, and the Quranic annotation signs U+06D6–U+06ED (among them the Uthmani sukun U+06E1).
DIACRITICS = "\u064b-\u065f\u0670\u06d6-\u06ed"
_MARKS = re.compile(f"[{DIACRITICS}{TATWEEL}]")
# Letters folded before a word is looked up: alef with hamza or madda and alef wasla as bare alef, alef maqsura as
# ya, ta marbuta as ha (how they are often typed).
_FOLDED = str.maketrans("أإآٱىة", "اااايه")
# Proclitics, longest first: the conjunctions و and ف, the prepositions ب, ل and ك, the article ال, and their
# combinations. A word starting with one of these letters may also just start with it (كتاب, بيت, لعب): a caller
# strips one only where the rest is a known word or long enough to be a stem.
PREFIXES = ("وبال", "وال", "فال", "بال", "كال", "لل", "ال", "وب", "فب", "ول", "فل", "وك", "و", "ف", "ب", "ل", "ك")


def is_arabic_letter(ch: str) -> bool:
    """A letter of the Arabic script (presentation forms included; digits and marks are not letters)."""
    return ch.isalpha() and any(lo <= ord(ch) <= hi for lo, hi in ARABIC_RANGES)


def without_marks(text: str) -> str:
    """`text` without diacritics and tatweel: vocalised and bare text read the same (``وَفْقًا`` reads ``وفقا``)."""
    return _MARKS.sub("", text)


def normalize_arabic(word: str) -> str:
    """No diacritics or tatweel, bare alef, ى as ي and ة as ه: how words are looked up (number words, stems)."""
    return without_marks(word).translate(_FOLDED)


def dominant_script(text: str) -> str | None:
    """The Unicode script (first word of the character names: ARABIC, LATIN, CYRILLIC, CJK ...) of most of
    the letters; None when there are no letters."""
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            script = unicodedata.name(ch, "UNKNOWN").split(" ")[0]
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else None
