"""mt: Arabic→English machine translation and bilingual alignment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__version__ = "0.1.0"


def load_outputs(path: str | Path) -> Any:
    """The run folder as a Hugging Face `DatasetDict`, exactly as `datasets.load_dataset(path)` gives it; a run
    that kept no pair gives an empty `train` split (`datasets.load_dataset` refuses a split of 0 rows)."""
    import datasets
    import pyarrow.parquet as pq

    from mt.writers import DATASET_GLOB, dataset_features

    files = sorted(Path(path).glob(DATASET_GLOB))
    if files and not any(pq.ParquetFile(f).metadata.num_rows for f in files):
        features = dataset_features()
        return datasets.DatasetDict({"train": datasets.Dataset.from_dict({k: [] for k in features}, features=features)})
    return datasets.load_dataset(str(path))


def __getattr__(name: str) -> Any:
    # `mt.Pipeline` is imported on first use, so that `import mt` stays light.
    if name == "Pipeline":
        from mt.api import Pipeline

        return Pipeline
    raise AttributeError(f"module 'mt' has no attribute {name!r}")


__all__ = ["Pipeline", "__version__", "load_outputs"]
