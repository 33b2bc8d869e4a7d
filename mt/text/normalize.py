"""The text the model reads. Segments keep the original text and its offsets; only the model's copy is
normalised, the way the models' own preprocessing expects.

- Arabic presentation forms (U+FB50–U+FDFF, U+FE70–U+FEFF: the contextual letter shapes and ligatures text
  copied from a PDF often holds, `ﺑﺴﻢ ﷲ`) become their base letters: NFKC on those characters only, so digits,
  punctuation and letters elsewhere stay as written. No ar→en vocabulary is trained on the shapes; the pipeline
  flags such segments (`presentation_forms`) with the number of characters folded.
- Zero-width space (U+200B) and zero-width non-joiner (U+200C) become a space. This is what both model families'
  normalisers do: OPUS-MT's SentencePiece models use the default `nmt_nfkc` rule, which maps U+200B and U+200C
  to a space (`SentencePieceProcessor.normalize("كلمة\\u200cمع\\u200bفاصل") == "▁كلمة▁مع▁فاصل"`), and NLLB's
  training data went through stopes' `replace_non_printing_char`, which replaces every format character
  (category Cf, U+200B and U+200C among them) with a space. Deleting them instead glued the words together.
- Tatweel, the zero-width joiner, bidirectional marks, embeddings and isolates, the Arabic letter mark and
  U+FEFF are removed (they shape or order text on screen and carry no letters); whitespace runs become one space.
- NFC, so a letter and its combining mark reach the tokenizer composed; diacritics are kept.
"""

from __future__ import annotations

import re
import unicodedata

from mt.text.arabic import TATWEEL

PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]")
_AS_SPACE = re.compile("[\u200b\u200c]")
_REMOVED = re.compile(f"[{TATWEEL}\u061c\u200d\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")


def fold_presentation_forms(text: str) -> tuple[str, int]:
    """`text` with each Arabic presentation form replaced by its NFKC decomposition (the base letters), and
    how many characters were folded."""
    folded = 0

    def fold(match: re.Match[str]) -> str:
        nonlocal folded
        char = match.group()
        base = unicodedata.normalize("NFKC", char)
        folded += base != char
        return base

    return PRESENTATION_FORMS.sub(fold, text), folded


def presentation_forms(text: str) -> int:
    """How many characters of `text` are Arabic presentation forms with base letters to fold to."""
    return fold_presentation_forms(text)[1]


def normalize_for_model(text: str) -> str:
    """What the model reads (see the module docstring): presentation forms folded, zero-width space and
    non-joiner as spaces, invisible marks and tatweel removed, NFC, single spaces."""
    text = unicodedata.normalize("NFC", fold_presentation_forms(text)[0])
    text = _REMOVED.sub("", _AS_SPACE.sub(" ", text))
    return _SPACES.sub(" ", text).strip()
