"""Corpus mode: JSONL, Parquet and Hugging Face dataset inputs, streamed in chunks written as shards; resume per
document (the Ray engine: tests/test_ray.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import mt
import mt.pipeline
from mt.cli import main
from mt.config import load_config
from mt.errors import InputError
from mt.pipeline import translate
from mt.rundir import run_dir_for
from mt.sources import open_source
from tests.conftest import SEED_ARTICLE, write_config

SENTENCES = [
    "نفى المتحدث باسم الخارجية الروسية الأنباء.",
    "وقال إن موسكو لن تتدخل في شؤون سوريا.",
    "وأضاف أن الاجتماع سيعقد في 26 تشرين الثاني.",
]


def documents(n: int) -> list[dict[str, str]]:
    """n short documents, each numbered so that no two are equal."""
    return [{"id": f"doc{k:03d}", "text": f"({k}) {SENTENCES[k % 3]} {SENTENCES[(k + 1) % 3]}"} for k in range(n)]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(mt.pipeline, "CHUNK_DOCS", 10)
    return 10


def test_jsonl_corpus_is_written_in_shards(tmp_path: Path, marian_config: Path, small_chunks: int) -> None:
    import datasets

    corpus = write_jsonl(tmp_path / "corpus.jsonl", documents(25))
    run_dir = translate(load_config(marian_config), corpus)
    pairs = read_jsonl(run_dir / "pairs.jsonl")
    assert len(pairs) == 50 and pairs[0]["id"] == "doc000:0" and pairs[-1]["id"] == "doc024:1"
    assert pairs[2]["ar"] == "(1) وقال إن موسكو لن تتدخل في شؤون سوريا." and pairs[2]["start"] == 0
    assert sorted(p.name for p in (run_dir / "data").iterdir()) == [
        "train-00000-of-00003.parquet", "train-00001-of-00003.parquet", "train-00002-of-00003.parquet"]
    assert not (run_dir / "shards").exists()
    train = datasets.load_dataset(str(run_dir))["train"]
    assert train["id"] == [p["id"] for p in pairs]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["counts"]["documents"] == 25 and manifest["counts"]["pairs"] == 50
    assert manifest["inputs"][3]["doc_id"] == "doc003" and manifest["inputs"][3]["path"].endswith("corpus.jsonl#3")


def test_the_dataset_loads_when_a_chunk_or_the_whole_run_keeps_no_pair(tmp_path: Path, marian_config: Path,
                                                                      small_chunks: int) -> None:
    # attack 4: a chunk of empty documents (or of rejected pairs) was a Parquet file that `datasets` refused
    # ("BatchSize must be greater than 0"), so the whole run did not load
    import datasets

    from mt.writers import dataset_features

    rows = [{"id": f"empty{k}", "text": ""} for k in range(10)] + [{"id": "a", "text": SENTENCES[0]},
                                                                   {"id": "b", "text": SENTENCES[1]}]
    corpus = write_jsonl(tmp_path / "corpus.jsonl", rows)
    assert main(["translate", "--config", str(marian_config), "--input", str(corpus)]) == 0
    [run_dir] = (tmp_path / "outputs").iterdir()
    assert sorted(p.name for p in (run_dir / "data").iterdir()) == [
        "train-00000-of-00002.parquet", "train-00001-of-00002.parquet"]
    train = datasets.load_dataset(str(run_dir))["train"]
    assert train["id"] == ["a:0", "b:0"]
    assert [t["ar"] for t in train["translation"]] == SENTENCES[:2]
    assert mt.load_outputs(run_dir)["train"]["id"] == ["a:0", "b:0"]

    # every pair rejected: an empty split with the run's features
    assert main(["translate", "--config", str(marian_config), "--input", str(corpus), "--min-quality", "1"]) == 0
    [rejecting] = set((tmp_path / "outputs").iterdir()) - {run_dir}
    assert [r["id"] for r in read_jsonl(rejecting / "rejected.jsonl")] == ["a:0", "b:0"]
    empty = mt.load_outputs(rejecting)["train"]
    assert (empty.num_rows, empty.features) == (0, dataset_features())


@pytest.mark.parametrize("name", ["corpus.JSONL", "corpus.NDJSON", "corpus.Parquet"])
def test_corpus_suffixes_are_matched_in_any_case(tmp_path: Path, marian_config: Path, name: str) -> None:
    # attack 13: upper.JSONL was translated as one .txt document of raw JSON
    rows = [{"id": "a", "text": f"{SENTENCES[0]} {SENTENCES[1]}"}, {"id": "b", "text": SENTENCES[2]}]
    path = tmp_path / name
    if name.endswith("Parquet"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        write_jsonl(path, rows)
    assert main(["translate", "--config", str(marian_config), "--input", str(path)]) == 0
    [run_dir] = (tmp_path / "outputs").iterdir()
    assert [(p["id"], p["ar"]) for p in read_jsonl(run_dir / "pairs.jsonl")] == [
        ("a:0", SENTENCES[0]), ("a:1", SENTENCES[1]), ("b:0", SENTENCES[2])]


def test_parquet_and_hf_dataset_inputs(tmp_path: Path, marian_config: Path) -> None:
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = documents(6)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "corpus.parquet")
    config = load_config(marian_config)
    from_parquet = read_jsonl(translate(config, tmp_path / "corpus.parquet", overwrite=True) / "pairs.jsonl")
    saved = tmp_path / "saved"
    datasets.Dataset.from_list([{"key": r["id"], "content": r["text"]} for r in rows]).save_to_disk(str(saved))
    source = open_source(saved, text_column="content", id_column="key")
    assert source.kind == "hf"
    from_hf = read_jsonl(translate(config, saved, source=source, overwrite=True) / "pairs.jsonl")
    assert [(p["id"], p["ar"], p["en"]) for p in from_hf] == [(p["id"], p["ar"], p["en"]) for p in from_parquet]
    assert len(from_hf) == 12


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ('{"id": 1, "text": "نعم"}\n{"id": 2, "text": \n', [], "corpus.jsonl' line 2 is not valid JSON"),
        ('{"id": 1, "body": "نعم"}\n', [], "line 1 has no 'text' field; name the text column with --input-column "
                                           "(fields: body, id)"),
        ('{"id": 1, "text": "نعم"}\n{"id": 1, "text": "لا"}\n', [], "line 2 has the id '1' of line 1"),
        ('{"id": 1, "text": 5}\n', [], "line 1: 'text' is int, not text"),
        ('{"id": 1, "body": "نعم"}\n', ["--input-column", "content"], "line 1 has no 'content' field"),
    ],
    ids=["bad-json", "no-text", "duplicate-id", "not-text", "wrong-column"],
)
def test_bad_corpus_input_is_one_line(tmp_path: Path, marian_config: Path, capsys: pytest.CaptureFixture[str],
                                      content: str, args: list[str], message: str) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(content, encoding="utf-8")
    assert main(["translate", "--config", str(marian_config), "--input", str(corpus), *args]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err


@pytest.mark.parametrize(("content", "message"), [
    ('{"id": {"k": 1}, "text": "نعم"}\n', "line 1 has an object as its id ('id': {\"k\": 1}); an id is a string or an "
                                          "integer"),
    ('{"id": [1, 2], "text": "نعم"}\n', "line 1 has a list as its id ('id': [1, 2]); an id is a string or an integer"),
    ('{"id": true, "text": "نعم"}\n', "line 1 has a boolean as its id ('id': true); an id is a string or an integer"),
    ('{"id": 1.5, "text": "نعم"}\n', "line 1 has a floating-point number as its id ('id': 1.5); an id is a string or "
                                     "an integer"),
    ('{"id": "", "text": "نعم"}\n', "line 1 has an empty id ('id': ''); give it an id, or leave the field out to "
                                    "number the row"),
    ('{"id": "1", "text": "نعم"}\n{"text": "لا"}\n', "line 2 has no id and takes its row number '1' (counted from 0), "
     "which line 1 has as its id; ids must be unique: give every row an id, or none"),
    ('{"text": "نعم"}\n{"id": 0, "text": "لا"}\n', "line 2 has the id '0', which line 1 takes as its row number "
     "(counted from 0: it has no id); ids must be unique: give every row an id, or none"),
], ids=["object", "list", "boolean", "float", "empty", "numbered-after-given", "given-after-numbered"])
def test_an_id_is_a_string_or_an_integer_and_a_clash_with_a_row_number_says_so(
        tmp_path: Path, marian_config: Path, capsys: pytest.CaptureFixture[str], content: str, message: str) -> None:
    # attack 15: objects, lists and booleans became Python reprs ("{'k': 1}:0", "True:0"), an empty id gave ":0",
    # and a row without an id clashing with another's id read "line 2 has the id '1' of line 1"
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(content, encoding="utf-8")
    assert main(["translate", "--config", str(marian_config), "--input", str(corpus)]) == 2
    assert capsys.readouterr().err == f"mt: error: input '{corpus}' {message}\n"


def test_resume_per_document_after_a_crash(tmp_path: Path, marian_config: Path, small_chunks: int,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from mt.backends import load_translator, resolve_backend
    from mt.checkpoint import Checkpoint

    corpus = write_jsonl(tmp_path / "corpus.jsonl", documents(30))
    import yaml

    settings = yaml.safe_load(marian_config.read_text(encoding="utf-8"))
    small_batches = write_config(tmp_path / "small-batches.yaml", **{**settings, "max_batch_tokens": 96})
    config = load_config(small_batches)
    real = load_translator(config)

    class Crashing:
        model_id, revision, max_input_tokens = real.model_id, real.revision, real.max_input_tokens
        count_tokens = staticmethod(real.count_tokens)
        third: list[list[str]] = []  # the batches of the third chunk translated before the crash

        def translate_batch(self, texts: list[str]) -> list:
            if any(re.match(r"\(2\d\)", t) for t in texts):  # documents 20-29: the third chunk
                if len(self.third) == 2:
                    raise RuntimeError("power cut")
                self.third.append(texts)
            return real.translate_batch(texts)

    crashing = Crashing()
    with pytest.raises(RuntimeError, match="power cut"):
        translate(config, corpus, translator=crashing)  # type: ignore[arg-type]
    run_dir = run_dir_for(resolve_backend(config), open_source(corpus))  # named after the backend it ran
    assert sorted(p.name for p in (run_dir / "shards").glob("*.stats.json")) == ["00000.stats.json",
                                                                               "00001.stats.json"]
    saved = {t for batch in crashing.third for t in batch}
    assert 0 < len({t for t in saved if t.startswith("(2")}) < 10  # some of the third chunk's own sentences
    asked: list[str] = []

    class Counting(Crashing):
        def translate_batch(self, texts: list[str]) -> list:
            asked.extend(texts)
            return real.translate_batch(texts)

    resumed = translate(config, corpus, translator=Counting())  # type: ignore[arg-type]
    assert asked and not saved & set(asked)  # what the crashed run saved is read back, not translated again
    manifest = json.loads((resumed / "manifest.json").read_text())
    # resumed: those of the saved ones and of the three unnumbered sentences (checkpointed with the first chunk)
    # that were not translated again in a batch with new ones
    assert manifest["counts"]["pairs"] == 60
    assert manifest["counts"]["resumed_translations"] == len((saved | set(SENTENCES)) - set(asked))
    # the clean run's translations all come from the model, none through the checkpoint
    monkeypatch.setattr(Checkpoint, "load", lambda self, sources=None: {})
    clean = translate(load_config(small_batches, output_dir=str(tmp_path / "clean")), corpus)
    assert json.loads((clean / "manifest.json").read_text())["counts"]["resumed_translations"] == 0
    for name in ("pairs.jsonl", "corpus.ar", "corpus.en", "pairs.tsv", "pairs.tmx", "report.html", "README.md",
                 *(f"data/train-0000{k}-of-00003.parquet" for k in range(3))):
        assert (resumed / name).read_bytes() == (clean / name).read_bytes(), name


def test_the_seed_still_gives_one_shard(tmp_path: Path, marian_config: Path) -> None:
    run_dir = translate(load_config(marian_config), SEED_ARTICLE)
    assert [p.name for p in (run_dir / "data").iterdir()] == ["train-00000-of-00001.parquet"]


def test_missing_ray_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from mt.engine_ray import _import_ray
    from mt.errors import MtError

    real_import = builtins.__import__

    def no_ray(name: str, *args: object, **kwargs: object) -> object:
        if name == "ray":
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(MtError, match=r"--engine ray needs Ray: pip install 'mt\[ray\]'"):
        _import_ray()


def test_unknown_input_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        open_source(tmp_path / "nothing.jsonl")


def test_a_corpus_that_fails_before_anything_is_translated_leaves_nothing_behind(
        tmp_path: Path, marian_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"id": "a", "text": SENTENCES[0]}, {"id": "b", "text": SENTENCES[1]}]
    outputs = tmp_path / "outputs"
    duplicate = write_jsonl(tmp_path / "dup.jsonl", [rows[0], {"id": "a", "text": SENTENCES[1]}])
    assert main(["translate", "--config", str(marian_config), "--input", str(duplicate)]) == 2
    assert capsys.readouterr().err == (f"mt: error: input '{duplicate}' line 2 has the id 'a' of line 1; ids must "
                                       "be unique\n")
    assert list(outputs.iterdir()) == []  # no run folder holding only checkpoint.sqlite and run.json
    # an earlier run of the same input keeps everything when the input, changed since, fails
    corpus = write_jsonl(tmp_path / "corpus.jsonl", rows)
    assert main(["translate", "--config", str(marian_config), "--input", str(corpus)]) == 0
    run_dir = Path(capsys.readouterr().out.strip())
    before = {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file() and p.name != ".lock"}
    write_jsonl(corpus, [rows[0], {"id": "a", "text": SENTENCES[2]}])
    assert main(["translate", "--config", str(marian_config), "--input", str(corpus)]) == 2
    assert "line 2 has the id 'a' of line 1" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file() and p.name != ".lock"} == before
    assert [p.name for p in outputs.iterdir()] == [run_dir.name]
