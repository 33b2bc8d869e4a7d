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
    hf = write_config(tmp_path / "hf.yaml", name="hf", backend="hf", **common)
    ct2 = write_config(tmp_path / "ct2.yaml", **{"name": "ct2", "backend": "ct2", "compute_type": "float32", **common})
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


def test_a_converted_model_keeps_what_its_tokenizer_needs(tmp_path: Path, tiny_marian: Path, tiny_nllb: Path,
                                                        ct2_cache: Path) -> None:
    for model, family, files in ((tiny_marian, "marian", {"source.spm", "target.spm", "vocab.json"}),
                                 (tiny_nllb, "m2m_100", {"tokenizer.json"})):
        _, ct2_path = configs(tmp_path, model)
        translator = load_translator(load_config(ct2_path), str(ct2_path))
        folder = translator.path  # type: ignore[attr-defined]
        assert files | {"mt.json", "model.bin", "tokenizer_config.json"} <= {p.name for p in folder.iterdir()}
        assert json.loads((folder / "mt.json").read_text())["family"] == family
        vocabulary = json.loads((folder / "shared_vocabulary.json").read_text())
        # Marian: transformers' <pad> (decoder start, last id) is dropped; ct2 starts from a zero embedding
        assert ("<pad>" in vocabulary) == (family == "m2m_100")
        assert vocabulary[:2] == (["</s>", "<unk>"] if family == "marian" else ["<s>", "<pad>"])


def test_a_cache_converted_before_mt_json_gets_it(tmp_path: Path, tiny_marian: Path, ct2_cache: Path) -> None:
    _, ct2_path = configs(tmp_path, tiny_marian)
    first = load_translator(load_config(ct2_path), str(ct2_path))
    (first.path / "mt.json").unlink()  # type: ignore[attr-defined]
    again = load_translator(load_config(ct2_path), str(ct2_path))
    assert (again.path / "mt.json").exists()  # type: ignore[attr-defined]
    assert [h.text for h in again.translate_batch(SENTENCES)] == [h.text for h in first.translate_batch(SENTENCES)]


def test_auto_picks_ct2_with_int8_on_a_cpu_and_hf_without_ctranslate2(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from mt.backends import resolve_backend
    from mt.config import Config

    auto = Config(name="x", model="m/m", backend="auto", compute_type="auto", device="cpu")
    assert (resolve_backend(auto).backend, resolve_backend(auto).compute_type) == ("ct2", "int8")
    assert resolve_backend(Config(name="x", model="m/m", backend="ct2", compute_type="float32")).compute_type == \
        "float32"
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "ctranslate2" else real(name))
    assert resolve_backend(auto).backend == "hf"


def test_the_default_config_takes_the_fast_path() -> None:
    from mt.backends import resolve_backend
    from tests.conftest import ROOT

    config = load_config(ROOT / "configs" / "default.yaml")
    assert (config.backend, config.compute_type) == ("auto", "auto")
    resolved = resolve_backend(config)
    assert resolved.backend == "ct2" and resolved.compute_type in ("int8", "float16")


def test_a_compute_type_the_device_cannot_run_is_one_line(tmp_path: Path, tiny_marian: Path, ct2_cache: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    # attack 11: compute_type float16 on a CPU was CTranslate2's ValueError, an internal error
    import ctranslate2

    from mt.cli import main

    supported = ctranslate2.get_supported_compute_types("cpu")
    if "float16" in supported:
        pytest.skip("this CPU runs float16")
    _, ct2 = configs(tmp_path, tiny_marian, device="cpu", compute_type="float16")
    (tmp_path / "a.txt").write_text(SENTENCES[0], encoding="utf-8")
    assert main(["translate", "--config", str(ct2), "--input", str(tmp_path / "a.txt")]) == 2
    assert capsys.readouterr().err == (
        f"mt: error: {ct2}: key 'compute_type' is 'float16', which CTranslate2 cannot run on this cpu (it can: "
        f"{', '.join(sorted(supported))}); use one of them, or auto\n")
    assert not ct2_cache.exists()  # refused before converting


def test_a_model_cache_that_cannot_be_written_says_to_set_mt_cache(tmp_path: Path, tiny_marian: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # attack 15: "Permission denied: '/.../ct2'" did not say what to set
    from mt.cli import main

    (tmp_path / "taken").write_text("a file, not a folder", encoding="utf-8")
    monkeypatch.setenv("MT_CACHE", str(tmp_path / "taken"))
    _, ct2 = configs(tmp_path, tiny_marian)
    (tmp_path / "a.txt").write_text(SENTENCES[0], encoding="utf-8")
    assert main(["translate", "--config", str(ct2), "--input", str(tmp_path / "a.txt")]) == 2
    assert capsys.readouterr().err == (
        f"mt: error: the model cache '{tmp_path / 'taken' / 'ct2'}' cannot be written (Not a directory), and the ct2 "
        "backend converts the model into it: set MT_CACHE to a writable folder\n")


@pytest.mark.slow
def test_a_converted_model_runs_without_torch_or_transformers(tmp_path: Path, tiny_marian: Path,
                                                              ct2_cache: Path) -> None:
    """Once converted, `mt translate` on the ct2 backend never imports torch or transformers (nor datasets,
    ray, selenium or sacrebleu, which it does not use)."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    _, ct2_path = configs(tmp_path, tiny_marian, compute_type="int8", max_input_tokens=48)
    load_translator(load_config(ct2_path), str(ct2_path))  # converts, in this process
    script = (
        "import sys, json\n"
        "from mt.cli import main\n"
        f"code = main(['translate', '--config', {str(ct2_path)!r}, '--input', {str(SEED_ARTICLE)!r}])\n"
        "heavy = [m for m in ('torch', 'transformers', 'datasets', 'pandas', 'ray', 'selenium', 'sacrebleu')"
        " if m in sys.modules]\n"
        "print(json.dumps({'code': code, 'heavy': heavy}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "heavy": []}
    run_dir = Path(proc.stdout.strip().splitlines()[0])
    pairs = [json.loads(x) for x in (run_dir / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(pairs) == 12 and all(p["en"] for p in pairs)
    assert "|backend:ct2-int8|" in json.loads((run_dir / "manifest.json").read_text())["signature"]
