"""What each output file of a run must hold for every pair of its `pairs.jsonl`, as README.md's "Output files"
table says: every field, in every file, read back with a real reader (lxml and translate-toolkit for the TMX,
`datasets` for the Parquet dataset, lxml for the HTML). Used by tests/test_outputs.py and tests/test_pipeline.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import mt

# README: "tabs and line breaks inside a sentence become spaces" (corpus.ar/corpus.en, and so the TSV's cells).
_TAB_OR_BREAK = re.compile("\r\n|[\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# pairs.jsonl's fields in order; the TSV's and TMX's numbers are these.
FIELDS = ["id", "doc_id", "index", "ar", "en", "start", "end", "score", "quality", "flags", "reasons", "scores",
          "ref", "ref_ids", "pieces", "model"]


def spaced(text: str) -> str:
    return _TAB_OR_BREAK.sub(" ", text)


def read_pairs(run_dir: Path) -> list[dict[str, Any]]:
    """pairs.jsonl, one object per line (split at "\\n" only: U+2028 inside a JSON string is not a line end)."""
    lines = (run_dir / "pairs.jsonl").read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ""
    pairs = [json.loads(line) for line in lines[:-1]]
    assert all(list(p) == FIELDS for p in pairs)
    return pairs


def lines_of(path: Path) -> list[str]:
    """A line-based file's lines, split at "\\n" only (what a Moses or TSV reader counts)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "", f"{path.name} does not end with a newline"
    return lines[:-1]


def check_moses(run_dir: Path, pairs: list[dict[str, Any]]) -> None:
    """corpus.ar and corpus.en: one line per pair, tabs and line breaks inside a sentence as spaces."""
    assert lines_of(run_dir / "corpus.ar") == [spaced(p["ar"]) for p in pairs]
    assert lines_of(run_dir / "corpus.en") == [spaced(p["en"]) for p in pairs]


def _number(cell: str) -> float | None:
    return None if cell == "" else float(cell)


def check_tsv(run_dir: Path, pairs: list[dict[str, Any]]) -> None:
    """pairs.tsv: the header `id doc_id index start end quality score flags`, a column per score, `ar en ref`;
    then one row per pair holding the same values (numbers read back equal, empty cells for null)."""
    rows = [line.split("\t") for line in lines_of(run_dir / "pairs.tsv")]
    score_keys = list(pairs[0]["scores"]) if pairs else []
    header = ["id", "doc_id", "index", "start", "end", "quality", "score", "flags", *score_keys, "ar", "en", "ref"]
    assert rows[0] == header
    assert len(rows) == len(pairs) + 1
    for p, row in zip(pairs, rows[1:]):
        assert len(row) == len(header), row
        cells = dict(zip(header, row))
        read = {"id": cells["id"], "doc_id": cells["doc_id"], "index": int(cells["index"]),
                "start": int(cells["start"]), "end": int(cells["end"]), "quality": _number(cells["quality"]),
                "score": _number(cells["score"]), "flags": cells["flags"].split(",") if cells["flags"] else [],
                "scores": {k: _number(cells[k]) for k in score_keys}, "ar": cells["ar"], "en": cells["en"],
                "ref": cells["ref"]}
        assert read == {"id": p["id"], "doc_id": p["doc_id"], "index": p["index"], "start": p["start"],
                        "end": p["end"], "quality": p["quality"], "score": p["score"], "flags": p["flags"],
                        "scores": p["scores"], "ar": spaced(p["ar"]), "en": spaced(p["en"]),
                        "ref": spaced(p["ref"] or "")}, p["id"]


def check_tmx(run_dir: Path, pairs: list[dict[str, Any]]) -> None:
    """pairs.tmx: TMX 1.4b read with lxml and with translate-toolkit's TMX reader; one <tu tuid="id"> per pair with
    the Arabic and English <tuv>s unchanged and a <prop> for each field that has a value."""
    from lxml import etree
    from translate.storage.tmx import tmxfile

    root = etree.parse(str(run_dir / "pairs.tmx")).getroot()
    assert (root.tag, root.get("version")) == ("tmx", "1.4")
    header = root.find("header")
    assert {k: header.get(k) for k in ("srclang", "segtype", "creationtool", "creationtoolversion")} == {
        "srclang": "ar", "segtype": "sentence", "creationtool": "mt", "creationtoolversion": mt.__version__}
    units = root.find("body").findall("tu")
    assert len(units) == len(pairs)
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    for p, tu in zip(pairs, units):
        assert (tu.get("tuid"), tu.get("srclang")) == (p["id"], "ar")
        tuvs = {tuv.get(lang): tuv.findtext("seg") for tuv in tu.findall("tuv")}
        assert tuvs == {"ar": p["ar"], "en": p["en"]}, p["id"]
        props = {prop.get("type"): prop.text for prop in tu.findall("prop")}
        numbers = {"x-quality": p["quality"], "x-score": p["score"],
                   **{f"x-{k}": v for k, v in p["scores"].items()}}
        assert {k: float(props[k]) for k in props if k in numbers} == {
            k: v for k, v in numbers.items() if v is not None}, p["id"]
        texts = {"x-doc-id": p["doc_id"], "x-index": str(p["index"]), "x-start": str(p["start"]),
                 "x-end": str(p["end"]), "x-flags": ",".join(p["flags"]), "x-reasons": " | ".join(p["reasons"]),
                 "x-model": p["model"], "x-reference": p["ref"] or ""}
        assert {k: v for k, v in props.items() if k not in numbers} == {k: v for k, v in texts.items() if v}, p["id"]
    store = tmxfile((run_dir / "pairs.tmx").read_bytes(), "ar", "en")
    assert [(u.getid(), u.source, u.target or "") for u in store.units] == [(p["id"], p["ar"], p["en"]) for p in pairs]


def check_dataset(run_dir: Path, pairs: list[dict[str, Any]]) -> None:
    """`datasets.load_dataset(run_dir)`: a train split whose rows are the pairs, `ar`/`en` in `translation`."""
    import datasets

    train = datasets.load_dataset(str(run_dir))["train"]
    assert list(train.features) == ["id", "doc_id", "index", "translation", "start", "end", "score", "quality",
                                    "flags", "reasons", "scores", "ref", "ref_ids", "pieces", "model"]
    assert train.features["translation"] == datasets.Translation(languages=["ar", "en"])
    expected = [{"id": p["id"], "doc_id": p["doc_id"], "index": p["index"],
                 "translation": {"ar": p["ar"], "en": p["en"]}, "start": p["start"], "end": p["end"],
                 "score": p["score"], "quality": p["quality"], "flags": p["flags"], "reasons": p["reasons"],
                 "scores": p["scores"], "ref": p["ref"], "ref_ids": p["ref_ids"], "pieces": p["pieces"],
                 "model": p["model"]} for p in pairs]
    assert train.to_list() == expected


def _shown(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def check_report(run_dir: Path, pairs: list[dict[str, Any]]) -> None:
    """report.html: one row per pair, in order, with its id, quality and log-probability (4 decimals in the row's
    data, 3 shown), Arabic, English, reference (a column only when some pair has one), flags with reasons."""
    import lxml.html

    page = lxml.html.fromstring((run_dir / "report.html").read_bytes())
    [table] = page.xpath('//table[@id="pairs"]')
    rows = table.xpath("./tbody/tr")
    assert len(rows) == len(pairs)
    has_ref = any(p["ref"] for p in pairs)
    assert bool(table.xpath('./thead/tr/th[text()="Reference"]')) == has_ref

    def cell(row: Any, kind: str) -> str:
        [td] = row.xpath(f'./td[contains(concat(" ", @class, " "), " {kind} ")]')
        return str(td.text_content())

    for k, (p, row) in enumerate(zip(pairs, rows)):
        data = {key: row.get(f"data-{key}") for key in ("order", "id", "quality", "score", "flags")}
        assert data == {"order": str(k), "id": p["id"], "quality": _shown(p["quality"], 4),
                        "score": _shown(p["score"], 4), "flags": ",".join(p["flags"])}, p["id"]
        assert row.get("id") == p["id"] and row.xpath('./td[@class="id"]/@title') == [p["id"]]
        assert [str(td.text_content()) for td in row.xpath('./td[@class="num"]')] == [
            _shown(p["quality"], 3), _shown(p["score"], 3)]
        assert (cell(row, "ar"), cell(row, "en")) == (p["ar"], p["en"]), p["id"]
        if has_ref:
            assert cell(row, "ref") == (p["ref"] or "")
        flags = [(span.text_content(), span.get("title")) for span in row.xpath('.//span[@class="flag"]')]
        assert flags == list(zip(p["flags"], p["reasons"]))
        assert [span.text_content() for span in row.xpath('.//span[@class="reason"]')] == p["reasons"]


def check_offsets(document: str, pairs: list[dict[str, Any]], doc_id: str) -> None:
    """Each pair's `ar` is `document[start:end]`, its id `doc_id:index`, the indices 0, 1, 2, ..."""
    assert [p["id"] for p in pairs] == [f"{doc_id}:{k}" for k in range(len(pairs))]
    assert all(p["doc_id"] == doc_id and p["index"] == k for k, p in enumerate(pairs))
    for p in pairs:
        assert document[p["start"] : p["end"]] == p["ar"], p["id"]


def check_every_file(run_dir: Path, pairs: list[dict[str, Any]]) -> None:
    check_moses(run_dir, pairs)
    check_tsv(run_dir, pairs)
    check_tmx(run_dir, pairs)
    check_dataset(run_dir, pairs)
    check_report(run_dir, pairs)
