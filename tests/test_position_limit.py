"""A model has a fixed number of positions (the tiny models 128, opus-mt 512, NLLB 1024): `max_new_tokens` beyond
them is clamped when the model loads, with a warning, and recorded in the manifest; inputs are cut to them. Without
the clamp, transformers failed with `IndexError: index out of range in self` (Marian) and CTranslate2 with
`No position encodings are defined for positions >= 128` (both families)."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mt.config import load_config
from mt.translate import load_translator
from tests.conftest import ROOT, seed_text, write_config

pytest.importorskip("ctranslate2")

SHORT = ["نفى المتحدث باسم وزارة الخارجية الروسية صحة ما أشيع.", "نعم."]
# 250 tokens of the tiny NLLB tokenizer: more than the model's 128 positions, less than max_input_tokens 200 ...
LONG = " ".join(["وكانت وكالة أنباء تركية قد ذكرت أن لافروف سيلتقي المعارضة السورية في اسطنبول"] * 4)
WARNING = ("max_new_tokens is 256 but model '{model}' has 128 positions: translations are limited to 128 tokens "
           "(the manifest's model.max_new_tokens)")


@pytest.fixture(scope="module")
def nllb_128(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """NLLB-shaped: 128 positions, a tokenizer that would take 1024 tokens (as NLLB's takes as many as its
    positions), and outputs that never end before the length limit (as the issue's did)."""
    from tests.tiny_models import build_nllb

    return build_nllb(seed_text(), tmp_path_factory.mktemp("models") / "nllb-128", endless=True,
                      model_max_length=1024)


# (family, backend, tokens of each output at the limit): transformers spends the last of Marian's on a forced end
# token, which it counts; NLLB's first is the forced language token, which is not counted.
AT_THE_LIMIT = [("nllb", "hf", 127), ("nllb", "ct2", 127), ("marian", "hf", 128), ("marian", "ct2", 127)]


@pytest.mark.parametrize(("family", "backend", "tokens"), AT_THE_LIMIT)
def test_max_new_tokens_beyond_the_positions_is_clamped_at_load(
        family: str, backend: str, tokens: int, nllb_128: Path, tiny_marian: Path, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    model = nllb_128 if family == "nllb" else tiny_marian
    config = write_config(tmp_path / "c.yaml", name="t", model=str(model), backend=backend, beam_size=4,
                          max_new_tokens=256)
    with caplog.at_level(logging.WARNING, logger="mt.translate"):
        translator = load_translator(load_config(config))
    assert translator.max_new_tokens == 128
    assert [r.getMessage() for r in caplog.records] == [WARNING.format(model=model)]
    assert [h.n_tokens for h in translator.translate_batch(SHORT)] == [tokens, tokens]


def test_the_signature_names_the_limits_the_run_used(tiny_marian: Path, tmp_path: Path) -> None:
    # attack 15: the manifest's signature said maxnew:256 when 128 was used
    from mt.engines.local import translate

    config = write_config(tmp_path / "c.yaml", name="t", model=str(tiny_marian), backend="hf", beam_size=1,
                          max_new_tokens=256, max_input_tokens=200, output_dir=str(tmp_path / "out"))
    (tmp_path / "in.txt").write_text(SHORT[0], encoding="utf-8")
    manifest = json.loads((translate(load_config(config), tmp_path / "in.txt") / "manifest.json").read_text(
        encoding="utf-8"))
    assert (manifest["config"]["max_new_tokens"], manifest["config"]["max_input_tokens"]) == (256, 200)
    assert (manifest["model"]["max_new_tokens"], manifest["model"]["max_input_tokens"]) == (128, 64)  # tokenizer: 64
    assert "|beam:1|maxnew:128|maxin:64|" in manifest["signature"]


def test_max_new_tokens_within_the_positions_is_kept(nllb_128: Path, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    config = write_config(tmp_path / "c.yaml", name="t", model=str(nllb_128), backend="ct2", max_new_tokens=128)
    with caplog.at_level(logging.WARNING, logger="mt.translate"):
        assert load_translator(load_config(config)).max_new_tokens == 128
    assert caplog.records == []


@pytest.mark.parametrize("backend", ["hf", "ct2"])
def test_an_input_of_all_the_positions_is_read_and_a_longer_one_is_cut(backend: str, nllb_128: Path,
                                                                       tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", name="t", model=str(nllb_128), backend=backend, beam_size=1,
                          max_new_tokens=4, max_input_tokens=200)
    translator = load_translator(load_config(config))
    assert translator.max_input_tokens == 128  # the model's positions, below the config's 200 and the tokenizer's
    assert translator.count_tokens([LONG[:156], LONG]) == [128, 250]
    assert [h.n_tokens for h in translator.translate_batch([LONG[:156]])] == [3]


def run_mt(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mt.cli", *args], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def default_config(path: Path, model: Path, **extra: object) -> Path:
    """configs/default.yaml (beam 4, max_new_tokens 256, max_input_tokens 200, backend auto) on `model`."""
    return write_config(path, extends=str(ROOT / "configs" / "default.yaml"), name=path.stem, model=str(model),
                        output_dir=str(path.parent / "out"), **extra)


@pytest.mark.slow
@pytest.mark.parametrize(("backend", "ran"), [(None, "ct2"), ("hf", "hf")])
def test_translate_with_the_default_config_on_a_128_position_model(backend: str | None, ran: str, nllb_128: Path,
                                                                   tmp_path: Path) -> None:
    config = default_config(tmp_path / "nllb-128.yaml", nllb_128, **({"backend": backend} if backend else {}))
    (tmp_path / "in.txt").write_text("\n".join([*SHORT, LONG]) + "\n", encoding="utf-8")
    proc = run_mt("translate", "--config", str(config), "--input", str(tmp_path / "in.txt"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stderr.splitlines() == [f"WARNING mt.translate: {WARNING.format(model=nllb_128)}"]
    run_dir = Path(proc.stdout.strip())
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["config"]["backend"], manifest["config"]["max_new_tokens"]) == (ran, 256)
    assert (manifest["model"]["max_new_tokens"], manifest["model"]["max_input_tokens"]) == (128, 128)
    pairs = [json.loads(x) for x in (run_dir / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [p["ar"] for p in pairs] == [*SHORT, LONG]
    assert [p["pieces"] for p in pairs] == [1, 1, 2]  # 250 tokens in two pieces of at most 128
    assert "split_for_model" in pairs[2]["flags"]
    assert manifest["counts"]["output_tokens"] == 4 * 127  # every output ran to the limit


@pytest.mark.slow
def test_compare_with_the_default_config_on_a_128_position_model(nllb_128: Path, tmp_path: Path) -> None:
    fast = default_config(tmp_path / "nllb-128.yaml", nllb_128)
    exact = default_config(tmp_path / "nllb-128-hf.yaml", nllb_128, backend="hf")
    (tmp_path / "in.txt").write_text("\n".join(SHORT) + "\n", encoding="utf-8")
    proc = run_mt("compare", str(fast), str(exact), "--input", str(tmp_path / "in.txt"), "--name", "positions")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stderr.splitlines() == [
        f"WARNING mt.commands.compare: system {name!r}: {WARNING.format(model=nllb_128)}"
        for name in ("nllb-128", "nllb-128-hf")]
    out = Path(proc.stdout.splitlines()[-1])  # <output_dir>/compare-positions-<hash of systems and input>
    assert out.parent == tmp_path / "out" and re.fullmatch(r"compare-positions-[0-9a-f]{8}", out.name)
    table = json.loads((out / "table.json").read_text(encoding="utf-8"))
    assert [row["system"] for row in table["systems"]] == ["nllb-128", "nllb-128-hf"]
    for row in table["systems"]:
        manifest = json.loads((Path(row["run_dir"]) / "manifest.json").read_text(encoding="utf-8"))
        assert (manifest["config"]["max_new_tokens"], manifest["model"]["max_new_tokens"]) == (256, 128)
        assert manifest["counts"]["output_tokens"] == 2 * 127
