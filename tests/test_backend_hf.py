"""The hf backend on tiny real Marian and NLLB models built offline."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mt.config import load_config
from mt.errors import ConfigError
from mt.translate import hf, language_id, load_translator
from tests.glibc_malloc import glibc, mapped_for_block

ROOT = Path(__file__).resolve().parent.parent
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
    path = write_config(tmp_path / "c.yaml", name="x", model="./empty", backend="hf")
    with pytest.raises(MtError, match="model folder '.*/empty' has no config.json; a model folder holds what "
                                      "save_pretrained writes"):
        load_translator(load_config(path))


def test_unknown_backend_lists_the_available_ones() -> None:
    from mt.config import Config

    config = Config(name="x", model="m/m", backend="ct3")
    with pytest.raises(ConfigError, match="unknown backend 'ct3'; available: auto, ct2, hf"):
        load_translator(config)


@pytest.mark.parametrize("fixture", ["marian_config", "nllb_config"])
def test_beam_search_and_rescoring_are_exact(fixture: str, request: pytest.FixtureRequest) -> None:
    """BeamCache skips reordering the cross-attention cache, and the encoder runs once for the search and the
    rescoring: on a padded batch, the same texts as transformers' own `generate`, and the same scores and token
    counts as a plain forward pass over its outputs (the forced language token left out)."""
    import torch

    translator = load_translator(load_config(request.getfixturevalue(fixture)))
    texts = [*SENTENCES, "وكانت وكالة أنباء تركية قد ذكرت أن لافروف سيلتقي المعارضة السورية في اسطنبول"]
    inputs = translator.tokenizer(texts, return_tensors="pt", padding=True)
    with torch.inference_mode():
        plain = translator.model.generate(**inputs, num_beams=4, max_new_tokens=12,
                                          forced_bos_token_id=translator.forced_bos, do_sample=False)
        logits = translator.model(**inputs, decoder_input_ids=plain[:, :-1]).logits.float()
    logp = torch.log_softmax(logits, -1).gather(-1, plain[:, 1:].unsqueeze(-1)).squeeze(-1)
    end = translator.model.generation_config.eos_token_id
    first = 1 if translator.forced_bos is not None else 0
    expected = []
    for row, lp in zip(plain.tolist(), logp):
        ends = [k for k, t in enumerate(row[1:]) if t == end]
        n = ends[0] + 1 if ends else len(row) - 1
        text = translator.tokenizer.decode(row[1:], skip_special_tokens=True).strip()
        expected.append((text, float(lp[first:n].mean()), n - first))
    translator.config = dataclasses.replace(translator.config, beam_size=4)
    found = [(h.text, h.score, h.n_tokens) for h in translator.translate_batch(texts)]
    assert [f[0] for f in found] == [e[0] for e in expected]
    assert [f[2] for f in found] == [e[2] for e in expected]
    assert [f[1] for f in found] == pytest.approx([e[1] for e in expected], abs=1e-5)


def test_int8_is_dynamic_quantization_of_the_linear_layers(marian_config: Path) -> None:
    """dtype int8 quantizes every linear layer (the output projection too) and then searches exactly as
    `generate` does on that quantized model."""
    import torch
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    from mt.translate.hf import quantize_int8

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


needs_glibc = pytest.mark.skipif(glibc() is None, reason="glibc 2.33+ (mallopt, mallinfo2)")


@needs_glibc
def test_freed_large_blocks_come_from_the_heap_while_kept_and_go_back_after() -> None:
    """Inside `freed_memory_kept` a 64 MB block is served from the heap, where freed memory stays for reuse
    (glibc maps such a block afresh every time, and the kernel faults in and zeroes its 16,384 pages: the page
    counts are in `make bench`, benchmarks/allocator.py); on leaving, glibc's defaults are back and the kept
    memory is handed back to the system. Measured with glibc's own counters, in a fresh process."""
    script = "import json; from tests.glibc_malloc import keep_and_hand_back; print(json.dumps(keep_and_hand_back()))"
    out = json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                                    env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout)
    assert (out["before"], out["applied"], out["inside"], out["after"]) == (1, True, 0, 1)
    assert out["free_in_heap_mb"] >= 64  # freed inside, kept
    assert out["handed_back_mb"] >= 63  # ... and given back on leaving (malloc_trim)


@needs_glibc
def test_freed_large_blocks_come_from_the_heap_only_while_the_cpu_backend_translates(marian_config: Path) -> None:
    """While the model runs (a forward hook), a large block is not mapped on its own; after the batch it is again."""
    libc = glibc()
    translator = load_translator(load_config(marian_config, device="cpu"))
    assert mapped_for_block(libc) == 1  # loading the model changes nothing
    seen: list[int] = []
    hook = translator.model.register_forward_pre_hook(lambda *_: seen.append(mapped_for_block(libc)))
    try:
        translator.translate_batch(SENTENCES)
    finally:
        hook.remove()
    assert len(seen) > 2 and set(seen) == {0}  # every decoding step and the rescoring
    assert mapped_for_block(libc) == 1


def test_the_cpu_backend_keeps_freed_memory_only_while_it_translates(marian_config: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    real = hf.freed_memory_kept

    @contextlib.contextmanager
    def spy(enabled: bool = True) -> Iterator[bool]:
        seen.append(enabled)
        with real(enabled) as applied:
            yield applied

    monkeypatch.setattr(hf, "freed_memory_kept", spy)
    translator = load_translator(load_config(marian_config, device="cpu"))
    assert seen == []  # loading the model changes nothing
    translator.translate_batch(SENTENCES)
    assert seen == [True]
