"""Reading a corpus with Ray Data's own readers, so that documents are read by the tasks that process them and
never pass through the driver: `read_parquet`, `read_json`, `read_binary_files` for a folder of .txt files,
`from_huggingface` for a streamed `hf:` dataset, and an Arrow-stream reader for a dataset saved with
`save_to_disk`. Each row becomes a document in a Ray task (`document_of`); the driver only lists file names, and
checks that the ids are unique (`UniqueIds`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mt.errors import InputError
from mt.inputs.files import check_id, check_text, codec_name, decode_text, doc_id_for, strip_html, text_codec
from mt.inputs.sources import HF_PREFIX, Source, check_columns, check_split, id_problem


def read_corpus(ray: Any, source: Source) -> Any:
    """The Ray Dataset of `source`'s rows (in input order once `preserve_order` is set)."""
    if source.kind == "txt":
        files = [str(f.resolve()) for f in source.txt_files()]
        return ray.data.read_binary_files(files, include_paths=True, file_extensions=None)
    if source.kind == "jsonl":
        with open(source.path, "rb") as fh:
            codec = text_codec(fh.read(4), source.encoding)
        if codec_name(codec) not in ("utf-8", "utf-8-sig"):
            raise InputError(f"input '{source.path}' is {codec} (by its byte-order mark or --encoding), and Ray's JSON "
                             "reader reads UTF-8 only: convert it to UTF-8, or use the local engine")
        return ray.data.read_json(str(Path(source.path).resolve()), file_extensions=None)
    if source.kind == "parquet":
        return ray.data.read_parquet(str(Path(source.path).resolve()), columns=_parquet_columns(source),
                                     file_extensions=None)
    local = Path(source.path.removeprefix(HF_PREFIX))
    if (local / "state.json").exists() or (local / "dataset_dict.json").exists():
        return ray.data.read_datasource(_saved_dataset(ray, source, local))
    stream = _hf_stream(source)
    if Path(source.path.removeprefix(HF_PREFIX)).exists():  # local data files: no hub to ask for Parquet files
        from ray.data._internal.datasource.huggingface_datasource import HuggingFaceDatasource

        return ray.data.read_datasource(HuggingFaceDatasource(dataset=stream))  # what from_huggingface falls back on
    return ray.data.from_huggingface(stream)  # the hub's Parquet files, read in parallel, else a streamed read


def document_of(row: dict[str, Any], source: Source) -> tuple[str | None, str, str, str | None]:
    """(id, text, where, problem) of one row, in a Ray task. `id` is None when the row has none (the driver
    numbers it); `where` is the file for .txt inputs; `problem` completes "input X row N..." for a bad row."""
    if source.kind == "txt":
        path = Path("/" + str(row["path"]).lstrip("/"))
        root = Path(source.path)
        rel = path.relative_to(root.resolve()) if root.is_dir() else Path(root.name)
        where = str(root / rel) if root.is_dir() else source.path
        try:
            text = decode_text(bytes(row["bytes"]), where, source.encoding, source.errors)
        except InputError as exc:
            return None, "", where, str(exc)
        return doc_id_for(root / rel, root), strip_html(text) if source.html else text, where, None
    column = source.text_column
    if column not in row:
        return None, "", "", (f" has no '{column}' field; name the text column with --input-column "
                              f"(fields: {', '.join(sorted(map(str, row)))})")
    text = row[column]
    if text is None:
        text = ""
    if not isinstance(text, str):
        return None, "", "", f": '{column}' is {type(text).__name__}, not text"
    problem = id_problem(row, source)
    if problem:
        return None, "", "", problem
    raw_id = row.get(source.id_column)
    try:  # the local engine's checks; the driver puts "input X row N" before the message
        doc_id = None if raw_id is None else check_id(str(raw_id), "")
        text = check_text(text.replace("\r\n", "\n").replace("\r", "\n"), f": '{column}'")
    except InputError as exc:
        return None, "", "", str(exc)
    return doc_id, strip_html(text) if source.html else text, "", None


def _parquet_columns(source: Source) -> list[str]:
    import pyarrow.parquet as pq

    try:
        names = set(pq.read_schema(source.path).names)  # the footer only
    except Exception as exc:  # noqa: BLE001 (pyarrow raises several types for a bad file)
        raise InputError(f"input '{source.path}' is not a readable Parquet file: {exc}") from None
    check_columns(source, names)
    return [c for c in (source.id_column, source.text_column) if c in names]


def _saved_dataset(ray: Any, source: Source, folder: Path) -> Any:
    """A Ray datasource over the Arrow stream files of a dataset saved with `datasets.save_to_disk`."""
    from ray.data.datasource import FileBasedDatasource

    if (folder / "dataset_dict.json").exists():
        splits = json.loads((folder / "dataset_dict.json").read_text(encoding="utf-8")).get("splits", [])
        folder = folder / check_split(source, splits)
    else:
        check_split(source, None)
    state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    files = [str((folder / f["filename"]).resolve()) for f in state.get("_data_files", [])]
    if not files:
        raise InputError(f"dataset '{folder}' lists no data files in state.json")

    class ArrowStreams(FileBasedDatasource):  # type: ignore[misc]
        def _read_stream(self, f: Any, path: str) -> Iterator[Any]:
            import pyarrow as pa
            import pyarrow.ipc

            reader = pyarrow.ipc.open_stream(f)
            columns = [c for c in (source.id_column, source.text_column) if c in reader.schema.names]
            for batch in reader:
                yield pa.Table.from_batches([batch]).select(columns)

    return ArrowStreams(files, file_extensions=None)


def _hf_stream(source: Source) -> Any:
    import datasets

    datasets.disable_progress_bars()
    name = source.path.removeprefix(HF_PREFIX)
    try:
        return datasets.load_dataset(name, split=source.split, streaming=True)
    except (FileNotFoundError, ValueError, KeyError, ConnectionError, OSError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(f"dataset '{name}' (split '{source.split}') cannot be loaded: {first}") from None


class UniqueIds:
    """The document ids the Ray engine's driver has seen, on disk (a corpus's ids need not fit in its memory): a
    duplicate is the local engine's error, naming the row."""

    def __init__(self, path: Path, input_path: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        self.path, self.input_path = path, input_path
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE ids (id TEXT PRIMARY KEY, row INTEGER NOT NULL)")
        self.pending: list[tuple[str, int]] = []

    def add(self, doc_id: str, order: int) -> None:
        self.pending.append((doc_id, order))
        if len(self.pending) >= 5000:
            self.check()

    def check(self) -> None:
        try:
            with self.db:
                self.db.execute("BEGIN")
                self.db.executemany("INSERT INTO ids VALUES (?, ?)", self.pending)
        except sqlite3.IntegrityError:
            for doc_id, order in self.pending:  # the first repeated one, in input order
                earlier = self.db.execute("SELECT row FROM ids WHERE id = ?", (doc_id,)).fetchone()
                if earlier is not None:
                    raise InputError(f"input '{self.input_path}' row {order + 1} has the id {doc_id!r:.80} of row "
                                     f"{earlier[0] + 1}; ids must be unique") from None
                self.db.execute("INSERT INTO ids VALUES (?, ?)", (doc_id, order))
        self.pending = []

    def close(self) -> None:
        self.db.close()
        self.path.unlink(missing_ok=True)
