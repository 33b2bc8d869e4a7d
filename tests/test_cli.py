"""The `mt` command: real subprocess runs, one-line errors with exit code 2, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mt.cli import build_parser, main
from tests.conftest import ROOT, SEED_ARTICLE, write_config

OFFLINE_MESSAGE = (
    "mt: error: model 'Helsinki-NLP/opus-mt-ar-en' is not in the local cache and the hub cannot be reached; "
    "run 'mt download configs/default.yaml' on a machine with network access"
)


def run_mt(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mt.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          input=stdin, env={**os.environ, **(env or {})}, timeout=300)


def assert_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.slow
def test_translate_the_seed_with_a_tiny_model(marian_config: Path) -> None:
    proc = run_mt("translate", "--config", str(marian_config), "--input", str(SEED_ARTICLE))
    assert proc.returncode == 0, proc.stderr
    run_dir = Path(proc.stdout.strip())
    pairs = [json.loads(x) for x in (run_dir / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(pairs) == 12
    assert proc.stderr == ""  # quiet when not on a terminal: no progress bar, no library chatter


@pytest.mark.slow
def test_model_not_cached_and_hub_offline(tmp_path: Path) -> None:
    env = {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    proc = run_mt("translate", "--config", "configs/default.yaml", "--input", "seeds", env=env)
    assert_one_line_error(proc)
    assert proc.stderr.strip() == OFFLINE_MESSAGE


@pytest.mark.slow
def test_model_not_cached_and_hub_unreachable(tmp_path: Path) -> None:
    env = {"HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "hf"), "HF_ENDPOINT": "http://127.0.0.1:9"}
    proc = run_mt("translate", "--config", "configs/default.yaml", "--input", "seeds", env=env)
    assert proc.stderr.strip() == OFFLINE_MESSAGE
    assert proc.returncode == 2
    proc = run_mt("download", "configs/default.yaml", env=env)
    assert proc.stderr.strip() == OFFLINE_MESSAGE


def bad_config(tmp: Path) -> Path:
    return write_config(tmp / "bad.yaml", name="x", model="org/m", beam_size="four")


@pytest.mark.parametrize(
    ("make_args", "fragments"),
    [
        (lambda tmp: ["translate", "--input", str(tmp / "missing.txt")], ["input", "missing.txt", "does not exist"]),
        (lambda tmp: ["translate", "--input", str(tmp)], ["holds no .txt files"]),
        (lambda tmp: ["translate", "--config", str(tmp / "none.yaml"), "--input", str(SEED_ARTICLE)],
         ["none.yaml' does not exist"]),
        (lambda tmp: ["translate", "--config", str(bad_config(tmp)), "--input", str(SEED_ARTICLE)],
         ["key 'beam_size' must be of type int"]),
        (lambda tmp: ["segment", str(tmp / "nothing.txt")], ["is not a file"]),
    ],
    ids=["missing-input", "folder-without-txt", "missing-config", "bad-config", "segment-missing"],
)
def test_user_mistakes_get_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               make_args, fragments: list[str]) -> None:
    code = main(make_args(tmp_path))
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("mt: error: ")
    for fragment in fragments:
        assert fragment in err


@pytest.mark.parametrize(("args", "message"), [
    (["translate"], "the following arguments are required: --input (mt translate --help)"),
    ([], "the following arguments are required: COMMAND (mt --help)"),
    (["segment", "--format", "xml"], "argument --format: invalid choice: 'xml' (choose from 'text', 'jsonl') "
                                     "(mt segment --help)"),
    (["translate", "--input", "a.txt", "--num-workers", "two"], "argument --num-workers: invalid int value: 'two' "
                                                                "(mt translate --help)"),
])
def test_a_command_line_mistake_is_one_line_saying_where_help_is(args: list[str], message: str) -> None:
    # attack 15: argparse printed a usage block of several lines, then "mt translate: error: ..."
    proc = run_mt(*args)
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", f"mt: error: {message}\n")


def test_segment_command_text_and_jsonl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["segment", "--no-repair-glued", str(SEED_ARTICLE)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 11  # the glued boundary is left alone on request
    assert main(["segment", "--format", "jsonl", str(SEED_ARTICLE)]) == 0  # repaired by default, as mt translate
    records = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    assert len(records) == 12
    assert all(text[r["start"] : r["end"]] == r["text"] for r in records)
    assert records[4]["flags"] == ["glued_split"]


def test_segment_reads_standard_input() -> None:
    proc = run_mt("segment", "-", stdin="ذهب أحمد.وعاد سامي؟ نعم")
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == ["ذهب أحمد.", "وعاد سامي؟", "نعم"]


@pytest.mark.parametrize(("argv", "count"), [
    (["translate", "--input", "x", "-v"], 1),
    (["-v", "translate", "--input", "x"], 1),
    (["-vv", "translate", "--input", "x"], 2),
    (["align", "--source", "a", "--target", "b", "-vv"], 2),
    (["segment"], 0),
])
def test_verbose_goes_before_or_after_the_command(argv: list[str], count: int) -> None:
    assert build_parser().parse_args(argv).verbose == count


ARTICLE_LINE = "نفى المتحدث باسم الخارجية الروسية الأنباء. وقال إن موسكو لن تتدخل.\n"


@pytest.mark.parametrize(("fmt", "first_line"), [
    ("text", "نفى المتحدث باسم الخارجية الروسية الأنباء.\n"),
    ("jsonl", '{"text": "نفى المتحدث باسم الخارجية الروسية الأنباء.", "start": 0, "end": 42, "flags": []}\n'),
])
def test_a_closed_pipe_ends_the_command_quietly_with_141(tmp_path: Path, fmt: str, first_line: str) -> None:
    """`mt segment big.txt | head -1`: far more output than a pipe holds, so the write meets the closed pipe."""
    text = tmp_path / "big.txt"
    text.write_text(ARTICLE_LINE * 5000, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "mt.cli", "segment", "--format", fmt, str(text)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline().decode("utf-8")
    proc.stdout.close()  # as head does once it has its line
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 141
    assert err == b""
    assert first == first_line


@pytest.mark.slow
def test_a_closed_standard_output_is_one_line_before_any_work(tmp_path: Path, marian_config: Path) -> None:
    # attack 11: `mt translate ... >&-` ran the whole translation, then ended in an internal error (AttributeError:
    # 'NoneType' object has no attribute 'flush'); `mt segment` in another (no attribute 'write')
    (tmp_path / "a.txt").write_text(ARTICLE_LINE, encoding="utf-8")
    for args in (["segment", str(tmp_path / "a.txt")],
                 ["translate", "--config", str(marian_config), "--input", str(tmp_path / "a.txt")]):
        proc = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "mt.cli", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=300, check=False)
        assert (proc.returncode, proc.stderr) == (2, "mt: error: standard output is closed; mt writes its results "
                                                     "there: redirect it to a file or /dev/null instead\n")
    assert not (tmp_path / "outputs").exists()


def test_an_internal_error_is_one_line_and_its_traceback_comes_with_v(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import mt.segment

    def bug(text: str, **kwargs: object) -> list:
        return {"a": 1}["x"]  # a genuine bug, not the user's doing

    monkeypatch.setattr(mt.segment, "split_sentences", bug)
    (tmp_path / "a.txt").write_text(ARTICLE_LINE, encoding="utf-8")
    assert main(["segment", str(tmp_path / "a.txt")]) == 1
    assert capsys.readouterr().err == ("mt: error: internal error: KeyError: 'x' (run again with -v for the "
                                       "traceback)\n")
    assert main(["segment", str(tmp_path / "a.txt"), "-v"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n") and err.endswith("KeyError: 'x'\n")
    assert "in bug" in err


@pytest.mark.parametrize(("failure", "message"), [
    (PermissionError(13, "Permission denied", "/srv/corpus/a.txt"), "Permission denied: '/srv/corpus/a.txt'"),
    (OSError(5, "Input/output error"), "Input/output error"),
    (OSError(28, "No space left on device"),
     "the disk is full (no space left on the device); free some space and run the command again"),
])
def test_an_environmental_failure_is_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str], failure: OSError,
                                                         message: str) -> None:
    import mt.segment

    def fail(text: str, **kwargs: object) -> list:
        raise failure

    monkeypatch.setattr(mt.segment, "split_sentences", fail)
    (tmp_path / "a.txt").write_text(ARTICLE_LINE, encoding="utf-8")
    assert main(["segment", str(tmp_path / "a.txt")]) == 2
    assert capsys.readouterr().err == f"mt: error: {message}\n"
