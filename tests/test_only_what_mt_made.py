"""mt replaces only what it made (issue 21): `--overwrite` and the clean-ups remove a folder's files only when it
holds mt's run.json and nothing mt did not make, never an input; `mt compare` and `mt align --output` follow
the same rules. Each test drives the real command."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_cli import assert_one_line_error, run_mt

AR = "نفى المتحدث باسم الخارجية الروسية الأنباء.\nوقال إن موسكو لن تتدخل.\n"
EN = "The Foreign Ministry spokesman denied the reports.\nHe said that Moscow would not intervene.\n"
OTHER_AR = "وأضاف أن الاجتماع سيعقد في 26 تشرين الثاني في جنيف.\n"
OTHER_EN = "He added that the meeting would be held in Geneva on 26 November.\n"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too) with its bytes (a lock file's, the PID of its last holder, aside)."""
    return {p.relative_to(folder).as_posix(): b"" if p.name == ".lock" else p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def files(folder: Path, ar: str, en: str, stem: str = "a") -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.ar.txt").write_text(ar, encoding="utf-8")
    (folder / f"{stem}.en.txt").write_text(en, encoding="utf-8")
    return folder / f"{stem}.ar.txt", folder / f"{stem}.en.txt"


def test_overwrite_never_deletes_the_inputs_nor_the_users_files(tmp_path: Path) -> None:
    # the steps: the inputs and a thesis in one folder, given as the output folder
    v = tmp_path / "v"
    src, tgt = files(v, AR, EN)
    (v / "thesis.docx").write_bytes(b"PK\x03\x04 four years of work")
    before = snapshot(v)
    for extra in ([], ["--overwrite"]):
        proc = run_mt("score", "--source", str(src), "--target", str(tgt), "--output", str(v), *extra)
        assert_one_line_error(proc)
        assert proc.stderr == (f"mt: error: the output folder '{v}' holds the input '{src}': mt never writes where "
                               "its inputs are, nor replaces them; pick an empty or new folder\n")
        assert snapshot(v) == before  # nothing removed, nothing added (no .lock either)

    # the inputs elsewhere: a folder of someone else's files is still not mt's to replace
    (v / "a.ar.txt").rename(tmp_path / "a.ar.txt")
    (v / "a.en.txt").rename(tmp_path / "a.en.txt")
    before = snapshot(v)
    for extra in ([], ["--overwrite"]):
        proc = run_mt("score", "--source", str(tmp_path / "a.ar.txt"), "--target", str(tmp_path / "a.en.txt"),
                      "--output", str(v), *extra)
        assert_one_line_error(proc)
        assert proc.stderr == (f"mt: error: folder '{v}' holds files that mt did not make ('thesis.docx'; no "
                               "run.json); mt writes only into a new or empty folder or one it made, and --overwrite "
                               "replaces nothing else: pick an empty or new folder\n")
        assert snapshot(v) == before


def test_overwrite_replaces_an_mt_folder_only_while_it_holds_nothing_else(tmp_path: Path) -> None:
    src, tgt = files(tmp_path / "in", AR, EN)
    src2, tgt2 = files(tmp_path / "in", OTHER_AR, OTHER_EN, stem="b")
    out = tmp_path / "scores"
    assert run_mt("score", "--source", str(src), "--target", str(tgt), "--output", str(out)).returncode == 0
    (out / "notes.md").write_text("my notes on these scores\n", encoding="utf-8")
    before = snapshot(out)
    proc = run_mt("score", "--source", str(src2), "--target", str(tgt2), "--output", str(out), "--overwrite")
    assert_one_line_error(proc)
    assert proc.stderr == (f"mt: error: folder '{out}' holds 'notes.md', which mt did not make; --overwrite replaces "
                           "only what mt made: move it out, or pick an empty or new folder\n")
    assert snapshot(out) == before
    (out / "notes.md").unlink()
    proc = run_mt("score", "--source", str(src2), "--target", str(tgt2), "--output", str(out), "--overwrite")
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["ar"] for line in (out / "pairs.jsonl").read_text(encoding="utf-8").splitlines()] == [
        OTHER_AR.strip()]
    # an mt folder that is itself the input is not replaced either
    proc = run_mt("score", "--source", str(out), "--output", str(out), "--overwrite")
    assert_one_line_error(proc)


@pytest.mark.parametrize("identity", ['{"name": "my project"}\n', '{"config_hash": "mine", "input": {}}\n',
                                      '{"config_hash": "3ce76c87", "input": {"kind": "lines", "path": "/x"}, '
                                      '"notes": "mine"}\n', "[1, 2]\n", "not json\n"],
                         ids=["a-project-file", "mt-like-keys", "an-extra-key", "a-list", "not-json"])
def test_a_run_json_mt_did_not_write_makes_the_folder_foreign(tmp_path: Path, identity: str) -> None:
    # attack 1: a folder of the user's own files with a run.json of theirs is not mt's, --overwrite or not
    src, tgt = files(tmp_path / "in", AR, EN)
    p = tmp_path / "p"
    p.mkdir()
    (p / "run.json").write_text(identity, encoding="utf-8")
    (p / "README.md").write_text("notes\n", encoding="utf-8")
    (p / "corpus.en").write_text("mine\n", encoding="utf-8")
    (p / "manifest.json").write_text('{"a": 1}\n', encoding="utf-8")
    before = snapshot(p)
    for extra in ([], ["--overwrite"]):
        proc = run_mt("score", "--source", str(src), "--target", str(tgt), "--output", str(p), *extra)
        assert_one_line_error(proc)
        assert proc.stderr == (f"mt: error: folder '{p}' holds files that mt did not make ('README.md', 'corpus.en', "
                               "'manifest.json', ...; a run.json mt did not write); mt writes only into a new or empty "
                               "folder or one it made, and --overwrite replaces nothing else: pick an empty or new "
                               "folder\n")
        assert snapshot(p) == before


@pytest.mark.slow
def test_overwrite_of_a_run_folder_keeps_a_file_the_user_put_there(tmp_path: Path, marian_config: Path) -> None:
    text = tmp_path / "a.txt"
    text.write_text(AR, encoding="utf-8")
    proc = run_mt("translate", "--config", str(marian_config), "--input", str(text))
    assert proc.returncode == 0, proc.stderr
    run_dir = Path(proc.stdout.strip())
    (run_dir / "data" / "my-split.parquet").write_bytes(b"PAR1 not mt's")
    before = snapshot(run_dir)
    proc = run_mt("translate", "--config", str(marian_config), "--input", str(text), "--overwrite")
    assert_one_line_error(proc, f"folder '{run_dir}' holds 'data/my-split.parquet', which mt did not make")
    assert snapshot(run_dir) == before


def compare_args(config: Path, text: Path, *extra: str) -> list[str]:
    return ["compare", str(config), "--input", str(text), "--name", "tiny", *extra]


@pytest.mark.slow
def test_compare_folders_belong_to_their_input_and_are_locked(tmp_path: Path, marian_config: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(AR, encoding="utf-8")
    b.write_text(OTHER_AR, encoding="utf-8")
    # the same systems and name on two inputs: two folders, neither replaced
    first, second = (run_mt(*compare_args(marian_config, text)) for text in (a, b))
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    out_a, out_b = (Path(proc.stdout.strip().splitlines()[-1]) for proc in (first, second))
    assert out_a != out_b and out_a.name.startswith("compare-tiny-") and out_b.name.startswith("compare-tiny-")
    assert json.loads((out_a / "table.json").read_text(encoding="utf-8"))["input"] == str(a)
    assert json.loads((out_b / "table.json").read_text(encoding="utf-8"))["input"] == str(b)
    assert json.loads((out_a / "run.json").read_text(encoding="utf-8"))["input"] == {
        "kind": "compare", "path": a.resolve().as_posix(), "reference": None}

    # --output holding another input's comparison: refused, then replaced only when asked
    before = snapshot(out_a)
    proc = run_mt(*compare_args(marian_config, b, "--output", str(out_a)))
    assert_one_line_error(proc, f"run folder '{out_a}' holds the comparison of another input ('{a.resolve()}'); "
                                "pass --overwrite to replace it")
    assert snapshot(out_a) == before
    # a folder of other files: refused, --overwrite or not
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "paper.tex").write_text("\\section{Results}\n", encoding="utf-8")
    proc = run_mt(*compare_args(marian_config, a, "--output", str(mine), "--overwrite"))
    assert_one_line_error(proc, f"folder '{mine}' holds files that mt did not make ('paper.tex'; no run.json)")
    assert sorted(p.name for p in mine.iterdir()) == ["paper.tex"]

    # a comparison holds its folder's lock: a second one on it is refused at once, naming the holder
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from mt.rundir import lock_run; "
         "lock = lock_run(Path(sys.argv[1])); print('locked', flush=True); time.sleep(60)", str(out_a)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        proc = run_mt(*compare_args(marian_config, a))
        assert_one_line_error(proc, f"run folder '{out_a}' is in use by another mt run (process {holder.pid})")
    finally:
        holder.kill()
        holder.wait()
    assert snapshot(out_a) == before


def test_align_output_is_a_file_never_a_folder_nor_an_input(tmp_path: Path) -> None:
    src, tgt = files(tmp_path, AR, EN)
    mt_lines = tmp_path / "mt.en.txt"
    mt_lines.write_text(EN, encoding="utf-8")
    args = ["align", "--source", str(src), "--target", str(tgt), "--translation", str(mt_lines)]
    before = snapshot(tmp_path)

    proc = run_mt(*args, "--output", str(tmp_path))
    assert_one_line_error(proc)
    assert proc.stderr == (f"mt: error: --output '{tmp_path}' is a folder; give the name of a file to write (e.g. "
                           f"{tmp_path / 'beads.txt'})\n")
    for flag, path in (("--source", src), ("--target", tgt), ("--translation", mt_lines)):
        proc = run_mt(*args, "--output", str(path))
        assert_one_line_error(proc)
        assert proc.stderr == (f"mt: error: --output '{path}' is the {flag} file, which would be overwritten; pick "
                               "another file\n")
    proc = run_mt(*args, "--output", str(src / "beads.txt"))
    assert_one_line_error(proc)
    assert proc.stderr == f"mt: error: --output: '{src}' is a file, not a folder; pick a new or empty folder for the " \
                          "output\n"
    assert snapshot(tmp_path) == before  # nothing written, nothing replaced

    proc = run_mt(*args, "--output", str(tmp_path / "beads.txt"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "beads.txt").read_text(encoding="utf-8") == "[0]:[0]:0.9890\n[1]:[1]:0.9889\n"


def test_align_output_writes_through_links_and_special_files_and_never_over_an_input(tmp_path: Path) -> None:
    # attack 2: a symbolic link, a FIFO and a device were replaced by a regular file; `x/../a.en.txt` (x missing)
    # overwrote the --target
    src, tgt = files(tmp_path, AR, EN)
    mt_lines = tmp_path / "mt.en.txt"
    mt_lines.write_text(EN, encoding="utf-8")
    args = ["align", "--source", str(src), "--target", str(tgt), "--translation", str(mt_lines), "--output"]
    beads = "[0]:[0]:0.9890\n[1]:[1]:0.9889\n"

    link, linked = tmp_path / "beads-link.txt", tmp_path / "kept" / "beads.txt"
    linked.parent.mkdir()
    linked.write_text("old beads\n", encoding="utf-8")
    link.symlink_to(linked)
    proc = run_mt(*args, str(link))
    assert (proc.returncode, proc.stderr) == (0, "")
    assert link.is_symlink() and os.readlink(link) == str(linked)
    assert linked.read_text(encoding="utf-8") == beads

    fifo = tmp_path / "beads.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader waiting, as `cat beads.fifo` would
    try:
        proc = run_mt(*args, str(fifo))
        assert (proc.returncode, proc.stderr) == (0, "")
        assert os.read(reader, 65536).decode("utf-8") == beads
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)

    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null's numbers
    except PermissionError:
        pass  # not root: the FIFO stands for the special files
    else:
        proc = run_mt(*args, str(device))
        assert (proc.returncode, proc.stderr) == (0, "")
        assert stat.S_ISCHR(device.lstat().st_mode)

    before = snapshot(tmp_path)
    for flag, path in (("--target", tmp_path / "missing" / ".." / "a.en.txt"), ("--source", tmp_path / "src-link")):
        if path.name == "src-link":
            path.symlink_to(src)
            before = snapshot(tmp_path)
        proc = run_mt(*args, str(path))
        assert_one_line_error(proc)
        assert proc.stderr == (f"mt: error: --output '{path}' is the {flag} file, which would be overwritten; pick "
                               "another file\n")
        assert snapshot(tmp_path) == before
    assert (src.read_text(encoding="utf-8"), tgt.read_text(encoding="utf-8")) == (AR, EN)
