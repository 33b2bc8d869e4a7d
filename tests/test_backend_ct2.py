"""The ct2 backend on the tiny Marian and NLLB models: converted once, same greedy output as hf at float32."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mt.backends import load_translator
from mt.config import load_config
from mt.pipeline import translate
from tests.conftest import SEED_ARTICLE, write_config

pytest.importorskip("ctranslate2")

SENTENCES = [
    "نفى المتحدث باسم الخارجية الروسية الأنباء",
    "وقال إن موسكو لن تتدخل",
    "ذهب",
    "وكانت وكالة أنباء تركية قد ذكرت أن لافروف سيلتقي المعارضة السورية في اسطنبول في 26 تشرين الثاني",
]


@pytest.fixture
def ct2_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "ct2"


def configs(tmp_path: Path, model: Path, **extra: object) -> tuple[Path, Path]:
    common = {"model": str(model), "beam_size": 1, "max_new_tokens": 12, "output_dir": str(tmp_path / "out"),
              **extra}
    hf = write_config(tmp_path / "hf.yaml", name="hf", **common)
    ct2 = write_config(tmp_path / "ct2.yaml", name="ct2", backend="ct2", compute_type="float32", **common)
    return hf, ct2


@pytest.mark.parametrize("family", ["marian", "nllb"])
def test_ct2_and_hf_agree_on_greedy_output(family: str, tmp_path: Path, ct2_cache: Path,
                                           request: pytest.FixtureRequest) -> None:
    model = request.getfixturevalue(f"tiny_{family}")
    hf_path, ct2_path = configs(tmp_path, model)
    hf = load_translator(load_config(hf_path), str(hf_path))
    ct2 = load_translator(load_config(ct2_path), str(ct2_path))
    a, b = hf.translate_batch(SENTENCES), ct2.translate_batch(SENTENCES)
    assert [h.text for h in b] == [h.text for h in a]
    assert all(h.text for h in b)
    for x, y in zip(a, b):
        # NLLB: equal. Marian: transformers forces an end token at the length limit and scores it; ct2 does not.
        assert y.score == pytest.approx(x.score, abs=1e-3 if family == "nllb" else 0.05)
    assert ct2.count_tokens(SENTENCES) == hf.count_tokens(SENTENCES)
    assert ct2.max_input_tokens == hf.max_input_tokens


def test_conversion_is_cached_by_model_revision_and_quantization(tmp_path: Path, tiny_marian: Path,
                                                                  ct2_cache: Path) -> None:
    _, ct2_path = configs(tmp_path, tiny_marian)
    first = load_translator(load_config(ct2_path), str(ct2_path))
    folders = sorted(p.name for p in ct2_cache.iterdir())
    assert len(folders) == 1 and folders[0].endswith("--float32") and "--local-" in folders[0]
    stamp = (first.path / "model.bin").stat().st_mtime_ns  # type: ignore[attr-defined]
    again = load_translator(load_config(ct2_path), str(ct2_path))
    assert again.path == first.path and (again.path / "model.bin").stat().st_mtime_ns == stamp  # type: ignore
    int8 = load_translator(load_config(ct2_path, compute_type="int8"), str(ct2_path))
    assert int8.path.name.endswith("--int8")  # type: ignore[attr-defined]
    assert len(list(ct2_cache.iterdir())) == 2
    assert all(h.text for h in int8.translate_batch(SENTENCES))


def test_ct2_run_through_the_pipeline(tmp_path: Path, tiny_nllb: Path, ct2_cache: Path) -> None:
    _, ct2_path = configs(tmp_path, tiny_nllb, max_input_tokens=48, inter_threads=1, intra_threads=1)
    run_dir = translate(load_config(ct2_path), SEED_ARTICLE, config_path=str(ct2_path))
    pairs = [json.loads(x) for x in (run_dir / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(pairs) == 12 and all(p["en"] and p["score"] < 0 for p in pairs)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert "|backend:ct2-float32|" in manifest["signature"]
