"""The run's Parquet files are written with pyarrow alone, with the schema `datasets` itself would write."""

from __future__ import annotations

import json
from pathlib import Path

from mt.outputs.formats import dataset_features, write_parquet
from mt.outputs.parquet import arrow_schema, yaml_features
from mt.quality.checks import SCORE_KEYS
from mt.records import Pair


def test_schema_and_card_features_are_what_datasets_writes() -> None:
    features = dataset_features()
    assert arrow_schema() == features.arrow_schema
    assert json.loads(arrow_schema().metadata[b"huggingface"]) == json.loads(
        features.arrow_schema.metadata[b"huggingface"])
    assert yaml_features() == features._to_yaml_list()


def test_a_shard_reads_back_through_datasets_with_its_features(tmp_path: Path) -> None:
    import datasets
    import pyarrow.parquet as pq

    pair = Pair(id="a:3", doc_id="a", index=3, ar="نعم.", en="Yes.", start=7, end=11, score=-0.1234567890123457,
                flags=["markup"], pieces=2, model="m", reasons=["looks like markup"], quality=0.25,
                ref="Yes, indeed.", ref_ids=[4, 5])
    pair.scores = {"logprob": -0.1234567890123457, "chars_z": 0.30000000000000004}
    write_parquet(tmp_path / "x.parquet", [pair])
    write_parquet(tmp_path / "empty.parquet", [])
    ours = datasets.Dataset.from_parquet(str(tmp_path / "x.parquet"))
    assert ours.features == dataset_features()
    assert ours.to_list() == [{
        "id": "a:3", "doc_id": "a", "index": 3, "translation": {"ar": "نعم.", "en": "Yes."}, "start": 7, "end": 11,
        "score": -0.1234567890123457, "quality": 0.25, "flags": ["markup"], "reasons": ["looks like markup"],
        "scores": {**dict.fromkeys(SCORE_KEYS), "logprob": -0.1234567890123457, "chars_z": 0.30000000000000004},
        "ref": "Yes, indeed.", "ref_ids": [4, 5], "pieces": 2, "model": "m",
    }]
    empty = pq.read_table(tmp_path / "empty.parquet")  # an empty shard (all pairs rejected) keeps the schema
    assert empty.num_rows == 0 and empty.schema == dataset_features().arrow_schema


def test_a_sentence_larger_than_the_json_reader_blocks_is_one_row(tmp_path: Path) -> None:
    """pyarrow's JSON reader (1 MiB blocks) refused a row spanning more than two blocks: a 3 MB sentence."""
    import pyarrow.parquet as pq

    long = "نفى المتحدث باسم الخارجية الروسية الأنباء " * 40_000
    pairs = [Pair(id=f"a:{k}", doc_id="a", index=k, ar=ar, en=en, start=0, end=len(ar), score=-1.0, pieces=1,
                  model="m") for k, (ar, en) in enumerate([("نعم.", "Yes."), (long, "No " * 500_000), ("لا.", "No.")])]
    assert len(long.encode()) == 3_120_000
    write_parquet(tmp_path / "x.parquet", pairs)
    rows = pq.read_table(tmp_path / "x.parquet").to_pylist()
    assert [(r["id"], r["translation"], r["end"]) for r in rows] == [
        ("a:0", {"ar": "نعم.", "en": "Yes."}, 4), ("a:1", {"ar": long, "en": "No " * 500_000}, 1_680_000),
        ("a:2", {"ar": "لا.", "en": "No."}, 3)]
