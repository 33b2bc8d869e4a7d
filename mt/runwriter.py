"""Writing a run folder shard by shard, then assembling the files people use.

Each chunk of documents becomes a shard in `shards/`: its pairs (JSONL), rejected pairs, a Parquet file and,
written last, its stats. A shard whose stats exist is complete; a rerun skips it. `finish` streams the shards
into `pairs.jsonl`, `corpus.ar`/`corpus.en`, `pairs.tsv`, `pairs.tmx`, `rejected.jsonl`, moves the Parquet
shards to `data/train-NNNNN-of-NNNNN.parquet`, writes the dataset card, `report.html` and the manifest, and
removes `shards/`. Memory stays flat: no step holds more than one shard.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from mt.records import Pair, pair_from_dict
from mt.report import run_report
from mt.writers import (
    atomic_write,
    dataset_file,
    temp_name,
    write_card,
    write_jsonl,
    write_manifest,
    write_moses,
    write_parquet,
    write_tmx,
    write_tsv,
)

REPORT_ROWS = 5000  # report.html shows at most this many pairs (all are in pairs.jsonl)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class RunWriter:
    def __init__(self, run_dir: Path, with_rejected: bool) -> None:
        self.run_dir = run_dir
        self.shards = run_dir / "shards"
        self.with_rejected = with_rejected
        self.count = 0

    def _name(self, k: int, kind: str) -> Path:
        return self.shards / f"{k:05d}.{kind}"

    def done(self, k: int) -> dict[str, Any] | None:
        """The stats of shard `k` if it was completely written before (a resumed run), else None."""
        path = self._name(k, "stats.json")
        self.count = max(self.count, k + 1)
        if not path.exists():
            return None
        return dict(json.loads(path.read_text(encoding="utf-8")))

    def write(self, k: int, kept: list[Pair], rejected: list[Pair], stats: dict[str, Any]) -> None:
        self.count = max(self.count, k + 1)
        write_jsonl(self._name(k, "pairs.jsonl"), kept)
        write_jsonl(self._name(k, "rejected.jsonl"), rejected)
        write_parquet(self._name(k, "parquet"), kept)
        atomic_write(self._name(k, "stats.json"), json.dumps(stats, ensure_ascii=False))

    def pairs(self, kind: str = "pairs.jsonl") -> Iterator[Pair]:
        for k in range(self.count):
            with open(self._name(k, kind), encoding="utf-8") as fh:
                for line in fh:
                    yield pair_from_dict(json.loads(line))

    def inputs(self) -> Iterator[dict[str, Any]]:
        """The manifest's `inputs` records, shard by shard (from their stats)."""
        for k in range(self.count):
            yield from json.loads(self._name(k, "stats.json").read_text(encoding="utf-8"))["inputs"]

    def finish(self, manifest: dict[str, Any], stream_inputs: bool = False) -> None:
        """Assemble the run's files. `stream_inputs`: the manifest's `inputs` are read from the shards while it
        is written (the Ray engine's driver does not hold one record per document)."""
        run = self.run_dir
        write_jsonl(run / "pairs.jsonl", self.pairs())
        if self.with_rejected:
            write_jsonl(run / "rejected.jsonl", self.pairs("rejected.jsonl"))
        write_moses(run, self.pairs)
        write_tsv(run / "pairs.tsv", self.pairs())
        write_tmx(run / "pairs.tmx", self.pairs())
        data = run / "data"
        if data.exists():
            for old in data.glob("train-*.parquet"):
                old.unlink()
        data.mkdir(exist_ok=True)
        for k in range(self.count):  # copied, not moved: a crash here leaves the shards for the rerun
            target = run / dataset_file(k, self.count)
            tmp = temp_name(target)
            shutil.copyfile(self._name(k, "parquet"), tmp)
            os.replace(tmp, target)
        manifest["pairs_sha256"] = file_sha256(run / "pairs.jsonl")
        write_card(run, manifest)
        shown = [p.to_dict() for p in islice(self.pairs(), REPORT_ROWS)]
        qualities = (p.quality for p in self.pairs() if p.quality is not None)  # the chart is of all pairs
        atomic_write(run / "report.html", run_report(shown, manifest, qualities))
        if stream_inputs:
            self._write_manifest_streaming(run / "manifest.json", manifest)
        else:
            write_manifest(run / "manifest.json", manifest)
        shutil.rmtree(self.shards)

    def _write_manifest_streaming(self, path: Path, manifest: dict[str, Any]) -> None:
        marker = "@@mt-inputs@@"
        head, tail = json.dumps({**manifest, "inputs": marker}, ensure_ascii=False, indent=2).split(f'"{marker}"')
        tmp = path.with_name(f".{path.name}.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(head + "[")
            for n, item in enumerate(self.inputs()):
                fh.write(("," if n else "") + "\n    " + json.dumps(item, ensure_ascii=False))
            fh.write("\n  ]" + tail + "\n")
        os.replace(tmp, path)
