"""How input is read, whatever the command or the way in (CLI, Python API, Ray): the reading options where
files are read, byte-order marks, ids that every output can carry, folders that say what they hold, options the
user named that are never ignored, and one warning per skipped entry."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mt
from mt.cli import main
from mt.errors import ConfigError, InputError
from mt.inputs.files import read_lines, read_text
from mt.inputs.sources import open_source
from tests.conftest import ROOT, write_config
from tests.test_cli import run_mt

ARABIC = "نفى المتحدث باسم الخارجية الروسية الأنباء. وقال إن موسكو لن تتدخل."
SENTENCES = ["نفى المتحدث باسم الخارجية الروسية الأنباء.", "وقال إن موسكو لن تتدخل."]
# "نفى", an invalid byte, "وقال": UTF-8 with one bad byte at offset 6
BROKEN = "نفى".encode() + b"\xff" + "وقال".encode() + b"\n"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def one_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run `mt argv`: it must fail with exit code 2 and one line on stderr; returns the line."""
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("mt: error: "), err
    return err.strip().removeprefix("mt: error: ")


# --- segment, align and score read their files as translate does: --encoding and --errors --------------------

def test_segment_align_and_score_refuse_invalid_bytes_naming_their_own_options(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(BROKEN)
    message = (f"input '{bad}' is not valid UTF-8 at byte offset 6; convert it, or pass --encoding (e.g. cp1256) or "
               "--errors replace")
    for argv in (["segment", str(bad)],
                 ["align", "--source", str(bad), "--target", str(bad), "--translation", str(bad)],
                 ["score", "--source", str(bad), "--target", str(bad), "--output", str(tmp_path / "s")]):
        assert one_error(capsys, argv) == message
        assert main([*argv, "--errors", "replace"]) == 0  # ... and the options it names exist
        capsys.readouterr()


@pytest.mark.parametrize(("data", "lines"), [
    (b"", []),  # an empty file has no lines, not one empty one
    (b"\n", [("", 0, 0)]),
    ("نفى\n\nوقال".encode(), [("نفى", 0, 3), ("", 4, 4), ("وقال", 5, 9)]),  # empty lines count; no final newline
    ("نفى\r\nوقال\r\n".encode(), [("نفى", 0, 3), ("وقال", 4, 8)]),  # CRLF read as LF: offsets into the text
])
def test_read_lines_one_sentence_per_line_with_offsets(tmp_path: Path, data: bytes,
                                                       lines: list[tuple[str, int, int]]) -> None:
    """How `mt align` and `mt score` split their files: line k is sentence k, with its offsets in the text."""
    (tmp_path / "a.txt").write_bytes(data)
    text, found = read_lines(tmp_path / "a.txt")
    assert found == lines and all(text[start:end] == line for line, start, end in found)


def test_score_refuses_empty_files_as_align_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("ar.txt", "en.txt"):
        (tmp_path / name).write_bytes(b"")
    assert main(["score", "--source", str(tmp_path / "ar.txt"), "--target", str(tmp_path / "en.txt"),
                 "--output", str(tmp_path / "s")]) == 2
    assert capsys.readouterr().err == f"mt: error: input '{tmp_path / 'ar.txt'}' is empty\n"
    assert not (tmp_path / "s").exists()


def test_segment_reads_windows_arabic_with_encoding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cp.txt").write_bytes(ARABIC.encode("cp1256"))
    assert main(["segment", "--encoding", "cp1256", str(tmp_path / "cp.txt")]) == 0
    assert capsys.readouterr().out.splitlines() == SENTENCES


def test_segment_decodes_standard_input_with_the_same_rules(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BROKEN)))
    assert one_error(capsys, ["segment", "-"]) == ("input '<stdin>' is not valid UTF-8 at byte offset 6; convert it, "
                                                   "or pass --encoding (e.g. cp1256) or --errors replace")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BROKEN)))
    assert main(["segment", "--errors", "replace", "-"]) == 0
    assert capsys.readouterr().out == "نفى\ufffdوقال\n"


def test_align_reads_its_three_files_with_the_encoding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ar.txt").write_bytes("\n".join(SENTENCES).encode("cp1256"))
    (tmp_path / "en.txt").write_bytes(b"The spokesman denied the reports.\nHe said Moscow would not interfere.\n")
    (tmp_path / "mt.txt").write_bytes(b"The spokesman denied the news.\nHe said Moscow will not interfere.\n")
    assert main(["align", "--encoding", "cp1256", "--format", "jsonl", "--source", str(tmp_path / "ar.txt"),
                 "--target", str(tmp_path / "en.txt"), "--translation", str(tmp_path / "mt.txt")]) == 0
    beads = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(b["src"], b["tgt"], b["ar"]) for b in beads] == [([0], [0], SENTENCES[0]), ([1], [1], SENTENCES[1])]


@pytest.mark.slow
def test_compare_reads_the_input_with_the_encoding(tmp_path: Path, marian_config: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cp.txt").write_bytes(ARABIC.encode("cp1256"))
    argv = ["compare", str(marian_config), "--input", str(tmp_path / "cp.txt"), "--output", str(tmp_path / "cmp")]
    assert one_error(capsys, argv) == (
        f"system 'tiny-marian' ({marian_config}) failed: input '{tmp_path / 'cp.txt'}' is not valid UTF-8 at byte "
        "offset 0; convert it, or pass --encoding (e.g. cp1256) or --errors replace")
    assert main([*argv, "--encoding", "cp1256"]) == 0
    [system] = json.loads((tmp_path / "cmp" / "table.json").read_text(encoding="utf-8"))["systems"]
    assert [p["ar"] for p in read_jsonl(Path(system["run_dir"]) / "pairs.jsonl")] == SENTENCES


REFERENCE = ["The spokesman denied the \u201creports\u201d.", "He said Moscow would not intervene."]


def test_references_are_read_with_the_inputs_encoding(tmp_path: Path, marian_config: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # attack 10: a --reference or a sidecar name.en.txt was read as UTF-8 whatever --encoding said, and the error
    # then advised the --encoding that had been given
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.ar.txt").write_bytes(ARABIC.encode("cp1256"))
    (folder / "a.en.txt").write_bytes("\n".join(REFERENCE).encode("cp1256"))  # the quotes are bytes 0x93, 0x94
    (tmp_path / "ref.txt").write_bytes((folder / "a.en.txt").read_bytes())
    for args in (["--input", str(folder / "a.ar.txt"), "--reference", str(tmp_path / "ref.txt")],
                 ["--input", str(folder)]):
        assert main(["translate", "--config", str(marian_config), "--encoding", "cp1256", *args]) == 0
        run_dir = Path(capsys.readouterr().out.strip())
        assert [(p["ar"], p["ref"]) for p in read_jsonl(run_dir / "pairs.jsonl")] == list(zip(SENTENCES, REFERENCE))


@pytest.mark.slow
def test_compare_reads_the_reference_with_the_encoding(tmp_path: Path, marian_config: Path) -> None:
    (tmp_path / "cp.txt").write_bytes(ARABIC.encode("cp1256"))
    (tmp_path / "ref.txt").write_bytes("\n".join(REFERENCE).encode("cp1256"))
    assert main(["compare", str(marian_config), "--input", str(tmp_path / "cp.txt"), "--reference",
                 str(tmp_path / "ref.txt"), "--output", str(tmp_path / "cmp"), "--encoding", "cp1256"]) == 0
    table = json.loads((tmp_path / "cmp" / "table.json").read_text(encoding="utf-8"))
    assert table["reference_groups"] == 2
    side = read_jsonl(tmp_path / "cmp" / "side_by_side.jsonl")
    assert [row.get("ref") for row in side] == REFERENCE


def test_compare_refuses_an_empty_reference_before_any_system_runs(tmp_path: Path, marian_config: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text(ARABIC, encoding="utf-8")
    (tmp_path / "a.en.txt").write_text("\n", encoding="utf-8")
    assert one_error(capsys, ["compare", str(marian_config), "--input", str(tmp_path / "a.txt"), "--reference",
                              str(tmp_path / "a.en.txt")]) == (
        f"reference '{tmp_path / 'a.en.txt'}' is empty: it has no English sentences to score against; give the "
        "English version of the input, or leave --reference out")
    assert not (tmp_path / "outputs").exists()


def test_score_flags_replaced_bytes_and_records_the_reading(tmp_path: Path) -> None:
    (tmp_path / "ar.txt").write_bytes(BROKEN + "وقال إن موسكو لن تتدخل.\n".encode())
    (tmp_path / "en.txt").write_text("He denied it.\nHe said Moscow would not interfere.\n", encoding="utf-8")
    assert main(["score", "--source", str(tmp_path / "ar.txt"), "--target", str(tmp_path / "en.txt"),
                 "--errors", "replace", "--output", str(tmp_path / "s")]) == 0
    pairs = read_jsonl(tmp_path / "s" / "pairs.jsonl")
    assert [p["ar"] for p in pairs] == ["نفى\ufffdوقال", "وقال إن موسكو لن تتدخل."]
    assert pairs[0]["flags"][0] == "invalid_bytes" and "invalid_bytes" not in pairs[1]["flags"]
    assert pairs[0]["reasons"][0] == "holds U+FFFD where the input had bytes invalid in utf-8"
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["inputs"]["encoding"], manifest["inputs"]["errors"]) == ("utf-8", "replace")


# --- byte-order marks ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "name"), [
    (b"\xff\xfe" + ARABIC.encode("utf-16-le"), "UTF-16 LE"),
    (b"\xfe\xff" + ARABIC.encode("utf-16-be"), "UTF-16 BE"),
    (b"\xff\xfe\x00\x00" + ARABIC.encode("utf-32-le"), "UTF-32 LE"),
    (b"\x00\x00\xfe\xff" + ARABIC.encode("utf-32-be"), "UTF-32 BE"),
    (b"\xef\xbb\xbf" + ARABIC.encode(), "UTF-8"),
])
def test_a_file_with_a_byte_order_mark_is_read_in_its_encoding(tmp_path: Path, data: bytes, name: str) -> None:
    (tmp_path / "a.txt").write_bytes(data)
    assert read_text(tmp_path / "a.txt") == ARABIC, name


def test_a_utf16_file_translates_with_offsets_into_its_text(tmp_path: Path, marian_config: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"\xff\xfe" + ARABIC.replace(". ", ".\r\n").encode("utf-16-le"))
    assert main(["translate", "--config", str(marian_config), "--input", str(tmp_path / "a.txt")]) == 0
    [run_dir] = (tmp_path / "outputs").iterdir()
    pairs = read_jsonl(run_dir / "pairs.jsonl")
    assert [(p["id"], p["ar"], p["start"], p["end"]) for p in pairs] == [
        ("a:0", SENTENCES[0], 0, 42), ("a:1", SENTENCES[1], 43, 66)]


@pytest.mark.parametrize(("data", "message"), [
    (b"\xff\xfe" + "نفى".encode("utf-16-le") + b"\x00\xd8", "is not valid UTF-16 at byte offset 8"),  # lone surrogate
    (b"\xff\xfe" + "نفى\x00".encode("utf-16-le"), "holds a NUL character (it looks binary, not text) at character "
                                                  "offset 3"),
])
def test_a_bad_utf16_file_is_one_line(tmp_path: Path, data: bytes, message: str) -> None:
    (tmp_path / "a.txt").write_bytes(data)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_text(tmp_path / "a.txt")


def test_a_jsonl_corpus_with_a_byte_order_mark(tmp_path: Path) -> None:
    rows = "".join(json.dumps({"id": k, "text": t}, ensure_ascii=False) + "\n" for k, t in zip("ab", SENTENCES))
    (tmp_path / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + rows.encode())
    (tmp_path / "wide.jsonl").write_bytes(b"\xff\xfe" + rows.encode("utf-16-le"))
    for name in ("bom.jsonl", "wide.jsonl"):
        docs = list(open_source(tmp_path / name).documents())
        assert [(d.doc_id, d.text) for d in docs] == [("a", SENTENCES[0]), ("b", SENTENCES[1])], name


# --- ids: one id in every output, or a one-line refusal ------------------------------------------------------

@pytest.mark.parametrize(("name", "shown", "char"), [("a\nb.txt", "'a\\nb'", "000A"), ("c\td.txt", "'c\\td'", "0009"),
                                                     ("e\u2028f.txt", "'e\\u2028f'", "2028")])
def test_a_file_name_no_output_can_carry_is_refused_in_one_line(tmp_path: Path, marian_config: Path,
                                                                 capsys: pytest.CaptureFixture[str], name: str,
                                                                 shown: str, char: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(SENTENCES[0], encoding="utf-8")
    (folder / name).write_text(SENTENCES[1], encoding="utf-8")
    fix = ("rename the file: its name gives the document's id, and ids must be printable (tab, line breaks and NUL "
           "would break the TSV and TMX)")
    for given, path in ((folder, folder / name), (folder / name, folder / name)):  # in a folder, or alone
        err = one_error(capsys, ["translate", "--config", str(marian_config), "--input", str(given)])
        assert err == f"input {str(path)!r}: the id {shown} holds the control character U+{char} at character 1; {fix}"
    assert not (tmp_path / "outputs").exists()
    (folder / "en.txt").write_text(SENTENCES[1], encoding="utf-8")
    err = one_error(capsys, ["score", "--source", str(folder / name), "--target", str(folder / "en.txt"),
                             "--output", str(tmp_path / "s")])  # mt score names its pairs after the file too
    assert err == f"input {str(folder / name)!r}: the id {shown} holds the control character U+{char} at character " \
                  f"1; {fix}"


def test_a_file_name_that_is_not_utf8_is_said_to_be_so(tmp_path: Path, marian_config: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # attack 15: a Latin-1 name (caf\xe9.txt) was "the control character U+DCE9"
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(SENTENCES[0], encoding="utf-8")
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.txt"), "wb") as fh:
        fh.write(SENTENCES[1].encode("utf-8"))
    path = folder / os.fsdecode(b"caf\xe9.txt")
    err = one_error(capsys, ["translate", "--config", str(marian_config), "--input", str(folder)])
    assert err == (f"input {str(path)!r}: the id 'caf\\udce9' is not valid UTF-8 (the byte 0xE9 at character 3); "
                   "rename the file: its name gives the document's id, and ids must be printable (tab, line breaks "
                   "and NUL would break the TSV and TMX)")


# --- folders say what they hold ------------------------------------------------------------------------------

def test_skipped_entries_are_named_once_per_run(tmp_path: Path, marian_config: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(ARABIC, encoding="utf-8")
    (folder / "broken.txt").symlink_to(folder / "gone.txt")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    os.mkfifo(folder / "pipe.txt")
    with caplog.at_level(logging.WARNING, logger="mt.inputs.files"):
        assert main(["translate", "--config", str(marian_config), "--input", str(folder)]) == 0
    assert sorted(r.getMessage() for r in caplog.records if r.name == "mt.inputs.files") == [
        f"skipping '{folder / 'broken.txt'}': a broken symbolic link (to '{folder / 'gone.txt'}')",
        f"skipping '{folder / 'loop.txt'}': a looping symbolic link (to '{folder / 'loop.txt'}')",
        f"skipping '{folder / 'pipe.txt'}': it is a FIFO (named pipe), not a regular file",
    ]


@pytest.mark.slow
def test_compare_names_skipped_entries_once(tmp_path: Path, marian_config: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(ARABIC, encoding="utf-8")
    os.mkfifo(folder / "pipe.txt")
    other = tmp_path / "other.yaml"  # a second system: the same model under another name
    other.write_text(marian_config.read_text(encoding="utf-8").replace("name: tiny-marian", "name: other"),
                     encoding="utf-8")
    for _ in range(2):  # translated, then reused
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="mt.inputs.files"):
            assert main(["compare", str(marian_config), str(other), "--input", str(folder), "--output",
                         str(tmp_path / "c")]) == 0
        assert [r.getMessage() for r in caplog.records if r.name == "mt.inputs.files"] == [
            f"skipping '{folder / 'pipe.txt'}': it is a FIFO (named pipe), not a regular file"]


def run_mt_unprivileged(*args: str) -> subprocess.CompletedProcess:
    """`run_mt` as a user the file permissions apply to: root gives up its power to override them."""
    if os.geteuid() != 0:
        return run_mt(*args)
    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv is never refused a folder")
    caps = "-dac_override,-dac_read_search"
    return subprocess.run(["setpriv", "--bounding-set", caps, "--inh-caps", caps, sys.executable, "-m", "mt.cli",
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize(("locked", "mode", "message"), [
    ("in/locked", 0o000, "input folder '{tmp}/in': its folder '{tmp}/in/locked' cannot be read (Permission denied), "
                         "so its files would be left out; make it readable, or move it out of the input folder"),
    ("in", 0o000, "input folder '{tmp}/in' cannot be read (Permission denied); make it readable, or give another "
                  "input"),
    ("in", 0o300, "input folder '{tmp}/in' cannot be read (Permission denied); make it readable, or give another "
                  "input"),
], ids=["a-subfolder", "the-folder", "the-folder-searchable-not-listable"])
def test_a_folder_that_cannot_be_read_is_an_error_never_skipped(tmp_path: Path, locked: str, mode: int,
                                                                message: str) -> None:
    # attack 3: an unreadable subfolder was skipped silently, its text lost; the input folder itself was "Permission
    # denied: '.../state.json'"
    folder = folder_with(tmp_path, {"a.txt": ARABIC})
    for sub, text in (("sub", "وقال إن موسكو لن تتدخل."), ("locked", "وأضاف أن الاجتماع سيعقد في جنيف.")):
        (folder / sub).mkdir()
        (folder / sub / "b.txt").write_text(text, encoding="utf-8")
    config = write_config(tmp_path / "c.yaml", name="x", model="org/m", output_dir=str(tmp_path / "outputs"))
    (tmp_path / locked).chmod(mode)
    try:
        proc = run_mt_unprivileged("translate", "--config", str(config), "--input", str(folder))
    finally:
        (tmp_path / locked).chmod(0o755)
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", f"mt: error: {message.format(tmp=tmp_path)}\n")
    assert not (tmp_path / "outputs").exists()


def folder_with(tmp: Path, files: dict[str, str]) -> Path:
    folder = tmp / "in"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(("files", "message"), [
    ({"a.en.txt": "The spokesman denied it."},
     "holds no Arabic .txt files, only 1 English reference(s) ('a.en.txt'): NAME.en.txt is the reference of NAME.txt "
     "or NAME.ar.txt beside it; put the Arabic text in NAME.txt"),
    ({"a.docx": "x", "b.md": "y", "c.html": "z", "d.rtf": "w"},
     "holds no .txt files it can read, only 4 file(s) of other kinds ('a.docx', 'b.md', 'c.html', ...); mt reads "
     "plain-text .txt files (in any case: .TXT too); for a corpus, give a .jsonl or .parquet file"),
    ({"a.txt": ARABIC, "a.TXT": ARABIC}, "'a.TXT' and 'a.txt' both have the document id 'a'; rename one"),
])
def test_a_folder_says_what_it_holds_instead(tmp_path: Path, marian_config: Path,
                                             capsys: pytest.CaptureFixture[str], files: dict[str, str],
                                             message: str) -> None:
    folder = folder_with(tmp_path, files)
    err = one_error(capsys, ["translate", "--config", str(marian_config), "--input", str(folder)])
    assert err in (f"input folder '{folder}' {message}", f"input folder '{folder}': {message}")


@pytest.mark.parametrize(("empty", "message"), [
    (["blank", "empty"], "2 input document(s) hold no text and give no pairs: 'blank', 'empty'"),
    (["e1", "e2", "e3", "e4", "e5"], "5 input document(s) hold no text and give no pairs: 'e1', 'e2', 'e3' and 2 more"),
])
def test_documents_without_text_are_named_in_the_warning(tmp_path: Path, marian_config: Path,
                                                         caplog: pytest.LogCaptureFixture,
                                                         monkeypatch: pytest.MonkeyPatch, empty: list[str],
                                                         message: str) -> None:
    # attack 15: the warning said "1 input document(s) hold no text" without naming it
    import mt.pipeline

    monkeypatch.setattr(mt.pipeline, "CHUNK_DOCS", 2)  # the names are gathered across chunks
    folder = folder_with(tmp_path, {"a.txt": ARABIC, **{f"{name}.txt": " \n" if name == "blank" else ""
                                                         for name in empty}})
    with caplog.at_level(logging.WARNING, logger="mt.pipeline"):
        assert main(["translate", "--config", str(marian_config), "--input", str(folder)]) == 0
    assert [r.getMessage() for r in caplog.records if r.name == "mt.outputs.run"] == [message]
    [run_dir] = (tmp_path / "outputs").iterdir()
    assert json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))["counts"]["empty_documents"] == len(
        empty)


def test_upper_case_names_are_read_with_their_upper_case_reference(tmp_path: Path, marian_config: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    folder = folder_with(tmp_path, {"A.TXT": ARABIC, "A.EN.TXT": "The spokesman denied the reports.\nHe said Moscow "
                                    "would not interfere.\n", "b.en.txt": "Nothing beside it."})
    with caplog.at_level(logging.WARNING, logger="mt.inputs.files"):
        assert main(["translate", "--config", str(marian_config), "--input", str(folder)]) == 0
    assert [r.getMessage() for r in caplog.records if r.name == "mt.inputs.files"] == [
        f"not using '{folder / 'b.en.txt'}': no Arabic document beside it has it as its reference (NAME.txt and "
        "NAME.ar.txt take NAME.en.txt, or NAME.EN.TXT in capitals)"]
    [run_dir] = (tmp_path / "outputs").iterdir()
    pairs = read_jsonl(run_dir / "pairs.jsonl")
    assert [(p["id"], p["ar"], p["ref"]) for p in pairs] == [
        ("A:0", SENTENCES[0], "The spokesman denied the reports."), ("A:1", SENTENCES[1], "He said Moscow would not "
                                                                                           "interfere.")]


@pytest.mark.parametrize("content", ["", " \n\t\n"])
def test_an_empty_reference_is_refused_before_anything_runs(tmp_path: Path, marian_config: Path,
                                                            capsys: pytest.CaptureFixture[str], content: str) -> None:
    (tmp_path / "a.txt").write_text(ARABIC, encoding="utf-8")
    (tmp_path / "a.en.txt").write_text(content, encoding="utf-8")
    err = one_error(capsys, ["translate", "--config", str(marian_config), "--input", str(tmp_path / "a.txt"),
                             "--reference", str(tmp_path / "a.en.txt")])
    assert err == (f"reference '{tmp_path / 'a.en.txt'}' is empty: it has no English sentences to score against; "
                   "give the English version of the input, or leave --reference out")
    assert not (tmp_path / "outputs").exists()


def test_a_reference_with_a_corpus_input_is_refused_in_its_terms(tmp_path: Path, marian_config: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # attack 15: a JSONL input was told to put name.en.txt beside each article of "the folder"
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"id": "a", "text": ARABIC}, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / "a.en.txt").write_text("The spokesman denied the reports.\n", encoding="utf-8")
    err = one_error(capsys, ["translate", "--config", str(marian_config), "--input", str(corpus), "--reference",
                             str(tmp_path / "a.en.txt")])
    assert err == (f"--reference needs a single input document; the jsonl corpus '{corpus}' holds many, and its rows "
                   "take no reference: leave --reference out (references go with .txt articles, as NAME.en.txt "
                   "beside NAME.txt)")
    assert not (tmp_path / "outputs").exists()


def test_the_ray_engine_checks_the_reference_as_the_local_one(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    from mt.config import config_from_dict
    from mt.engines.ray import translate_ray

    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(ARABIC, encoding="utf-8")
    (tmp_path / "ref.en.txt").write_text("", encoding="utf-8")
    config = config_from_dict({"name": "t", "model": "org/m", "output_dir": str(tmp_path / "outputs")})
    for given, message in ((tmp_path / "a.txt", f"reference '{tmp_path / 'ref.en.txt'}' is empty"),
                           (tmp_path, "--reference needs a single input document; for the folder")):
        with pytest.raises(InputError, match=message):
            translate_ray(config, open_source(given), config_path="c.yaml", overwrite=False, address=None,
                          num_workers=1, gpus_per_worker=0, reference=str(tmp_path / "ref.en.txt"))
    assert not (tmp_path / "outputs").exists()


# --- options the user named are never ignored ------------------------------------------------------------------

def corpus_files(tmp: Path) -> dict[str, Path]:
    """The same two documents as JSONL, Parquet and a saved dataset (with and without splits)."""
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = {"key": ["a", "b"], "text": SENTENCES}
    (tmp / "c.jsonl").write_text("".join(json.dumps({"key": k, "text": t}, ensure_ascii=False) + "\n"
                                         for k, t in zip(*rows.values())), encoding="utf-8")
    pq.write_table(pa.table(rows), tmp / "c.parquet")
    datasets.Dataset.from_dict(rows).save_to_disk(str(tmp / "one"))
    datasets.DatasetDict({"train": datasets.Dataset.from_dict(rows)}).save_to_disk(str(tmp / "dict"))
    return {"jsonl": tmp / "c.jsonl", "parquet": tmp / "c.parquet", "one": tmp / "one", "dict": tmp / "dict"}


NO_ID = " has no 'nope' field, the id column named by --id-column (fields: key, text); name another, or leave " \
        "--id-column out to number the rows"


def test_a_named_id_column_or_split_that_is_not_there_is_an_error(tmp_path: Path) -> None:
    files = corpus_files(tmp_path)
    expected = {
        "jsonl": f"input '{files['jsonl']}' line 1{NO_ID}",
        "parquet": f"input '{files['parquet']}' has no column 'nope', the id column named by --id-column (columns: "
                   "key, text); name another, or leave --id-column out to number the rows",
        "one": f"input '{files['one']}' row 1{NO_ID}",
        "dict": f"input '{files['dict']}' row 1{NO_ID}",
    }
    for kind, path in files.items():
        with pytest.raises(InputError) as error:
            list(open_source(path, id_column="nope").documents())
        assert str(error.value) == expected[kind]
        assert [d.doc_id for d in open_source(path, id_column="key").documents()] == ["a", "b"]
        assert [d.doc_id for d in open_source(path).documents()] == ["0", "1"]  # the default may be absent
    for kind in ("jsonl", "parquet"):
        with pytest.raises(InputError) as error:
            open_source(files[kind], split="test")
        assert str(error.value) == (f"--split names a split of a Hugging Face dataset; the input '{files[kind]}' "
                                    f"({kind}) has no splits: leave --split out")
    for kind, message in (("one", "has no splits (it was saved as one Dataset); leave --split out"),
                          ("dict", "has no split 'test' (splits: train); choose one with --split")):
        with pytest.raises(InputError) as error:
            list(open_source(files[kind], split="test").documents())
        assert str(error.value) == f"dataset '{files[kind]}' {message}"


def test_a_named_id_column_must_give_every_row_its_id(tmp_path: Path) -> None:
    (tmp_path / "c.jsonl").write_text(json.dumps({"key": "a", "text": SENTENCES[0]}, ensure_ascii=False) + "\n"
                                      + json.dumps({"key": None, "text": SENTENCES[1]}, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    with pytest.raises(InputError) as error:
        list(open_source(tmp_path / "c.jsonl", id_column="key").documents())
    assert str(error.value) == (f"input '{tmp_path / 'c.jsonl'}' line 2 has no value in 'key', the id column named by "
                                "--id-column; give every row an id, or leave --id-column out to number the rows")


def test_corpus_options_on_a_txt_input_are_errors(tmp_path: Path, marian_config: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text(ARABIC, encoding="utf-8")
    base = ["translate", "--config", str(marian_config), "--input", str(tmp_path / "a.txt")]
    assert one_error(capsys, [*base, "--split", "test"]) == (
        f"--split names a split of a Hugging Face dataset; the input '{tmp_path / 'a.txt'}' (txt) has no splits: "
        "leave --split out")
    for flag in ("--id-column", "--input-column"):
        assert one_error(capsys, [*base, flag, "key"]) == (
            f"{flag} names a column of a .jsonl, .parquet or dataset input; the .txt input '{tmp_path / 'a.txt'}' has "
            f"none (its file names are the ids): leave {flag} out")


def test_the_ray_reader_applies_the_same_rules(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    from mt.inputs.ray_read import _parquet_columns, _saved_dataset, document_of, read_corpus

    files = corpus_files(tmp_path)
    jsonl = open_source(files["jsonl"], id_column="nope")
    assert document_of({"key": "a", "text": SENTENCES[0]}, jsonl) == (None, "", "", NO_ID)
    with pytest.raises(InputError, match="has no column 'nope', the id column named by --id-column"):
        _parquet_columns(open_source(files["parquet"], id_column="nope"))
    with pytest.raises(InputError, match="has no splits"):
        _saved_dataset(None, open_source(files["one"], split="test"), files["one"])
    (tmp_path / "w.jsonl").write_bytes(b"\xff\xfe" + files["jsonl"].read_text(encoding="utf-8").encode("utf-16-le"))
    for encoding, shown in (("utf-8", "utf-16"), ("cp1256", "cp1256")):  # Arrow's reader: UTF-8 only, said so
        with pytest.raises(InputError) as error:
            read_corpus(None, open_source(tmp_path / "w.jsonl", encoding=encoding))
        assert str(error.value) == (f"input '{tmp_path / 'w.jsonl'}' is {shown} (by its byte-order mark or "
                                    "--encoding), and Ray's JSON reader reads UTF-8 only: convert it to UTF-8, or use "
                                    "the local engine")
    (tmp_path / "w.txt").write_bytes(b"\xff\xfe" + ARABIC.encode("utf-16-le"))
    txt = open_source(tmp_path / "w.txt")
    assert document_of({"path": str(tmp_path / "w.txt"), "bytes": (tmp_path / "w.txt").read_bytes()}, txt) == (
        "w", ARABIC, str(tmp_path / "w.txt"), None)


# --- the Python API: the rules of file input, errors in its own words ------------------------------------------

def test_the_api_refuses_what_file_input_refuses(marian_config: Path) -> None:
    pipe = mt.Pipeline.from_config(marian_config)
    with pytest.raises(InputError) as error:
        pipe.translate("نفى المتحدث\x00 الأنباء.")
    assert str(error.value) == ("text holds a NUL character (it looks binary, not text) at character offset 11; only "
                                "tab and line breaks may appear among the text")
    with pytest.raises(InputError) as error:
        pipe.translate_batch(["نفى المتحدث.", "وقال\x1b إن"])
    assert str(error.value).startswith("texts[1] holds the control character U+001B at character offset 4;")
    with pytest.raises(InputError) as error:
        pipe.translate_batch(["نفى المتحدث."], doc_ids=["a\tb"])
    assert str(error.value).startswith("doc_ids: the id 'a\\tb' holds the control character U+0009 at character 1;")
    [pair] = pipe.translate("نفى\x0cالمتحدث.")  # a page break reads as a space, as in a file
    assert (pair.ar, pair.start, pair.end) == ("نفى المتحدث.", 0, 12)


@pytest.mark.parametrize(("overrides", "message"), [
    # attack 15: `extends` was listed among the valid keys, though only a config file may have it
    ({"beam_sise": 1}, "overrides: unknown key 'beam_sise' (did you mean 'beam_size'?); valid keys: backend, "
                       "beam_size,"),
    ({"quality.min_qualty": 0.3}, "overrides: unknown key 'quality.min_qualty' (did you mean 'quality.min_quality'?);"
                                  " valid keys: chars_ratio,"),
    ({"beam_size": 0}, "overrides: key 'beam_size' must be a positive integer, got 0"),
    ({"encoding_errors": "ignore"}, "overrides: key 'encoding_errors' has bad value 'ignore'; valid choices: strict, "
                                    "replace"),
])
def test_api_errors_name_the_keyword_not_a_flag(marian_config: Path, overrides: dict[str, object],
                                                message: str) -> None:
    with pytest.raises(ConfigError) as error:
        mt.Pipeline.from_config(marian_config, **overrides)
    assert str(error.value).startswith(message) and "--" not in str(error.value)


def test_a_typo_in_a_config_file_suggests_the_key(tmp_path: Path) -> None:
    from mt.config import load_config
    from tests.conftest import write_config

    path = write_config(tmp_path / "c.yaml", name="x", model="org/m", max_new_token=12)
    with pytest.raises(ConfigError, match=r"unknown key 'max_new_token' \(did you mean 'max_new_tokens'\?\); valid "):
        load_config(path)
