"""Every bad input and bad config: a one-line error with exit code 2, or a flagged record; never a traceback,
never lost text."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mt.cli import main
from mt.config import config_from_dict
from mt.pipeline import model_pieces, segment_document
from mt.records import Document
from tests.conftest import ROOT, SEED_ARTICLE, write_config

ARABIC = "نفى المتحدث باسم الخارجية الروسية الأنباء. وقال إن موسكو لن تتدخل."


def file_with(content: bytes) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        (tmp / "in.txt").write_bytes(content)
        return ["--input", str(tmp / "in.txt")]

    return make


def config_with(**change: object) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        path = write_config(tmp / "bad.yaml", **{"name": "x", "model": "org/m", **change})
        return ["--config", str(path), "--input", str(SEED_ARTICLE)]

    return make


def model_folder_with(files: dict[str, str], backend: str) -> Callable[[Path], list[str]]:
    """A config whose model is a local folder holding only `files` (name -> content)."""
    def make(tmp: Path) -> list[str]:
        (tmp / "model").mkdir()
        for name, content in files.items():
            (tmp / "model" / name).write_text(content, encoding="utf-8")
        return config_with(model="./model", backend=backend)(tmp)

    return make


MARIAN_CONFIG = json.dumps({"model_type": "marian", "architectures": ["MarianMTModel"], "vocab_size": 300})
NO_WEIGHTS = ("model folder '{tmp}/model' has no weights (model.safetensors or pytorch_model.bin, or a sharded "
              "one's .index.json); a model folder holds what save_pretrained writes (config.json, the weights and "
              "the tokenizer's files): copy the whole model there, or set 'model' in {tmp}/bad.yaml to a hub id")
NO_TOKENIZER = "model folder '{tmp}/model' has no tokenizer files (source.spm+target.spm+vocab.json); a model folder"


def bert_folder(backend: str) -> Callable[[Path], list[str]]:
    """A config whose model is a real (tiny) BERT encoder saved by transformers: no translation model."""
    def make(tmp: Path) -> list[str]:
        from transformers import BertConfig, BertModel

        with contextlib.redirect_stderr(io.StringIO()):  # its progress bar
            BertModel(BertConfig(vocab_size=10, hidden_size=8, num_hidden_layers=1, num_attention_heads=1,
                                 intermediate_size=8)).save_pretrained(tmp / "model")
        (tmp / "model" / "vocab.json").write_text("{}", encoding="utf-8")
        return config_with(model="./model", backend=backend)(tmp)

    return make


def model_file(tmp: Path) -> list[str]:
    """A config whose model names a file (the weights alone), not a model folder."""
    (tmp / "model.safetensors").write_bytes(b"weights")
    return config_with(model="./model.safetensors")(tmp)


def output_dir_is_a_file(tmp: Path) -> list[str]:
    (tmp / "taken").write_text("a file, not a folder")
    return ["--input", str(SEED_ARTICLE), "--output-dir", str(tmp / "taken")]


ERRORS = [
    ("missing-file", lambda tmp: ["--input", str(tmp / "missing.txt")], "input '{tmp}/missing.txt' does not exist"),
    ("folder-without-txt", lambda tmp: ["--input", str(tmp)], "input folder '{tmp}' holds no .txt files"),
    ("output-folder-unwritable", output_dir_is_a_file, "'{tmp}/taken' is a file, not a folder, so '{tmp}/taken/"),
    ("empty-file", file_with(b""), "holds no text to translate (it is empty or whitespace only)"),
    ("whitespace-only", file_with(b"  \r\n\t\n\xc2\xa0"), "holds no text to translate"),
    ("nul-bytes", file_with(ARABIC.encode() + b"\x00\x00"), "holds a NUL byte at byte offset 120: it looks binary"),
    ("binary", file_with(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "holds a NUL byte at byte offset 8"),
    ("invalid-utf8", file_with("نفى".encode() + b"\xff" + "وقال".encode()),
     "is not valid UTF-8 at byte offset 6; convert it, or pass --encoding (e.g. cp1256) or --errors replace"),
    ("windows-1256", file_with(ARABIC.encode("cp1256")), "is not valid UTF-8 at byte offset 0"),
    ("unknown-encoding", lambda tmp: [*file_with(b"x")(tmp), "--encoding", "klingon"],
     "unknown encoding 'klingon'; use a Python codec name such as utf-8 or cp1256"),
    ("missing-config", lambda tmp: ["--config", str(tmp / "none.yaml"), "--input", str(SEED_ARTICLE)],
     "config file '{tmp}/none.yaml' does not exist"),
    ("config-not-yaml", lambda tmp: [*config_with()(tmp)[:1], str(_write(tmp / "c.yaml", "name: [x")),
                                     "--input", str(SEED_ARTICLE)], "c.yaml' is not valid YAML at line 1"),
    ("unknown-key", config_with(colour="red"), "unknown key 'colour'; valid keys: extends, backend"),
    ("wrong-type", config_with(beam_size="four"), "key 'beam_size' must be of type int, got str 'four'"),
    ("zero-size", config_with(max_batch_tokens=0), "key 'max_batch_tokens' must be a positive integer, got 0"),
    ("negative-size", config_with(beam_size=-2), "key 'beam_size' must be a positive integer, got -2"),
    ("model-path-missing", config_with(model="./models/nothing"),
     "key 'model' names a local folder './models/nothing' that does not exist"),
    # attack 15: a file was "a local folder ... that does not exist"
    ("model-is-a-file", model_file,
     "mt: error: {tmp}/bad.yaml: key 'model' names './model.safetensors', which is a file, not a model folder; name "
     "the folder that holds config.json, the weights and the tokenizer's files (or a hub id)\n"),
    ("model-id-with-space", config_with(model="org/name with space"),
     "bad.yaml: key 'model' is 'org/name with space', which is neither a local folder nor a Hugging Face hub id; "
     "write a hub id as org/name in letters, digits, '-', '_' and '.' (e.g. Helsinki-NLP/opus-mt-ar-en), or the "
     "path of a model folder"),
    ("model-id-with-two-dashes", config_with(model="org/opus--mt"), "key 'model' is 'org/opus--mt', which is neither"),
    *[(f"model-folder-with-only-config-{backend}", model_folder_with({"config.json": MARIAN_CONFIG}, backend),
       NO_WEIGHTS) for backend in ("hf", "ct2")],
    *[(f"model-folder-without-tokenizer-{backend}",
       model_folder_with({"config.json": MARIAN_CONFIG, "model.safetensors": ""}, backend), NO_TOKENIZER)
      for backend in ("hf", "ct2")],
    # attack 11: the ct2 converter failed on a BERT folder with an AttributeError (an internal error)
    ("bert-model-ct2", bert_folder("ct2"), "mt: error: model '{tmp}/model' is a 'bert' model; mt translates with "
     "Marian (opus-mt) and NLLB/M2M-100 models: set 'model' to one of those\n"),
    ("bert-model-hf", bert_folder("hf"), "mt: error: model '{tmp}/model' could not be loaded as a seq2seq model: "
     "Unrecognized configuration class <class 'transformers.models.bert.configuration_bert.BertConfig'> for this "
     "kind of AutoModel: AutoModelForSeq2SeqLM.\n"),
    ("model-folder-with-bad-config", model_folder_with({"config.json": "{"}, "hf"),
     "model folder '{tmp}/model': config.json cannot be read as JSON (Expecting property name enclosed in double "
     "quotes: line 1 column 2 (char 1)); copy the model folder again"),
    ("nllb-code", config_with(src_lang="ara_Arab"), "unknown language code 'ara_Arab'; did you mean 'arb_Arab'?"),
    ("name-escapes-outputs", config_with(name="../../etc"), "key 'name' has bad value '../../etc'"),
    ("bad-errors-mode", config_with(encoding_errors="ignore"),
     "key 'encoding_errors' has bad value 'ignore'; valid choices: strict, replace"),
]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("make_args", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_bad_input_or_config_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    marian_config: Path, make_args: Callable[[Path], list[str]],
                                                    message: str) -> None:
    args = make_args(tmp_path)
    if "--config" not in args:
        args = ["--config", str(marian_config), *args]
    code = main(["translate", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("mt: error: ") and "Traceback" not in err
    assert message.format(tmp=tmp_path) in err


@pytest.mark.slow
def test_errors_reach_the_shell_as_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_bytes(b"\xd9\x86\xff")
    proc = subprocess.run([sys.executable, "-m", "mt.cli", "translate", "--input", str(tmp_path / "bad.txt")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"mt: error: input '{tmp_path}/bad.txt' is not valid UTF-8 at byte offset 2; convert it, or pass "
        "--encoding (e.g. cp1256) or --errors replace"
    ]


def run(tmp_path: Path, config: Path, content: bytes, *extra: str) -> list[dict]:
    (tmp_path / "in.txt").write_bytes(content)
    assert main(["translate", "--config", str(config), "--input", str(tmp_path / "in.txt"), *extra]) == 0
    run_dir = next((tmp_path / "outputs").iterdir())
    return [json.loads(line) for line in (run_dir / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]


def test_bom_and_crlf_are_read_cleanly(tmp_path: Path, marian_config: Path) -> None:
    pairs = run(tmp_path, marian_config, b"\xef\xbb\xbf" + ARABIC.replace(". ", ".\r\n").encode())
    assert [p["ar"] for p in pairs] == ["نفى المتحدث باسم الخارجية الروسية الأنباء.", "وقال إن موسكو لن تتدخل."]
    assert [(p["start"], p["end"]) for p in pairs] == [(0, 42), (43, 66)]  # offsets in the text after BOM/CRLF


def test_invalid_bytes_replaced_on_request_and_flagged(tmp_path: Path, marian_config: Path) -> None:
    pairs = run(tmp_path, marian_config, "نفى".encode() + b"\xff" + " الأنباء.".encode(), "--errors", "replace")
    assert pairs[0]["ar"] == "نفى\ufffd الأنباء."
    assert "invalid_bytes" in pairs[0]["flags"]
    assert pairs[0]["reasons"][pairs[0]["flags"].index("invalid_bytes")] == (
        "holds U+FFFD where the input had bytes invalid in utf-8")


def test_windows_arabic_with_encoding_option(tmp_path: Path, marian_config: Path) -> None:
    pairs = run(tmp_path, marian_config, ARABIC.encode("cp1256"), "--encoding", "cp1256")
    assert " ".join(p["ar"] for p in pairs) == ARABIC


HTML = '<p>نفى المتحدث الأنباء.</p><script>alert("x")</script>\n<p>وقال &quot;لن نتدخل&quot;.</p>'


def test_markup_is_translated_as_text_and_flagged(tmp_path: Path, marian_config: Path) -> None:
    pairs = run(tmp_path, marian_config, HTML.encode())
    assert "".join(p["ar"] for p in pairs).count("<p>") == 2  # nothing removed
    assert all("markup" in p["flags"] for p in pairs)


def test_strip_html_translates_the_visible_text(tmp_path: Path, marian_config: Path) -> None:
    pairs = run(tmp_path, marian_config, HTML.encode(), "--strip-html")
    assert [p["ar"] for p in pairs] == ["نفى المتحدث الأنباء.", 'وقال "لن نتدخل".']
    assert not any("markup" in p["flags"] for p in pairs)


def test_strip_html_decodes_character_references_once(tmp_path: Path, marian_config: Path) -> None:
    # attack 12: `&amp;lt;` became `<` (decoded twice: the page shows `&lt;`), and `&#0;` (U+FFFD, as a browser
    # shows it) was flagged as bytes invalid in UTF-8
    html = "<p>نفى &amp;lt;script&amp;gt; المتحدث.</p>\n<p>وقال &#0; إن &#xD800; موسكو &amp; أنقرة.</p>\n"
    pairs = run(tmp_path, marian_config, html.encode(), "--strip-html")
    assert [p["ar"] for p in pairs] == ["نفى &lt;script&gt; المتحدث.", "وقال \ufffd إن \ufffd موسكو & أنقرة."]
    assert [(f, r) for f, r in zip(pairs[0]["flags"], pairs[0]["reasons"]) if f == "markup"] == [
        ("markup", "looks like HTML/XML markup, shown as text by the page")]
    assert "invalid_bytes" not in pairs[1]["flags"] and "markup" not in pairs[1]["flags"]


def test_text_that_is_not_arabic_is_flagged_with_its_script(tmp_path: Path, marian_config: Path) -> None:
    pairs = run(tmp_path, marian_config, "The talks failed.\nПереговоры провалились.\n".encode() + ARABIC.encode())
    assert [p["reasons"][p["flags"].index("not_arabic")] if "not_arabic" in p["flags"] else None
            for p in pairs] == ["the text is mostly Latin script, not Arabic",
                                "the text is mostly Cyrillic script, not Arabic", None, None]


@pytest.mark.slow
def test_a_100000_character_line_without_punctuation(tmp_path: Path, marian_config: Path) -> None:
    words = "كلمة عربية طويلة جدا بلا ترقيم".split()
    line = " ".join(words[k % len(words)] for k in range(16_000))[:100_000]
    pairs = run(tmp_path, marian_config, line.encode())
    assert len(pairs) == 1 and pairs[0]["ar"] == line.strip() and "split_for_model" in pairs[0]["flags"]
    assert pairs[0]["pieces"] > 100 and pairs[0]["en"]


@pytest.mark.slow
def test_a_2_mb_line_without_punctuation_is_translated_whole(tmp_path: Path, tiny_marian: Path) -> None:
    """One sentence larger than pyarrow's JSON blocks (two of 1 MiB) becomes one pair, in every output file; the
    run used to end in "straddling object straddles two block boundaries" while writing the Parquet file, after
    all the translation, and again on every rerun. The real command, on the default backend."""
    import pyarrow.parquet as pq

    phrase = "نفى المتحدث باسم وزارة الخارجية الروسية صحة ما أشيع عن لقاء المعارضة السورية في موسكو"
    line = " ".join([phrase] * 14_000)
    assert (len(line), len(line.encode())) == (1_203_999, 2_197_999)  # more than 2 MiB (2,097,152 bytes)
    (tmp_path / "long.txt").write_text(line + "\n", encoding="utf-8")
    config = write_config(tmp_path / "c.yaml", name="long", model=str(tiny_marian), beam_size=1, max_new_tokens=2,
                          output_dir=str(tmp_path / "out"))
    proc = subprocess.run([sys.executable, "-m", "mt.cli", "translate", "--config", str(config), "--input",
                           str(tmp_path / "long.txt")], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    run_dir = Path(proc.stdout.strip())
    [pair] = [json.loads(x) for x in (run_dir / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert (pair["ar"], pair["start"], pair["end"]) == (line, 0, 1_203_999)
    assert "split_for_model" in pair["flags"] and pair["pieces"] > 1000 and pair["en"]
    [row] = pq.read_table(run_dir / "data" / "train-00000-of-00001.parquet").to_pylist()
    assert row["translation"] == {"ar": line, "en": pair["en"]}
    assert (row["id"], row["start"], row["end"], row["pieces"]) == ("long:0", 0, 1_203_999, pair["pieces"])
    assert (run_dir / "corpus.ar").read_text(encoding="utf-8") == line + "\n"


def test_trust_remote_code_is_never_enabled(tmp_path: Path, tiny_marian: Path) -> None:
    """A model folder that asks for custom code gets its standard class; the custom module is never run."""
    import shutil

    from mt.backends.hf import HFTranslator

    model = tmp_path / "remote"
    shutil.copytree(tiny_marian, model)
    marker = tmp_path / "remote-code-ran"
    (model / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n"
                                   "from transformers import MarianMTModel as EvilModel\n")
    cfg = json.loads((model / "config.json").read_text())
    cfg["auto_map"] = {"AutoModelForSeq2SeqLM": "evil.EvilModel", "AutoConfig": "evil.EvilModel"}
    (model / "config.json").write_text(json.dumps(cfg))
    try:
        HFTranslator(config_from_dict({"name": "r", "model": str(model)}))
    except Exception:  # noqa: BLE001 (refusing to load is also fine; running the code is not)
        pass
    assert not marker.exists()


class CharTokens:
    """Stands in for a tokenizer: one token per 4 characters."""

    max_input_tokens = 12

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(t) // 4 + 1 for t in texts]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("نفى المتحدث.؟!،؛\"«»\n\r\t 0123٤٥ـabc<>&")), max_size=400))
def test_segments_and_pieces_cover_the_input_losslessly(text: str) -> None:
    doc = Document("d", text)
    units = segment_document(doc, config_from_dict({"name": "x", "model": "org/m"}))
    end = 0
    for unit in units:
        seg = unit.segment
        assert text[seg.start : seg.end] == seg.text and seg.start >= end
        assert not text[end : seg.start].strip()  # only whitespace between segments
        end = seg.end
        pieces = model_pieces(seg.text, CharTokens())  # type: ignore[arg-type]
        readable = any(ch.isalnum() and ch != "\u0640" for ch in seg.text)  # else nothing_to_translate
        assert "".join("".join(p.split()) for p in pieces) == "".join(
            ch for ch in seg.text if readable and not ch.isspace() and ch not in "\u0640")  # tatweel is dropped
    assert not text[end:].strip()
