"""Where documents come from: a .txt file or folder, JSONL, Parquet, or a Hugging Face dataset; read lazily,
one document at a time, so a corpus never has to fit in memory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mt.errors import InputError
from mt.io import check_id, check_text, input_files, read_documents, strip_html
from mt.records import Document

HF_PREFIX = "hf:"


@dataclass(frozen=True)
class Source:
    """An input and how to read it. `kind` is txt, jsonl, parquet or hf."""

    path: str
    kind: str
    text_column: str = "text"
    id_column: str = "id"
    split: str = "train"
    encoding: str = "utf-8"
    errors: str = "strict"
    html: bool = False

    def documents(self) -> Iterator[Document]:
        if self.kind == "txt":
            yield from read_documents(self.path, self.encoding, self.errors, self.html)
            return
        rows = {"jsonl": self._jsonl_rows, "parquet": self._parquet_rows, "hf": self._hf_rows}[self.kind]()
        seen: dict[str, str] = {}
        for number, (where, row) in enumerate(rows):  # `where`: "line 3" (JSONL) or "row 3", from 1 as editors do
            doc = self._document(number, where, row)
            if doc.doc_id in seen:
                raise InputError(f"input '{self.path}' {where} has the id {doc.doc_id!r:.80} of {seen[doc.doc_id]}; "
                                 "ids must be unique")
            seen[doc.doc_id] = where
            yield doc

    def _document(self, number: int, where: str, row: dict[str, Any]) -> Document:
        if self.text_column not in row:
            raise InputError(f"input '{self.path}' {where} has no '{self.text_column}' field; name the "
                             f"text column with --input-column (fields: {', '.join(sorted(map(str, row)))})")
        text = row[self.text_column]
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise InputError(f"input '{self.path}' {where}: '{self.text_column}' is "
                             f"{type(text).__name__}, not text")
        raw_id = row.get(self.id_column)
        doc_id = check_id(str(number) if raw_id is None else str(raw_id), f"input '{self.path}' {where}")
        text = check_text(text.replace("\r\n", "\n").replace("\r", "\n"),
                          f"input '{self.path}' {where}: '{self.text_column}'")
        return Document(doc_id=doc_id, text=strip_html(text) if self.html else text, source=f"{self.path}#{number}")

    def _jsonl_rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        try:
            fh = open(self.path, encoding=self.encoding, errors=self.errors)  # noqa: SIM115 (closed below)
        except OSError as exc:
            raise InputError(f"input '{self.path}' cannot be read: {exc.strerror or exc}") from None
        with fh:
            try:
                for line_number, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise InputError(f"input '{self.path}' line {line_number} is not valid JSON ({exc.msg})") \
                            from None
                    if not isinstance(row, dict):
                        raise InputError(f"input '{self.path}' line {line_number} is not a JSON object")
                    yield f"line {line_number}", row
            except UnicodeDecodeError as exc:
                raise InputError(f"input '{self.path}' is not valid {self.encoding} near byte {exc.start} of a "
                                 "line; pass --encoding or --errors replace") from None

    def _parquet_rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(self.path)
        except Exception as exc:  # noqa: BLE001 (pyarrow raises several types for a bad file)
            raise InputError(f"input '{self.path}' is not a readable Parquet file: {exc}") from None
        names = set(parquet.schema_arrow.names)
        if self.text_column not in names:
            raise InputError(f"input '{self.path}' has no column '{self.text_column}'; name the text column with "
                             f"--input-column (columns: {', '.join(sorted(names))})")
        columns = [c for c in (self.id_column, self.text_column) if c in names]
        number = 0
        for batch in parquet.iter_batches(batch_size=1024, columns=columns):
            for row in batch.to_pylist():
                number += 1
                yield f"row {number}", row

    def _hf_rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        import datasets

        datasets.disable_progress_bars()
        name = self.path.removeprefix(HF_PREFIX)
        local = Path(name)
        try:
            if (local / "state.json").exists() or (local / "dataset_dict.json").exists():
                loaded = datasets.load_from_disk(str(local))
                data = loaded[self.split] if isinstance(loaded, datasets.DatasetDict) else loaded
                yield from ((f"row {k}", row) for k, row in enumerate(data.to_iterable_dataset(), 1))
                return
            stream = datasets.load_dataset(name, split=self.split, streaming=True)
        except (FileNotFoundError, ValueError, KeyError, ConnectionError, OSError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise InputError(f"dataset '{name}' (split '{self.split}') cannot be loaded: {first}") from None
        yield from ((f"row {k}", row) for k, row in enumerate(stream, 1))


def open_source(path: str | Path, text_column: str = "text", id_column: str = "id", split: str = "train",
                encoding: str = "utf-8", errors: str = "strict", html: bool = False) -> Source:
    """The Source an input names: `hf:NAME` or a saved dataset folder is a Hugging Face dataset, `.jsonl` and
    `.parquet` files are corpora of `{id, text}` rows, anything else is a .txt file or a folder of them."""
    text = str(path)
    common = {"text_column": text_column, "id_column": id_column, "split": split, "encoding": encoding,
              "errors": errors, "html": html}
    if text.startswith(HF_PREFIX):
        return Source(text, "hf", **common)  # type: ignore[arg-type]
    p = Path(text)
    if not p.exists():
        raise InputError(f"input '{p}' does not exist")
    if p.is_dir() and ((p / "state.json").exists() or (p / "dataset_dict.json").exists()):
        return Source(text, "hf", **common)  # type: ignore[arg-type]
    if p.is_file() and p.suffix in (".jsonl", ".ndjson"):
        return Source(text, "jsonl", **common)  # type: ignore[arg-type]
    if p.is_file() and p.suffix == ".parquet":
        return Source(text, "parquet", **common)  # type: ignore[arg-type]
    input_files(p)  # a folder without .txt files is an error now, before any model is loaded
    return Source(text, "txt", **common)  # type: ignore[arg-type]
