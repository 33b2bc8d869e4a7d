"""Crash safety: a run killed with SIGKILL resumes and ends byte-identical to an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mt.errors import MtError
from mt.outputs.formats import atomic_write
from mt.records import Hypothesis
from mt.translate.checkpoint import Checkpoint
from tests.conftest import ROOT, SEED_ARTICLE, write_config

DATA_FILES = ("pairs.jsonl", "corpus.ar", "corpus.en", "pairs.tsv", "pairs.tmx", "README.md", "report.html",
              "data/train-00000-of-00001.parquet")


def corpus(path: Path, paragraphs: int) -> Path:
    """The seed article many times over, each copy headed by its own number so no two segments are equal."""
    from mt.text.segment import split_sentences

    sentences = [s.text for s in split_sentences(SEED_ARTICLE.read_text(encoding="utf-8"), repair_glued=True)]
    path.write_text("".join(" ".join(f"({k}) {s}" for s in sentences) + "\n" for k in range(paragraphs)),
                    encoding="utf-8")
    return path


def start(config: Path, source: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "mt.cli", "translate", "--config", str(config), "--input",
                             str(source)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0])
    except sqlite3.Error:
        return 0


def kill_when(proc: subprocess.Popen[bytes], db: Path, at_least: int, timeout: float = 120) -> int:
    """SIGKILL the run once its checkpoint holds `at_least` translations; returns the count seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        seen = rows(db)
        if seen >= at_least:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return seen
        time.sleep(0.01)
    proc.kill()
    pytest.fail(f"the run ended (code {proc.returncode}) before {at_least} translations were checkpointed")


@pytest.mark.slow
def test_sigkill_at_several_points_then_resume_is_byte_identical(tmp_path: Path, tiny_marian: Path) -> None:
    source = corpus(tmp_path / "long.ar.txt", paragraphs=20)
    settings = {"name": "resume", "model": str(tiny_marian), "beam_size": 2, "max_new_tokens": 16,
                "max_input_tokens": 48, "max_batch_tokens": 96}
    clean = write_config(tmp_path / "clean.yaml", **settings, output_dir=str(tmp_path / "clean"))
    killed = write_config(tmp_path / "killed.yaml", **settings, output_dir=str(tmp_path / "killed"))

    done = start(clean, source)
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err.decode()
    clean_dir = Path(out.decode().strip())
    total = rows(clean_dir / "checkpoint.sqlite")
    assert total > 200

    run_dir = tmp_path / "killed" / clean_dir.name
    db = run_dir / "checkpoint.sqlite"
    seen = []
    for share in (0.0, 0.4, 0.8):
        seen.append(kill_when(start(killed, source), db, max(1, int(total * share))))
    assert seen[0] < total and seen[-1] < total  # every kill came before the end
    assert not (run_dir / "pairs.jsonl").exists()
    final = start(killed, source)
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode()
    for name in DATA_FILES:
        assert (run_dir / name).read_bytes() == (clean_dir / name).read_bytes(), name
    assert not list(run_dir.rglob(".*.tmp"))


# Files of a resumed run that legitimately differ from an uninterrupted run's: the checkpoint records which run
# stored each translation; the manifest's timings, peak memory and count of resumed translations are the run's own.
DIFFER = {"checkpoint.sqlite", "manifest.json"}


def test_a_resumed_run_restores_its_translations_byte_for_byte(tmp_path: Path, tiny_marian: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed after 5 of its 12 batches, then run again: the 12 translations read back from the checkpoint give
    the same files, byte for byte, as a clean run whose translations all come from the model."""
    from mt.config import load_config
    from mt.engines.local import translate
    from mt.translate import load_translator

    config = load_config(write_config(tmp_path / "c.yaml", name="resume", model=str(tiny_marian), beam_size=1,
                                      max_new_tokens=8, max_input_tokens=48, max_batch_tokens=128,
                                      output_dir=str(tmp_path / "out")))
    model = load_translator(config)

    class Model:
        """The tiny model, counting what it is asked; it loses power at batch `cut`."""

        model_id, revision, max_input_tokens = model.model_id, model.revision, model.max_input_tokens
        count_tokens = staticmethod(model.count_tokens)

        def __init__(self, cut: int | None = None) -> None:
            self.cut, self.asked = cut, []

        def translate_batch(self, texts: list[str]) -> list[Hypothesis]:
            if len(self.asked) == self.cut:
                raise RuntimeError("power cut")
            self.asked.append(texts)
            return model.translate_batch(texts)

    killed = Model(cut=5)
    with pytest.raises(RuntimeError, match="power cut"):
        translate(config, SEED_ARTICLE, translator=killed)  # type: ignore[arg-type]
    [run_dir] = (tmp_path / "out").iterdir()
    saved = {t for batch in killed.asked for t in batch}
    assert len(saved) == 12 and not (run_dir / "pairs.jsonl").exists()
    resumed = Model()
    assert translate(config, SEED_ARTICLE, translator=resumed) == run_dir  # type: ignore[arg-type]
    asked = [t for batch in resumed.asked for t in batch]
    assert len(asked) == 35 - 12 and not saved & set(asked)  # the 12 saved ones came from the checkpoint
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["counts"]["resumed_translations"] == 12
    run_dir.rename(tmp_path / "resumed")

    # the clean run, in the same place (its manifest names it), never reads a checkpoint
    monkeypatch.setattr(Checkpoint, "load", lambda self, sources=None: {})
    clean = Model()
    assert translate(config, SEED_ARTICLE, translator=clean) == run_dir  # type: ignore[arg-type]
    assert sum(map(len, clean.asked)) == 35
    files = sorted(p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "resumed").as_posix()
                           for p in (tmp_path / "resumed").rglob("*") if p.is_file())
    assert {".lock", "run.json", "pairs.jsonl", "pairs.tsv", "pairs.tmx", "corpus.ar", "corpus.en", "report.html",
            "README.md", "data/train-00000-of-00001.parquet"} | DIFFER == set(files)
    for name in set(files) - DIFFER:
        assert (tmp_path / "resumed" / name).read_bytes() == (run_dir / name).read_bytes(), name

    def steady(path: Path) -> dict:
        data = json.loads(path.read_text(encoding="utf-8"))
        del data["timings"], data["resources"], data["counts"]["resumed_translations"]
        return dict(data)

    assert steady(tmp_path / "resumed" / "manifest.json") == steady(run_dir / "manifest.json")
    assert json.loads((run_dir / "manifest.json").read_text())["counts"]["resumed_translations"] == 0


def test_checkpoint_keeps_finished_batches_and_skips_failed_ones(tmp_path: Path) -> None:
    cp = Checkpoint(tmp_path, "abcd1234")
    cp.save(["أ", "ب"], [Hypothesis("a", -0.5, 2), Hypothesis("", float("nan"), 0, error="out_of_memory")])
    cp.close()
    again = Checkpoint(tmp_path, "abcd1234")
    assert again.load() == {"أ": Hypothesis("a", -0.5, 2)}
    again.close()
    with pytest.raises(MtError, match="belongs to config abcd1234, not ffff0000; run again with --overwrite"):
        Checkpoint(tmp_path, "ffff0000")


def test_a_corrupt_checkpoint_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "checkpoint.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(MtError, match="cannot be used .*; run again with --overwrite"):
        Checkpoint(tmp_path, "abcd1234")


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "pairs.jsonl"
    atomic_write(target, "old\n")

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError):
        atomic_write(target, "new and longer\n")
    assert target.read_text() == "old\n"


def test_out_of_memory_halves_the_batch_down_to_one_then_flags(marian_config: Path) -> None:
    import torch

    from mt.config import load_config
    from mt.engines.local import translate
    from mt.translate import load_translator
    from mt.translate.batching import translate_all

    calls: list[int] = []

    def translate_batch(texts: list[str]) -> list[Hypothesis]:
        calls.append(len(texts))
        if len(texts) > 2 or "ب" in texts:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return [Hypothesis(t + "!", -0.5, 3) for t in texts]

    hyps = translate_all(["أ", "ب", "ت", "ث", "ج"], translate_batch, lambda ts: [1] * len(ts), 100)
    assert calls == [5, 2, 1, 1, 3, 1, 2]  # 5 → 2 + 3; [أ ب] → 1 + 1 (ب fails alone); [ت ث ج] → 1 + 2
    assert [h.text for h in hyps] == ["أ!", "", "ت!", "ث!", "ج!"]
    assert hyps[1].error == "out_of_memory"

    config = load_config(marian_config)
    real = load_translator(config, str(marian_config))
    model_input = None

    class Tight:
        """The tiny model on a 'GPU' that fits one segment per batch, and not the longest one at all."""

        model_id, revision, max_input_tokens = real.model_id, real.revision, real.max_input_tokens
        count_tokens = staticmethod(real.count_tokens)

        def translate_batch(self, texts: list[str]) -> list[Hypothesis]:
            if len(texts) > 1 or texts[0] == model_input:
                raise RuntimeError("CUDA error: out of memory")
            return real.translate_batch(texts)

    from mt.inputs.files import read_documents
    from mt.pipeline import model_pieces, segment_document

    units = segment_document(next(read_documents(SEED_ARTICLE)), config)
    victim = next(u for u in units if len(model_pieces(u.segment.text, real)) == 1)
    model_input = model_pieces(victim.segment.text, real)[0]
    run_dir = translate(config, SEED_ARTICLE, translator=Tight())  # type: ignore[arg-type]
    pairs = [json.loads(x) for x in (run_dir / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(pairs) == 12
    hit = pairs[victim.index]
    assert hit["en"] == "" and hit["score"] is None and hit["flags"][-1] == "out_of_memory"
    assert hit["reasons"][-1] == "1 of 1 piece(s) ran out of memory even when translated alone"
    assert all(p["en"] and "out_of_memory" not in p["flags"] for p in pairs if p is not hit)
