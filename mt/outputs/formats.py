"""Writers for a run folder. Every file is written under a temporary name and renamed into place."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import yaml

from mt.outputs.parquet import write_table, yaml_features
from mt.quality.checks import SCORE_KEYS
from mt.records import Pair
from mt.version import __version__

DATASET_GLOB = "data/train-*.parquet"


def dataset_file(shard: int, shards: int) -> str:
    return f"data/train-{shard:05d}-of-{shards:05d}.parquet"


def temp_name(path: Path) -> Path:
    """A hidden temporary name beside `path`, unique to this process."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` so that a crash leaves either the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # gone already after the rename; removed after a failure


def atomic_lines(path: Path, lines: Iterable[str]) -> None:
    """Stream `lines` into `path`, atomically as `atomic_write`: memory stays flat however many there are."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            for line in lines:
                fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def one_line(text: str) -> str:
    """Text for line- and tab-based formats: any line break or tab becomes a space."""
    return " ".join(text.replace("\t", " ").splitlines()) if text else ""


def write_jsonl(path: Path, pairs: Iterable[Pair]) -> None:
    atomic_lines(path, (json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in pairs))


def write_moses(run_dir: Path, pairs: Callable[[], Iterable[Pair]]) -> None:
    """corpus.ar and corpus.en; `pairs` is called once per file, so a stream can be read twice."""
    atomic_lines(run_dir / "corpus.ar", (one_line(p.ar) + "\n" for p in pairs()))
    atomic_lines(run_dir / "corpus.en", (one_line(p.en) + "\n" for p in pairs()))


TSV_COLUMNS = ("id", "doc_id", "index", "start", "end", "quality", "score", "flags", *SCORE_KEYS, "ar", "en", "ref")


def _number(value: float | None) -> str:
    """The shortest text that reads back as the same float (pairs.jsonl's value), or empty."""
    return "" if value is None else repr(value)


def write_tsv(path: Path, pairs: Iterable[Pair]) -> None:
    """One header row, then one row per pair; empty cells for scores that do not apply."""
    def rows() -> Iterator[str]:
        yield "\t".join(TSV_COLUMNS) + "\n"
        for p in pairs:
            fields = (p.id, p.doc_id, str(p.index), str(p.start), str(p.end), _number(p.quality), _number(p.score),
                      ",".join(p.flags), *(_number(p.scores.get(k)) for k in SCORE_KEYS), p.ar, p.en, p.ref or "")
            yield "\t".join(one_line(f) for f in fields) + "\n"

    atomic_lines(path, rows())


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Escaped for XML; characters XML 1.0 cannot hold become U+FFFD."""
    return xml_escape(_XML_INVALID.sub("\ufffd", text), {'"': "&quot;"})


def write_tmx(path: Path, pairs: Iterable[Pair]) -> None:
    """TMX 1.4b: one <tu> per pair, Arabic source, scores and flags as <prop type="x-...">."""
    atomic_lines(path, (line + "\n" for line in _tmx_lines(pairs)))


def _tmx_lines(pairs: Iterable[Pair]) -> Iterator[str]:
    yield '<?xml version="1.0" encoding="UTF-8"?>'
    yield '<!DOCTYPE tmx SYSTEM "tmx14.dtd">'
    yield '<tmx version="1.4">'
    yield (f'  <header creationtool="mt" creationtoolversion="{__version__}" datatype="plaintext" segtype="sentence"'
           ' adminlang="en" srclang="ar" o-tmf="mt"/>')
    yield "  <body>"
    for p in pairs:
        props = {"x-doc-id": p.doc_id, "x-index": str(p.index), "x-start": str(p.start), "x-end": str(p.end),
                 "x-quality": _number(p.quality), "x-score": _number(p.score), "x-flags": ",".join(p.flags),
                 "x-reasons": " | ".join(p.reasons), "x-model": p.model}
        props.update({f"x-{k}": _number(v) for k, v in p.scores.items() if v is not None})
        if p.ref is not None:
            props["x-reference"] = p.ref
        yield f'    <tu tuid="{xml_text(p.id)}" srclang="ar">'
        yield from (f'      <prop type="{k}">{xml_text(v)}</prop>' for k, v in props.items() if v)
        yield f'      <tuv xml:lang="ar"><seg>{xml_text(p.ar)}</seg></tuv>'
        yield f'      <tuv xml:lang="en"><seg>{xml_text(p.en)}</seg></tuv>'
        yield "    </tu>"
    yield "  </body>"
    yield "</tmx>"


def dataset_features() -> Any:
    import datasets

    return datasets.Features(
        {
            "id": datasets.Value("string"),
            "doc_id": datasets.Value("string"),
            "index": datasets.Value("int64"),
            "translation": datasets.Translation(languages=["ar", "en"]),
            "start": datasets.Value("int64"),
            "end": datasets.Value("int64"),
            "score": datasets.Value("float64"),
            "quality": datasets.Value("float64"),
            "flags": datasets.List(datasets.Value("string")),
            "reasons": datasets.List(datasets.Value("string")),
            "scores": {k: datasets.Value("float64") for k in SCORE_KEYS},
            "ref": datasets.Value("string"),
            "ref_ids": datasets.List(datasets.Value("int64")),
            "pieces": datasets.Value("int64"),
            "model": datasets.Value("string"),
        }
    )


def dataset_rows(pairs: Iterable[Pair]) -> list[dict[str, Any]]:
    rows = []
    for p in pairs:
        row = p.to_dict()
        row["translation"] = {"ar": row.pop("ar"), "en": row.pop("en")}
        row["scores"] = {k: p.scores.get(k) for k in SCORE_KEYS}
        rows.append(row)
    return rows


def write_parquet(path: Path, pairs: Iterable[Pair]) -> None:
    """One Parquet shard of the dataset, written to a temporary name and renamed."""
    rows = dataset_rows(pairs)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    write_table(str(tmp), rows)
    os.replace(tmp, path)


def write_card(run_dir: Path, manifest: dict[str, Any]) -> None:
    """The dataset card whose YAML header makes `datasets.load_dataset(run_dir)` find the Parquet shards."""
    num_bytes = sum(p.stat().st_size for p in run_dir.glob(DATASET_GLOB))
    atomic_write(run_dir / "README.md", dataset_card(manifest, num_bytes))


def dataset_card(manifest: dict[str, Any], num_bytes: int = 0) -> str:
    """The card; `num_bytes` is the split's size (its Parquet files): `datasets` wants it beside the count."""
    header = {
        "language": ["ar", "en"],
        "task_categories": ["translation"],
        "pretty_name": f"mt run {manifest['run']}",
        "configs": [
            {"config_name": "default", "data_files": [{"split": "train", "path": DATASET_GLOB}]},
        ],
        # The content digest changes whenever the pairs do: `datasets` keys its cache on this header, so a run
        # folder rewritten with other pairs is never served from a stale cache.
        "dataset_info": {"description": f"pairs.jsonl sha256 {manifest.get('pairs_sha256', '')}",
                         "features": yaml_features(),
                         "splits": [{"name": "train", "num_bytes": num_bytes,
                                     "num_examples": manifest["counts"]["pairs"]}]},
    }
    counts = manifest["counts"]
    model = manifest.get("model")  # the model that translated (a run of `mt score` scored pairs it did not make)
    version = manifest["packages"]["mt"]
    made = (f"made by `mt` {version} with `{model['id']}` (revision `{model['revision'] or 'local'}`)" if model
            else f"scored by `mt` {version}")
    signature = manifest.get("signature")
    return (
        "---\n"
        + yaml.safe_dump(header, allow_unicode=True, sort_keys=False)
        + "---\n\n"
        + f"# {manifest['run']}\n\n"
        + f"Arabic→English pairs {made}: {counts['pairs']} pairs from"
        + f" {counts['documents']} document(s), {counts['flagged']} flagged.\n\n"
        + "```python\nimport datasets\n"
        + f'ds = datasets.load_dataset("path/to/{manifest["run"]}")  # this folder\n```\n\n'
        + "Each row: `translation` (`ar`, `en`), `id` (`doc_id:index`), `start`/`end` (character offsets of the"
        + " Arabic sentence in its document), `score` (mean log-probability per output token), `quality` (combined"
        + " quality estimate in [0, 1]), `scores` (every check, see the `mt` README), `flags` and `reasons`"
        + " (`reasons[k]` explains `flags[k]`), `ref`/`ref_ids` (aligned reference sentences, when a reference"
        + " was given), `pieces` (how many parts the sentence was cut into for the model), `model`.\n\n"
        + (f"Signature: `{signature}`\n" if signature else "")
    )


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    atomic_write(path, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
