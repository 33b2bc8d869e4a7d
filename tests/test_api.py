"""mt.Pipeline: the `mt translate` stages from Python, with the model loaded once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import mt
from mt.errors import InputError
from tests.conftest import ROOT, SEED_ARTICLE

TEXTS = ["نفى المتحدث باسم الخارجية الروسية الأنباء. وقال إن موسكو لن تتدخل.", "ذهب إلى السوق؟ نعم!"]


def test_translate_gives_the_pairs_of_the_text_with_offsets(marian_config: Path) -> None:
    pipe = mt.Pipeline.from_config(marian_config)
    pairs = pipe.translate(TEXTS[0])
    assert [p.ar for p in pairs] == ["نفى المتحدث باسم الخارجية الروسية الأنباء.", "وقال إن موسكو لن تتدخل."]
    assert [(p.start, p.end) for p in pairs] == [(0, 42), (43, 66)]
    for pair in pairs:
        assert TEXTS[0][pair.start : pair.end] == pair.ar
        assert pair.en and pair.score is not None and pair.score < 0
        assert pair.quality is not None and 0 <= pair.quality <= 1
        assert pair.id == f"text:{pair.index}" and set(pair.scores) >= {"logprob", "chars_z", "arabic_share"}
        assert len(pair.flags) == len(pair.reasons)


def test_the_cli_and_the_api_give_the_same_pairs(marian_config: Path, tmp_path: Path) -> None:
    from mt.cli import main

    assert main(["translate", "--config", str(marian_config), "--input", str(SEED_ARTICLE)]) == 0
    [run_dir] = (tmp_path / "outputs").iterdir()
    written = [json.loads(x) for x in (run_dir / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    pairs = mt.Pipeline.from_config(marian_config).translate(SEED_ARTICLE.read_text(encoding="utf-8"))
    assert len(pairs) == len(written) == 12
    keys = ("ar", "en", "start", "end", "score", "quality", "flags", "reasons", "scores", "pieces")
    assert [{k: p.to_dict()[k] for k in keys} for p in pairs] == [{k: w[k] for k in keys} for w in written]


def test_translate_batch_loads_the_model_once(marian_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mt.api

    calls = []
    real = mt.api.load_translator
    monkeypatch.setattr(mt.api, "load_translator", lambda *a: calls.append(a) or real(*a))
    pipe = mt.Pipeline.from_config(marian_config)
    batch = pipe.translate_batch(TEXTS)
    one_by_one = [pipe.translate(text) for text in TEXTS]
    assert len(calls) == 1
    assert [[p.en for p in pairs] for pairs in batch] == [[p.en for p in pairs] for pairs in one_by_one]
    assert [len(pairs) for pairs in batch] == [2, 2]
    assert [p.id for p in batch[1]] == ["1:0", "1:1"]
    assert pipe.translate("") == [] and pipe.translate("   \n") == []
    assert [p.ar for p in pipe.translate_batch(TEXTS, doc_ids=["a", "b"])[1]] == ["ذهب إلى السوق؟", "نعم!"]


def test_pairs_below_min_quality_are_kept_and_flagged(marian_config: Path) -> None:
    pairs = mt.Pipeline.from_config(marian_config, **{"quality.min_quality": 1.0}).translate(TEXTS[0])
    assert len(pairs) == 2 and all("below_min_quality" in p.flags for p in pairs)


@pytest.mark.parametrize("texts, message", [
    ("نعم", "takes a list of texts"),
    ([b"\xd9\x86"], "texts must be strings, got bytes"),
])
def test_bad_batches_are_clear_errors(marian_config: Path, texts: object, message: str) -> None:
    pipe = mt.Pipeline.from_config(marian_config)
    with pytest.raises(InputError, match=message):
        pipe.translate_batch(texts)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="one distinct id per text"):
        pipe.translate_batch(TEXTS, doc_ids=["a", "a"])


def test_run_writes_the_run_folder(marian_config: Path) -> None:
    run_dir = mt.Pipeline.from_config(marian_config).run(SEED_ARTICLE)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["counts"]["pairs"] == 12 and manifest["timings"]["load_model_s"] > 0


def test_import_mt_stays_light() -> None:
    code = "import sys, mt; mt.Pipeline; print([m for m in ('torch', 'transformers', 'datasets') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]"
