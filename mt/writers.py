"""Writers for a run folder. Every file is written under a temporary name and renamed into place."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from mt.records import Pair

DATASET_FILE = "data/train-00000-of-00001.parquet"


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` so that a crash leaves either the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def one_line(text: str) -> str:
    """Text for line- and tab-based formats: any line break or tab becomes a space."""
    return " ".join(text.replace("\t", " ").splitlines()) if text else ""


def write_jsonl(path: Path, pairs: Iterable[Pair]) -> None:
    atomic_write(path, "".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in pairs))


def write_moses(run_dir: Path, pairs: list[Pair]) -> None:
    atomic_write(run_dir / "corpus.ar", "".join(one_line(p.ar) + "\n" for p in pairs))
    atomic_write(run_dir / "corpus.en", "".join(one_line(p.en) + "\n" for p in pairs))


TSV_COLUMNS = ("id", "doc_id", "index", "start", "end", "score", "flags", "ar", "en")


def write_tsv(path: Path, pairs: Iterable[Pair]) -> None:
    rows = ["\t".join(TSV_COLUMNS)]
    for p in pairs:
        score = "" if p.score is None else f"{p.score:.6f}"
        fields = (p.id, p.doc_id, str(p.index), str(p.start), str(p.end), score, ",".join(p.flags), p.ar, p.en)
        rows.append("\t".join(one_line(f) for f in fields))
    atomic_write(path, "\n".join(rows) + "\n")


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
            "flags": datasets.List(datasets.Value("string")),
            "pieces": datasets.Value("int64"),
            "model": datasets.Value("string"),
        }
    )


def write_dataset(run_dir: Path, pairs: list[Pair], manifest: dict[str, Any]) -> None:
    """A Parquet split plus a dataset card whose YAML header makes `datasets.load_dataset(run_dir)` work."""
    import datasets

    datasets.disable_progress_bars()
    features = dataset_features()
    rows = []
    for p in pairs:
        row = p.to_dict()
        row["translation"] = {"ar": row.pop("ar"), "en": row.pop("en")}
        rows.append(row)
    table = datasets.Dataset.from_list(rows, features=features)
    target = run_dir / DATASET_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    table.to_parquet(str(tmp))
    os.replace(tmp, target)
    atomic_write(run_dir / "README.md", dataset_card(features, manifest))


def dataset_card(features: Any, manifest: dict[str, Any]) -> str:
    header = {
        "language": ["ar", "en"],
        "task_categories": ["translation"],
        "pretty_name": f"mt run {manifest['run']}",
        "configs": [
            {"config_name": "default", "data_files": [{"split": "train", "path": DATASET_FILE}]},
        ],
        "dataset_info": {"features": features._to_yaml_list()},
    }
    counts = manifest["counts"]
    model = manifest["model"]
    return (
        "---\n"
        + yaml.safe_dump(header, allow_unicode=True, sort_keys=False)
        + "---\n\n"
        + f"# {manifest['run']}\n\n"
        + f"Arabic→English pairs made by `mt` {manifest['packages']['mt']} with `{model['id']}`"
        + f" (revision `{model['revision'] or 'local'}`): {counts['pairs']} pairs from"
        + f" {counts['documents']} document(s), {counts['flagged']} flagged.\n\n"
        + "```python\nimport datasets\n"
        + f'ds = datasets.load_dataset("{manifest["run_dir"]}")\n```\n\n'
        + "Each row: `translation` (`ar`, `en`), `id` (`doc_id:index`), `start`/`end` (character offsets of the"
        + " Arabic sentence in its document), `score` (mean log-probability per output token), `flags`,"
        + " `pieces` (how many parts the sentence was cut into for the model), `model`.\n\n"
        + f"Signature: `{manifest['signature']}`\n"
    )


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    atomic_write(path, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
