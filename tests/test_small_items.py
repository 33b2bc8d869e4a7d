"""Smaller promises: the dataset card `datasets` reads without a warning, skipped inputs named, honest resume
counts, SIGTERM ends like Ctrl-C, `mt segment` splits as `mt translate` does, a missing default config says
what to pass."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import mt.pipeline
from mt.backends import load_translator
from mt.cli import main
from mt.config import load_config
from mt.pipeline import translate
from tests.conftest import ROOT, SEED_ARTICLE

DATA_FILES = ("pairs.jsonl", "corpus.ar", "corpus.en", "pairs.tsv", "pairs.tmx", "README.md", "report.html",
              "data/train-00000-of-00004.parquet", "data/train-00003-of-00004.parquet")
SENTENCES = ["نفى المتحدث باسم الخارجية الروسية الأنباء.", "وقال إن موسكو لن تتدخل في شؤون سوريا."]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_dataset_card_loads_without_the_malformed_splits_warning(tmp_path: Path, marian_config: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    import datasets
    import yaml

    run_dir = translate(load_config(marian_config), SEED_ARTICLE)
    header = yaml.safe_load((run_dir / "README.md").read_text(encoding="utf-8").split("---")[1])
    [split] = header["dataset_info"]["splits"]
    parquet = run_dir / "data" / "train-00000-of-00001.parquet"
    assert split == {"name": "train", "num_bytes": parquet.stat().st_size, "num_examples": 12}
    with caplog.at_level(logging.WARNING):
        train = datasets.load_dataset(str(run_dir))["train"]
    assert len(train) == 12
    assert not [r for r in caplog.records if "malformed" in r.getMessage()]


def test_unreadable_txt_entries_in_a_folder_are_named(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from mt.io import input_files

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(SENTENCES[0], encoding="utf-8")
    (folder / "broken.txt").symlink_to(folder / "gone.txt")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    os.mkfifo(folder / "pipe.txt")
    with caplog.at_level(logging.WARNING, logger="mt.io"):
        assert input_files(folder) == [folder / "good.txt"]
    messages = sorted(r.getMessage() for r in caplog.records)
    assert messages == [
        f"skipping '{folder / 'broken.txt'}': a broken symbolic link (to '{folder / 'gone.txt'}')",
        f"skipping '{folder / 'loop.txt'}': a looping symbolic link (to '{folder / 'loop.txt'}')",
        f"skipping '{folder / 'pipe.txt'}': it is a FIFO (named pipe), not a regular file",
    ]


def test_a_fresh_run_resumes_nothing(tmp_path: Path, marian_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Documents that repeat sentences across chunks (boilerplate) reuse the translation made earlier in the
    same run; that is not a resumed translation."""
    monkeypatch.setattr(mt.pipeline, "CHUNK_DOCS", 1)
    folder = tmp_path / "docs"
    folder.mkdir()
    for k in range(4):
        (folder / f"{k}.txt").write_text(" ".join(SENTENCES) + "\n", encoding="utf-8")
    config = load_config(marian_config)
    run_dir = translate(config, folder)
    counts = json.loads((run_dir / "manifest.json").read_text())["counts"]
    assert counts["pairs"] == 8 and counts["unique_model_inputs"] == 8  # 2 per chunk
    assert counts["resumed_translations"] == 0
    written = {name: (run_dir / name).read_bytes() for name in DATA_FILES}
    # a second run on the same folder really resumes: both translations come from the first run, unchanged
    model = load_translator(config)
    asked: list[str] = []

    class Counting:
        model_id, revision, max_input_tokens = model.model_id, model.revision, model.max_input_tokens
        count_tokens = staticmethod(model.count_tokens)

        def translate_batch(self, texts: list[str]) -> list:
            asked.extend(texts)
            return model.translate_batch(texts)

    again = translate(config, folder, overwrite=False, translator=Counting())  # type: ignore[arg-type]
    shards = json.loads((again / "manifest.json").read_text())["counts"]
    assert again == run_dir and shards["resumed_translations"] == 8  # every chunk re-scored from the checkpoint
    assert asked == []
    assert {name: (again / name).read_bytes() for name in DATA_FILES} == written


def test_sigterm_ends_like_ctrl_c() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "mt.cli", "segment", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(1.5)  # it waits for standard input
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert (proc.returncode, out, err) == (130, "", "mt: interrupted\n")


def test_segment_and_translate_split_the_seed_alike(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                    marian_config: Path) -> None:
    assert main(["segment", "--format", "jsonl", str(SEED_ARTICLE)]) == 0
    segments = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    pairs = read_jsonl(translate(load_config(marian_config), SEED_ARTICLE) / "pairs.jsonl")
    assert len(segments) == len(pairs) == 12
    assert [(s["start"], s["end"]) for s in segments] == [(p["start"], p["end"]) for p in pairs]


@pytest.mark.parametrize("command", [["align", "--source", "s.txt", "--target", "t.txt"],
                                     ["translate", "--input", "s.txt"]])
def test_missing_default_config_says_to_pass_config(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "s.txt").write_text(SENTENCES[0] + "\n", encoding="utf-8")
    (tmp_path / "t.txt").write_text("The spokesman denied the reports.\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "mt.cli", *command], cwd=tmp_path, capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(f"mt: error: no --config given and the default 'configs/default.yaml' does not "
                                  f"exist in the current folder ({tmp_path}); pass --config PATH to a model config")
    assert ("give --translation" in proc.stderr) == (command[0] == "align")


def test_a_pair_without_a_quality_is_rejected_by_any_min_quality(tmp_path: Path, marian_config: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # attack 15: --min-quality 0 kept the pairs with quality null (`quality or 0.0` >= 0), though the README sends
    # them to rejected.jsonl
    text = tmp_path / "a.txt"
    text.write_text(f"{SENTENCES[0]}\nـــــ\n", encoding="utf-8")  # tatweel only: nothing to translate, no quality
    assert main(["translate", "--config", str(marian_config), "--input", str(text), "--min-quality", "0"]) == 0
    run_dir = Path(capsys.readouterr().out.strip())
    assert [p["ar"] for p in read_jsonl(run_dir / "pairs.jsonl")] == [SENTENCES[0]]
    [rejected] = read_jsonl(run_dir / "rejected.jsonl")
    assert (rejected["ar"], rejected["quality"]) == ("ـــــ", None)
    assert list(zip(rejected["flags"], rejected["reasons"]))[-1] == (
        "below_min_quality", "no quality to compare with min_quality 0.0")
