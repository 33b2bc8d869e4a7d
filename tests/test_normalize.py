"""The model's copy of the text: presentation forms folded, zero-width characters as the models' own
normalisers treat them; the original text and its offsets untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mt.records import Hypothesis
from mt.text.normalize import fold_presentation_forms, normalize_for_model, presentation_forms

NORMALISED = [
    ("ﺑﺴﻢ ﷲ", "بسم الله"),  # contextual forms of beh, seen, meem; the ligature of Allah
    ("ﻻ ﺇﻟﻪ", "لا إله"),  # lam-alef ligature; alef with hamza below, final form
    ("ﷺ", "صلى الله عليه وسلم"),  # a word ligature folds to its four words
    ("ﺍﻟﻌﺮﺑﻴﺔ ١٢٣ ½ ² ＡＢ", "العربية ١٢٣ ½ ² ＡＢ"),  # NFKC only on presentation forms: digits and signs stay
    ("كلمة\u200cمع\u200bفاصل", "كلمة مع فاصل"),  # ZWNJ and ZWSP are word boundaries, not glue
    ("ن\u200cمى", "ن مى"),  # ZWNJ between two Arabic letters: a space, as nmt_nfkc and NLLB's stopes do
    ("ك\u200dلمة", "كلمة"),  # a zero-width joiner only shapes: removed
    ("الســـلام", "السلام"),  # tatweel
    ("\u200fمرحبا\u200e  بكم", "مرحبا بكم"),  # bidi marks; one space
    ("\ufeffنص", "نص"),  # U+FEFF lies in the presentation-forms block but has no base letter: removed
    ("كَتَبَ الدَّرْسَ", "كَتَبَ الدَّرْسَ"),  # diacritics kept
    ("\u0627\u0653", "\u0622"),  # NFC composes alef + madda
]


@pytest.mark.parametrize(("text", "expected"), NORMALISED)
def test_normalize_for_model(text: str, expected: str) -> None:
    assert normalize_for_model(text) == expected


@pytest.mark.parametrize(("text", "count"), [
    ("ﺑﺴﻢ ﷲ", 4), ("بسم الله", 0), ("ﻻ", 1), ("\ufeff", 0), ("١٢٣ ½", 0), ("ﺍﻟﻌﺮﺑﻴﺔ", 7),
])
def test_presentation_forms_are_counted(text: str, count: int) -> None:
    assert presentation_forms(text) == count
    assert fold_presentation_forms(text)[1] == count


@pytest.mark.parametrize("text", ["كلمة\u200cمع\u200bفاصل", "ن\u200cمى", "ﺑﺴﻢ ﷲ", "ﻻ ﺇﻟﻪ"])
def test_the_models_sentencepiece_sees_the_same_text(tiny_marian: Path, text: str) -> None:
    """OPUS-MT's SentencePiece normaliser (nmt_nfkc, as in the tiny model) reads our copy as it reads the
    original: what we do is what the model expects, made explicit (and flagged)."""
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(tiny_marian / "source.spm"))
    assert sp.normalize(normalize_for_model(text)) == sp.normalize(text)


def test_pdf_text_is_flagged_and_offsets_stay_exact(tmp_path: Path, marian_config: Path) -> None:
    from mt.config import load_config
    from mt.engines.local import translate
    from mt.translate import load_translator

    document = "ﺑﺴﻢ ﷲ ﺍﻟﺮﺣﻤﻦ ﺍﻟﺮﺣﻴﻢ. كلمة\u200cمع\u200bفاصل في الجملة الثانية.\n"
    path = tmp_path / "pdf.txt"
    path.write_text(document, encoding="utf-8")
    config = load_config(marian_config)
    real = load_translator(config)
    seen: list[str] = []

    class Recording:
        model_id, revision, max_input_tokens = real.model_id, real.revision, real.max_input_tokens
        count_tokens = staticmethod(real.count_tokens)

        def translate_batch(self, texts: list[str]) -> list[Hypothesis]:
            seen.extend(texts)
            return real.translate_batch(texts)

    run_dir = translate(config, path, translator=Recording())  # type: ignore[arg-type]
    pairs = [json.loads(x) for x in (run_dir / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [p["ar"] for p in pairs] == ["ﺑﺴﻢ ﷲ ﺍﻟﺮﺣﻤﻦ ﺍﻟﺮﺣﻴﻢ.", "كلمة\u200cمع\u200bفاصل في الجملة الثانية."]
    assert all(document[p["start"]:p["end"]] == p["ar"] for p in pairs)
    assert [(p["start"], p["end"]) for p in pairs] == [(0, 20), (21, 52)]
    assert sorted(seen) == sorted(["بسم الله الرحمن الرحيم.", "كلمة مع فاصل في الجملة الثانية."])
    first, second = pairs
    k = first["flags"].index("presentation_forms")
    assert first["reasons"][k] == ("16 Arabic presentation-form character(s) (letter shapes as copied from a PDF) "
                                   "were read as their base letters")
    assert "presentation_forms" not in second["flags"]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["counts"]["flags"]["presentation_forms"] == 1
