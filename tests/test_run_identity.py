"""A run folder belongs to one (config, input) pair and one process at a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mt.cli import main
from mt.config import load_config
from mt.inputs.sources import open_source
from mt.outputs.formats import atomic_lines, temp_name
from mt.outputs.rundir import run_dir_for
from tests.conftest import ROOT, run_twice_at_once

A = "نفى المتحدث باسم الخارجية الروسية الأنباء. وقال إن موسكو لن تتدخل.\n"
B = "وأضاف أن الاجتماع سيعقد في 26 تشرين الثاني في جنيف.\n"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "mt.cli", *args], capture_output=True, text=True, env=env,
                          check=False, timeout=300)


def test_two_inputs_with_one_config_keep_both_outputs(tmp_path: Path, marian_config: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(A, encoding="utf-8")
    b.write_text(B, encoding="utf-8")
    assert main(["translate", "--config", str(marian_config), "--input", str(a)]) == 0
    assert main(["translate", "--config", str(marian_config), "--input", str(b)]) == 0
    run_a, run_b = (Path(line) for line in capsys.readouterr().out.split())
    assert run_a != run_b and run_a.parent == run_b.parent
    assert [p["ar"] for p in read_jsonl(run_a / "pairs.jsonl")] == [
        "نفى المتحدث باسم الخارجية الروسية الأنباء.", "وقال إن موسكو لن تتدخل."]
    assert [p["ar"] for p in read_jsonl(run_b / "pairs.jsonl")] == [
        "وأضاف أن الاجتماع سيعقد في 26 تشرين الثاني في جنيف."]
    assert json.loads((run_a / "run.json").read_text())["input"] == {"kind": "txt", "path": a.resolve().as_posix()}
    # the same pair again is the same folder
    assert main(["translate", "--config", str(marian_config), "--input", str(a)]) == 0
    assert Path(capsys.readouterr().out.strip()) == run_a
    # a relative path to the same file is the same input
    config = load_config(marian_config)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert run_dir_for(config, open_source("a.txt")) == run_a
    finally:
        os.chdir(cwd)


def test_a_folder_holding_another_inputs_run_is_refused(tmp_path: Path, marian_config: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(A, encoding="utf-8")
    b.write_text(B, encoding="utf-8")
    assert main(["translate", "--config", str(marian_config), "--input", str(a)]) == 0
    run_a = Path(capsys.readouterr().out.strip())
    config = load_config(marian_config)
    run_b = run_dir_for(config, open_source(b))
    run_a.rename(run_b)  # b's folder now holds a's run (as a folder named by config alone did)
    before = (run_b / "pairs.jsonl").read_bytes()
    assert main(["translate", "--config", str(marian_config), "--input", str(b)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds the run of another input" in err and "a.txt" in err
    assert "--overwrite" in err and (run_b / "pairs.jsonl").read_bytes() == before  # nothing lost
    assert main(["translate", "--config", str(marian_config), "--input", str(b), "--overwrite"]) == 0
    assert [p["ar"] for p in read_jsonl(run_b / "pairs.jsonl")] == [B.strip()]


def test_a_locked_folder_is_refused_at_once_naming_the_holder(tmp_path: Path, marian_config: Path) -> None:
    text = tmp_path / "a.txt"
    text.write_text(A, encoding="utf-8")
    run_dir = run_dir_for(load_config(marian_config), open_source(text))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from mt.outputs.rundir import lock_run; "
         "lock = lock_run(Path(sys.argv[1])); print('locked', flush=True); time.sleep(60)", str(run_dir)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        proc = run_cli("translate", "--config", str(marian_config), "--input", str(text))
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr == (f"mt: error: run folder '{run_dir}' is in use by another mt run (process "
                               f"{holder.pid}); wait for it to finish or stop it\n")
    finally:
        holder.kill()
        holder.wait()
    # the OS released the killed holder's lock: the run goes through now
    proc = run_cli("translate", "--config", str(marian_config), "--input", str(text))
    assert proc.returncode == 0, proc.stderr
    assert len(read_jsonl(run_dir / "pairs.jsonl")) == 2


@pytest.mark.slow
def test_two_concurrent_runs_give_one_clean_run(tmp_path: Path, marian_config: Path) -> None:
    text = tmp_path / "a.txt"
    from mt.translate import resolve_backend

    text.write_text(A * 5, encoding="utf-8")
    run_dir = run_dir_for(resolve_backend(load_config(marian_config)), open_source(text))
    [(_, out, _), _] = run_twice_at_once(["translate", "--config", str(marian_config), "--input", str(text)], ROOT,
                                         run_dir)
    assert out == f"{run_dir}\n"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["counts"]["pairs"] == len(read_jsonl(run_dir / "pairs.jsonl")) == 10
    assert not list(run_dir.rglob("*.tmp")) and not (run_dir / "shards").exists()


def test_temporary_names_are_unique_per_process_and_never_left(tmp_path: Path) -> None:
    target = tmp_path / "pairs.tsv"
    assert temp_name(target) == tmp_path / f".pairs.tsv.{os.getpid()}.tmp"

    def failing() -> list[str]:
        yield "one\n"
        raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError):
        atomic_lines(target, failing())
    assert list(tmp_path.iterdir()) == []


def test_compare_reuses_and_creates_runs_by_the_same_rule(tmp_path: Path, marian_config: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from mt.commands.compare import ensure_run

    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(A, encoding="utf-8")
    b.write_text(B, encoding="utf-8")
    assert main(["translate", "--config", str(marian_config), "--input", str(a)]) == 0
    run_a = Path(capsys.readouterr().out.strip())
    config = load_config(marian_config)
    assert ensure_run(str(marian_config), config, a, overwrite=False) == (run_a, True)
    run_b, reused = ensure_run(str(marian_config), config, b, overwrite=False)
    assert (run_b, reused) == (run_dir_for(config, open_source(b)), False) and run_b != run_a
    assert len(read_jsonl(run_a / "pairs.jsonl")) == 2 and len(read_jsonl(run_b / "pairs.jsonl")) == 1


def test_a_run_that_fails_before_writing_leaves_no_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import write_config

    config = write_config(tmp_path / "c.yaml", name="broken", model=str(tmp_path / "empty-model"),
                          output_dir=str(tmp_path / "outputs"))
    (tmp_path / "empty-model").mkdir()  # a folder, but no model in it
    text = tmp_path / "a.txt"
    text.write_text(A, encoding="utf-8")
    assert main(["translate", "--config", str(config), "--input", str(text)]) == 2
    assert f"model folder '{tmp_path}/empty-model' has no config.json" in capsys.readouterr().err
    assert list((tmp_path / "outputs").iterdir()) == []


def test_a_shard_of_an_input_changed_since_the_crash_is_redone(tmp_path: Path, marian_config: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import mt.pipeline
    from mt.engines.local import translate
    from mt.translate import load_translator

    monkeypatch.setattr(mt.pipeline, "CHUNK_DOCS", 1)
    corpus = tmp_path / "corpus.jsonl"
    rows = [{"id": "one", "text": A.strip()}, {"id": "two", "text": B.strip()}]
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    config = load_config(marian_config)
    real = load_translator(config)

    class Crashing:
        model_id, revision, max_input_tokens = real.model_id, real.revision, real.max_input_tokens
        count_tokens = staticmethod(real.count_tokens)

        def translate_batch(self, texts: list[str]) -> list:
            if any("جنيف" in t for t in texts):  # the second document: its chunk never completes
                raise RuntimeError("power cut")
            return real.translate_batch(texts)

    with pytest.raises(RuntimeError, match="power cut"):
        translate(config, corpus, translator=Crashing())  # type: ignore[arg-type]
    run_dir = run_dir_for(config, open_source(corpus))
    assert (run_dir / "shards" / "00000.stats.json").exists()
    rows[0]["text"] = "قال المتحدث إن الاجتماع انتهى."  # the file is edited before the rerun
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert translate(config, corpus) == run_dir
    assert [p["ar"] for p in read_jsonl(run_dir / "pairs.jsonl")] == [
        "قال المتحدث إن الاجتماع انتهى.", B.strip()]


def test_a_second_run_in_the_same_process_cannot_take_a_held_folder(tmp_path: Path) -> None:
    from mt.errors import MtError
    from mt.outputs.rundir import lock_run

    held = lock_run(tmp_path / "run")
    with pytest.raises(MtError, match=rf"is in use by another mt run \(process {os.getpid()}\)"):
        lock_run(tmp_path / "run")  # e.g. two threads of one notebook running the same config on the same input
    held.release()
    lock_run(tmp_path / "run").release()  # free again once released
