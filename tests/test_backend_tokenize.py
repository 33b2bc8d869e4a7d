"""The ct2 backend's own tokenizers (sentencepiece for Marian, tokenizers for NLLB) against transformers'."""

from __future__ import annotations

from pathlib import Path

import pytest

from mt.text.normalize import normalize_for_model
from mt.text.segment import split_sentences
from mt.translate.tokenize import load_tokenizer
from tests.conftest import SEED_ARTICLE

TEXTS = [
    "نفى المتحدث باسم وزارة الخارجية الروسية صحة ما أشيع.",
    "وقال لوكاشيفيتش للصحفيين في موسكو: \"لا\"، ثم غادر (في 26 تشرين الثاني/نوفمبر ٢٠١٢).",
    "نعم.",
    "",
    "Hello, world. It's 3.5% of U.S. output!",
    "نعم </s> لا <unk>",  # special tokens written in the text stay whole, as in transformers
    ">>fra<< مرحبا",  # a Marian target-language code
    "ﷺ\u200f ١٢٣٫٥ x\tyـــ",
]


def seed_segments() -> list[str]:
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    return [normalize_for_model(s.text) for s in split_sentences(text, repair_glued=True)]


def pair(family: str, folder: Path) -> tuple[object, object]:
    from transformers import AutoTokenizer

    theirs = AutoTokenizer.from_pretrained(folder)
    if family == "m2m_100":
        theirs.src_lang = "arb_Arab"
    return theirs, load_tokenizer(folder, family, "arb_Arab")


@pytest.mark.parametrize("family", ["marian", "m2m_100"])
def test_same_ids_tokens_and_text_as_transformers(family: str, request: pytest.FixtureRequest) -> None:
    folder = request.getfixturevalue("tiny_marian" if family == "marian" else "tiny_nllb")
    theirs, ours = pair(family, folder)
    texts = TEXTS + seed_segments()
    assert len(texts) == len(TEXTS) + 12
    for text in texts:
        ids = theirs(text, add_special_tokens=True)["input_ids"]  # type: ignore[operator]
        assert ours.ids(text) == ids, text  # type: ignore[attr-defined]
        assert ours.tokens(text) == theirs.convert_ids_to_tokens(ids), text  # type: ignore[attr-defined]
        expected = theirs.decode(ids, skip_special_tokens=True).strip()  # type: ignore[attr-defined]
        assert ours.decode_ids(ids) == expected  # type: ignore[attr-defined]
        assert ours.decode(theirs.convert_ids_to_tokens(ids)) == expected  # type: ignore[attr-defined]


@pytest.mark.parametrize("family", ["marian", "m2m_100"])
def test_target_side_tokens_are_transformers_text_target(family: str, request: pytest.FixtureRequest) -> None:
    folder = request.getfixturevalue("tiny_marian" if family == "marian" else "tiny_nllb")
    theirs, ours = pair(family, folder)
    for text in ["The spokesman denied the reports on Thursday.", "Yes </s> no, 3.5%!", "", "نعم"]:
        ids = theirs(text_target=text, add_special_tokens=False)["input_ids"]  # type: ignore[operator]
        assert ours.target_tokens(text) == theirs.convert_ids_to_tokens(ids), text  # type: ignore[attr-defined]


def test_nllb_source_language_comes_first_and_the_end_token_last(tiny_nllb: Path) -> None:
    theirs, ours = pair("m2m_100", tiny_nllb)
    tokens = ours.tokens("نعم.")  # type: ignore[attr-defined]
    assert tokens[0] == "arb_Arab" and tokens[-1] == "</s>"
    assert ours.token_id("eng_Latn") == theirs.convert_tokens_to_ids("eng_Latn")  # type: ignore[attr-defined]
    assert ours.token_id("xyz_Abcd") is None  # type: ignore[attr-defined]
    english = load_tokenizer(tiny_nllb, "m2m_100", "eng_Latn")
    assert english.tokens("Yes.")[0] == "eng_Latn"


def test_marian_pad_is_the_last_id_and_decodes_to_nothing(tiny_marian: Path) -> None:
    """OPUS-MT starts the decoder from <pad>, the last id; an output that begins with it (as generate's does)
    decodes to the same text as transformers gives."""
    import torch
    from transformers import AutoModelForSeq2SeqLM

    theirs, ours = pair("marian", tiny_marian)
    model = AutoModelForSeq2SeqLM.from_pretrained(tiny_marian)
    pad = theirs.pad_token_id  # type: ignore[attr-defined]
    assert model.config.decoder_start_token_id == pad == len(ours.vocab) - 1  # type: ignore[attr-defined]
    inputs = theirs(TEXTS[:3], return_tensors="pt", padding=True)  # type: ignore[operator]
    with torch.inference_mode():
        out = model.generate(**inputs, num_beams=2, max_new_tokens=10).tolist()
    for row in out:
        assert row[0] == pad
        expected = theirs.decode(row, skip_special_tokens=True).strip()  # type: ignore[attr-defined]
        assert ours.decode_ids(row) == expected  # type: ignore[attr-defined]
    assert ours.decode(["<pad>", "</s>"]) == ""  # type: ignore[attr-defined]


def test_a_model_without_tokenizer_files_is_a_clear_error(tmp_path: Path) -> None:
    from mt.errors import MtError

    with pytest.raises(MtError, match="has no tokenizer files"):
        load_tokenizer(tmp_path, "marian", "arb_Arab")
