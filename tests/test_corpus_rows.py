"""Corpus rows obey the rules of files: no NUL or control characters in the text, printable ids, errors
naming the row from 1 as an editor counts; and every output carries the same id."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mt.cli import main
from mt.config import load_config
from mt.engines.local import translate
from mt.errors import InputError
from mt.inputs.files import read_text
from mt.inputs.sources import open_source

TEXT = "نفى المتحدث باسم الخارجية الروسية الأنباء."


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


BAD_ROWS = [
    ({"id": "a", "text": "نص\x00مخفي"}, "line 2: 'text' holds a NUL character (it looks binary, not text) at "
                                        "character offset 2"),
    ({"id": "a", "text": "نص\x1bمخفي"}, "line 2: 'text' holds the control character U+001B at character offset 2"),
    ({"id": "a", "text": "نص\ud800"}, "line 2: 'text' holds the control character U+D800 at character offset 2"),
    ({"id": "a\x00b", "text": TEXT}, "line 2: the id 'a\\x00b' holds the control character U+0000 at character 1"),
    ({"id": "a\tb", "text": TEXT}, "line 2: the id 'a\\tb' holds the control character U+0009 at character 1"),
    ({"id": "a\nb", "text": TEXT}, "line 2: the id 'a\\nb' holds the control character U+000A at character 1"),
    ({"id": "a\u2028b", "text": TEXT}, "line 2: the id 'a\\u2028b' holds the control character U+2028"),
]


@pytest.mark.parametrize(("row", "message"), BAD_ROWS, ids=[m.split(" holds")[0] + str(k) for k, (_, m)
                                                            in enumerate(BAD_ROWS)])
def test_bad_rows_are_refused_in_one_line_naming_the_line(tmp_path: Path, marian_config: Path, row: dict,
                                                          message: str, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "corpus.jsonl"
    # a blank line first: the line number is the editor's, not the row's
    corpus.write_text("\n" + json.dumps(row) + "\n", encoding="utf-8")
    assert main(["translate", "--config", str(marian_config), "--input", str(corpus)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"input '{corpus}' {message}" in err
    assert not (tmp_path / "outputs").exists() or not list((tmp_path / "outputs").rglob("pairs.jsonl"))


def test_parquet_rows_are_counted_from_one(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist([{"id": "a", "text": TEXT}, {"id": "b", "text": "نص\x00"}]),
                   tmp_path / "c.parquet")
    with pytest.raises(InputError, match=r"c.parquet' row 2: 'text' holds a NUL character"):
        list(open_source(tmp_path / "c.parquet").documents())
    pq.write_table(pa.Table.from_pylist([{"id": "a", "text": TEXT}, {"id": "a", "text": TEXT}]),
                   tmp_path / "d.parquet")
    with pytest.raises(InputError, match=r"d.parquet' row 2 has the id 'a' of row 1; ids must be unique"):
        list(open_source(tmp_path / "d.parquet").documents())


def test_files_follow_the_same_rules(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("نص\x1bمخفي\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.txt' holds the control character U\+001B at character offset 2"):
        read_text(bad)
    pages = tmp_path / "pages.txt"
    pages.write_text("الصفحة الأولى.\x0cالصفحة الثانية.\x0b\n", encoding="utf-8")
    assert read_text(pages) == "الصفحة الأولى. الصفحة الثانية. \n"  # form feed, vertical tab: spaces


def test_every_output_carries_the_same_id(tmp_path: Path, marian_config: Path) -> None:
    import datasets

    ids = ["https://www.example.com/ar/news/2012/11/27/%D9%84%D8%A7%D9%81%D8%B1%D9%88%D9%81?utm=1&x=\"y\"",
           "مقالة رقم ١", "<doc a='1'> & co", "with space"]
    corpus = write_jsonl(tmp_path / "corpus.jsonl", [{"id": i, "text": TEXT} for i in ids])
    run_dir = translate(load_config(marian_config), corpus)
    expected = [f"{i}:0" for i in ids]
    jsonl = [json.loads(line)["id"] for line in (run_dir / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    tsv = [line.split("\t")[0] for line in (run_dir / "pairs.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    tmx = [tu.get("tuid") for tu in ET.parse(run_dir / "pairs.tmx").getroot().iter("tu")]
    tmx_ar = [seg.text for seg in ET.parse(run_dir / "pairs.tmx").getroot().iter("seg")][::2]
    parquet = datasets.load_dataset(str(run_dir))["train"]["id"]
    assert jsonl == tsv == tmx == parquet == expected
    assert tmx_ar == [TEXT] * 4
    report = (run_dir / "report.html").read_text(encoding="utf-8")
    assert all(f'title="{i}:0"' in report.replace("&quot;", '"').replace("&#x27;", "'").replace("&lt;", "<")
               .replace("&gt;", ">").replace("&amp;", "&") for i in ids)
