"""The hf backend on tiny real Marian and NLLB models built offline."""

from __future__ import annotations

import dataclasses
import platform
import sys
from pathlib import Path

import pytest

from mt.backends import language_id, load_translator
from mt.config import load_config
from mt.errors import ConfigError

SENTENCES = [
    "نفى المتحدث باسم وزارة الخارجية الروسية صحة ما أشيع.",
    "وقال لوكاشيفيتش للصحفيين في موسكو.",
    "نعم.",
]


def test_nllb_tokenizer_knows_the_language_codes(tiny_nllb: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_nllb)
    for code in ("eng_Latn", "arb_Arab"):
        assert tok.convert_tokens_to_ids(code) != tok.unk_token_id


def test_nllb_forces_the_target_language_as_first_token(nllb_config: Path) -> None:
    translator = load_translator(load_config(nllb_config))
    eng = translator.tokenizer.convert_tokens_to_ids("eng_Latn")
    assert translator.forced_bos == eng
    inputs = translator.tokenizer(SENTENCES[:1], return_tensors="pt")
    assert inputs["input_ids"][0, 0].item() == translator.tokenizer.convert_tokens_to_ids("arb_Arab")
    out = translator.model.generate(**inputs, num_beams=2, max_new_tokens=5, forced_bos_token_id=translator.forced_bos)
    # generated sequence = [decoder start (</s>), target language, ...]
    assert out[0, 1].item() == eng


def test_a_language_code_the_model_lacks_is_a_config_error(nllb_config: Path) -> None:
    translator = load_translator(load_config(nllb_config))
    with pytest.raises(ConfigError, match="key 'tgt_lang' is 'xyz_Abcd', which model .* does not know"):
        language_id(translator.tokenizer, "xyz_Abcd", "tgt_lang", "c.yaml", translator.model_id)


@pytest.mark.parametrize("fixture", ["marian_config", "nllb_config"])
def test_translate_batch_gives_text_score_and_tokens(fixture: str, request: pytest.FixtureRequest) -> None:
    translator = load_translator(load_config(request.getfixturevalue(fixture)))
    hyps = translator.translate_batch(SENTENCES)
    assert len(hyps) == len(SENTENCES)
    for hyp in hyps:
        assert isinstance(hyp.text, str)
        assert 1 <= hyp.n_tokens <= 12
        assert hyp.score < 0  # a mean log-probability


def test_score_is_the_mean_log_probability_of_the_output(marian_config: Path) -> None:
    """Rescoring the chosen output with one forward pass gives back the reported score."""
    import torch

    translator = load_translator(load_config(marian_config))
    [hyp] = translator.translate_batch(SENTENCES[1:2])
    tok, model = translator.tokenizer, translator.model
    inputs = tok(SENTENCES[1:2], return_tensors="pt")
    out = model.generate(**inputs, num_beams=2, max_new_tokens=12)
    target = out[:, 1:]
    with torch.no_grad():
        logits = model(**inputs, decoder_input_ids=out[:, :-1]).logits
    logp = torch.log_softmax(logits, -1).gather(-1, target.unsqueeze(-1)).squeeze(-1)[0]
    length = hyp.n_tokens
    assert float(logp[:length].mean()) == pytest.approx(hyp.score, abs=1e-4)


def test_input_limit_is_the_smaller_of_config_and_model(marian_config: Path) -> None:
    translator = load_translator(load_config(marian_config))
    assert translator.max_input_tokens == 48  # config 48 < tokenizer limit 64 < 128 positions
    assert translator.count_tokens(["نعم."]) == [len(translator.tokenizer("نعم.")["input_ids"])]


def test_a_local_folder_that_is_not_a_model(tmp_path: Path) -> None:
    from mt.errors import MtError
    from tests.conftest import write_config

    (tmp_path / "empty").mkdir()
    path = write_config(tmp_path / "c.yaml", name="x", model="./empty")
    with pytest.raises(MtError, match="could not be loaded"):
        load_translator(load_config(path))


def test_unknown_backend_lists_the_available_ones() -> None:
    from mt.config import Config

    config = Config(name="x", model="m/m", backend="ct3")
    with pytest.raises(ConfigError, match="unknown backend 'ct3'; available: auto, ct2, hf"):
        load_translator(config)


@pytest.mark.parametrize("fixture", ["marian_config", "nllb_config"])
def test_beam_search_without_reordering_the_encoder_cache_is_exact(fixture: str,
                                                                   request: pytest.FixtureRequest) -> None:
    """BeamCache skips reordering the cross-attention cache: the same beams as transformers' own cache."""
    import torch

    translator = load_translator(load_config(request.getfixturevalue(fixture)))
    texts = [*SENTENCES, "وكانت وكالة أنباء تركية قد ذكرت أن لافروف سيلتقي المعارضة السورية في اسطنبول"]
    inputs = translator.tokenizer(texts, return_tensors="pt", padding=True)
    with torch.inference_mode():
        plain = translator.model.generate(**inputs, num_beams=4, max_new_tokens=12,
                                          forced_bos_token_id=translator.forced_bos, do_sample=False)
    expected = [translator.tokenizer.decode(row[1:], skip_special_tokens=True).strip() for row in plain.tolist()]
    translator.config = dataclasses.replace(translator.config, beam_size=4)
    assert [h.text for h in translator.translate_batch(texts)] == expected


def test_int8_is_dynamic_quantization_of_the_linear_layers(marian_config: Path) -> None:
    """dtype int8 quantizes every linear layer (the output projection too) and then searches exactly as
    `generate` does on that quantized model."""
    import torch
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    from mt.backends.hf import quantize_int8

    translator = load_translator(load_config(marian_config, dtype="int8"))
    model = translator.model
    assert isinstance(model.lm_head, DynamicLinear) and isinstance(model.model.encoder.layers[0].fc1, DynamicLinear)
    assert not any(type(m) is torch.nn.Linear for m in model.modules())
    plain = load_translator(load_config(marian_config))
    reference = quantize_int8(plain.model)
    inputs = plain.tokenizer(SENTENCES, return_tensors="pt", padding=True)
    with torch.inference_mode():
        out = reference.generate(**inputs, num_beams=2, max_new_tokens=12, do_sample=False)
    expected = [plain.tokenizer.decode(row[1:], skip_special_tokens=True).strip() for row in out.tolist()]
    assert [h.text for h in translator.translate_batch(SENTENCES)] == expected


def test_int8_is_a_cpu_path(marian_config: Path) -> None:
    from mt.errors import MtError

    with pytest.raises(MtError, match="dtype 'int8' .* is a CPU path"):
        load_translator(load_config(marian_config, dtype="int8", device="mps"))


def test_the_encoder_runs_once_per_batch(marian_config: Path) -> None:
    """The search and the rescoring share one encoder pass; the outputs are those of `generate` (above)."""
    translator = load_translator(load_config(marian_config))
    calls = []
    hook = translator.model.get_encoder().register_forward_hook(lambda *_: calls.append(1))
    try:
        translator.translate_batch(SENTENCES)
    finally:
        hook.remove()
    assert len(calls) == 1


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                    reason="glibc's mallopt")
def test_freed_large_blocks_are_reused_without_page_faults(marian_config: Path) -> None:
    """Loading the hf backend on a CPU makes malloc keep freed memory: a vocabulary-sized tensor allocated
    again after being freed costs no fresh page faults (glibc would unmap and fault in every 32 MB+ block)."""
    import resource

    import torch

    from mt.backends.hf import keep_freed_memory

    load_translator(load_config(marian_config, device="cpu"))
    assert keep_freed_memory()  # applied, and applying it again is harmless
    pages = 64 * 2**20 // resource.getpagesize()
    torch.ones(16 * 2**20).sum()  # 64 MB, freed at once
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    torch.ones(16 * 2**20).sum()
    assert resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before < pages // 10
