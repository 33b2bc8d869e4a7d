"""The run's Hugging Face dataset schema, written with pyarrow alone.

`datasets` takes about a second to import; a run only needs its Parquet layout. `FEATURES` is what
`datasets.Features` (see `mt.writers.dataset_features`) stores for the columns, in the Parquet schema's
`huggingface` metadata and in the dataset card's YAML, so `datasets.load_dataset(run_dir)` reads the files
exactly as if `datasets` had written them (tests/test_parquet_schema.py checks both against `datasets`).
"""

from __future__ import annotations

import json
from typing import Any

from mt.quality import SCORE_KEYS


def _value(dtype: str) -> dict[str, str]:
    return {"dtype": dtype, "_type": "Value"}


def _list(dtype: str) -> dict[str, Any]:
    return {"feature": _value(dtype), "_type": "List"}


# column -> datasets' serialised feature, in column order
FEATURES: dict[str, Any] = {
    "id": _value("string"), "doc_id": _value("string"), "index": _value("int64"),
    "translation": {"languages": ["ar", "en"], "_type": "Translation"},
    "start": _value("int64"), "end": _value("int64"), "score": _value("float64"), "quality": _value("float64"),
    "flags": _list("string"), "reasons": _list("string"),
    "scores": {k: _value("float64") for k in SCORE_KEYS},
    "ref": _value("string"), "ref_ids": _list("int64"), "pieces": _value("int64"), "model": _value("string"),
}


def yaml_features() -> list[dict[str, Any]]:
    """The features as a dataset card's `dataset_info.features` lists them."""
    out: list[dict[str, Any]] = []
    for name, feature in FEATURES.items():
        kind = feature.get("_type")
        if kind == "Value":
            out.append({"name": name, "dtype": feature["dtype"]})
        elif kind == "List":
            out.append({"name": name, "list": feature["feature"]["dtype"]})
        elif kind == "Translation":
            out.append({"name": name, "dtype": {"translation": {"languages": feature["languages"]}}})
        else:  # a struct of values
            out.append({"name": name, "struct": [{"name": k, "dtype": v["dtype"]} for k, v in feature.items()]})
    return out


def arrow_schema() -> Any:
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64()}

    def arrow(feature: dict[str, Any]) -> Any:
        kind = feature.get("_type")
        if kind == "Value":
            return types[feature["dtype"]]
        if kind == "List":
            return pa.list_(arrow(feature["feature"]))
        if kind == "Translation":
            return pa.struct([(lang, pa.string()) for lang in feature["languages"]])
        return pa.struct([(k, arrow(v)) for k, v in feature.items()])

    metadata = {"huggingface": json.dumps({"info": {"features": FEATURES}})}
    return pa.schema([(name, arrow(f)) for name, f in FEATURES.items()], metadata=metadata)


JSON_BLOCK_BYTES = 1 << 20  # pyarrow's JSON reader's default block


def write_table(path: str, rows: list[dict[str, Any]]) -> None:
    """Rows (dicts of the columns) as one Parquet file. They go through pyarrow's JSON reader, which builds
    the columns in C++: converting Python objects would make pyarrow import pandas (a third of a second)."""
    import io

    import pyarrow.json as pj
    import pyarrow.parquet as pq

    schema = arrow_schema()
    if rows:
        lines = [json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n" for row in rows]
        data = b"".join(lines)
        # The reader parses in blocks, and a row that spans more than two of them is an error ("straddling
        # object"): a sentence of a few MB without punctuation is one row, so a block holds the longest row.
        block = max(JSON_BLOCK_BYTES, max(map(len, lines)))
        del lines
        options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
        table = pj.read_json(io.BytesIO(data), read_options=pj.ReadOptions(block_size=block),
                             parse_options=options)
        if not table.schema.equals(schema, check_metadata=False):  # the reader keeps the explicit schema's order
            table = table.select(schema.names).cast(schema)
        table = table.replace_schema_metadata(schema.metadata)  # (cast would import pyarrow.compute, 0.1 s)
    else:  # no row group at all: `datasets` refuses a row group of 0 rows ("BatchSize must be greater than 0")
        pq.ParquetWriter(path, schema).close()
        return
    pq.write_table(table, path)
