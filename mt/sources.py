"""Where documents come from: a .txt file or folder, JSONL, Parquet, or a Hugging Face dataset; read lazily,
one document at a time, so a corpus never has to fit in memory."""

from __future__ import annotations

import json
import numbers
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mt.errors import InputError
from mt.io import check_id, check_text, input_files, read_documents, strip_html, text_codec
from mt.records import Document

HF_PREFIX = "hf:"


@dataclass(frozen=True)
class Source:
    """An input and how to read it. `kind` is txt, jsonl, parquet or hf. `id_named`/`split_named`: the user
    named the id column or the split (a missing one is then an error, not the default); `files`: the .txt
    files of a txt input, listed once by `open_source`."""

    path: str
    kind: str
    text_column: str = "text"
    id_column: str = "id"
    split: str = "train"
    encoding: str = "utf-8"
    errors: str = "strict"
    html: bool = False
    id_named: bool = False
    split_named: bool = False
    files: tuple[Path, ...] = field(default=(), compare=False, repr=False)

    def txt_files(self) -> list[Path]:
        """The .txt files of a txt input (listed now if `open_source` did not)."""
        return list(self.files) if self.files else input_files(self.path)

    def documents(self) -> Iterator[Document]:
        if self.kind == "txt":
            yield from read_documents(self.path, self.encoding, self.errors, self.html, files=self.txt_files())
            return
        rows = {"jsonl": self._jsonl_rows, "parquet": self._parquet_rows, "hf": self._hf_rows}[self.kind]()
        seen: dict[str, tuple[str, bool]] = {}  # id -> where, and whether it is that row's number (it has no id)
        for number, (where, row) in enumerate(rows):  # `where`: "line 3" (JSONL) or "row 3", from 1 as editors do
            doc = self._document(number, where, row)
            numbered = row.get(self.id_column) is None
            if doc.doc_id in seen:
                earlier, earlier_numbered = seen[doc.doc_id]
                shown = f"{doc.doc_id!r:.80}"
                what = (f"has no id and takes its row number {shown} (counted from 0), which {earlier} has as its id"
                        if numbered else f"has the id {shown}, which {earlier} takes as its row number (counted "
                        "from 0: it has no id)" if earlier_numbered else f"has the id {shown} of {earlier}")
                raise InputError(f"input '{self.path}' {where} {what}; ids must be unique" + (
                    ": give every row an id, or none" if numbered or earlier_numbered else ""))
            seen[doc.doc_id] = (where, numbered)
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
        problem = id_problem(row, self)
        if problem:
            raise InputError(f"input '{self.path}' {where}{problem}")
        raw_id = row.get(self.id_column)
        doc_id = check_id(str(number) if raw_id is None else str(raw_id), f"input '{self.path}' {where}")
        text = check_text(text.replace("\r\n", "\n").replace("\r", "\n"),
                          f"input '{self.path}' {where}: '{self.text_column}'")
        return Document(doc_id=doc_id, text=strip_html(text) if self.html else text, source=f"{self.path}#{number}")

    def _jsonl_rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        try:
            with open(self.path, "rb") as raw:
                codec = text_codec(raw.read(4), self.encoding)  # a byte-order mark is dropped, as for .txt
            fh = open(self.path, encoding=codec, errors=self.errors)  # noqa: SIM115 (closed below)
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
        check_columns(self, names)
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
                if isinstance(loaded, datasets.DatasetDict):
                    data = loaded[check_split(self, list(loaded))]
                else:
                    check_split(self, None)
                    data = loaded
                yield from ((f"row {k}", row) for k, row in enumerate(data.to_iterable_dataset(), 1))
                return
            stream = datasets.load_dataset(name, split=self.split, streaming=True)
        except (FileNotFoundError, ValueError, KeyError, ConnectionError, OSError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise InputError(f"dataset '{name}' (split '{self.split}') cannot be loaded: {first}") from None
        yield from ((f"row {k}", row) for k, row in enumerate(stream, 1))


def id_problem(row: dict[str, Any], source: Source) -> str | None:
    """What is wrong with a row's id (completes "input X line N..."): a string or an integer, not empty; an id
    column named on purpose must give every row its id, the default one may be absent (rows are numbered)."""
    raw = row.get(source.id_column)
    if raw is not None:
        if isinstance(raw, bool) or not isinstance(raw, (str, numbers.Integral)):
            kind = {dict: "an object", list: "a list", bool: "a boolean", float: "a floating-point number"}.get(
                type(raw), f"a {type(raw).__name__}")
            shown = json.dumps(raw, ensure_ascii=False, default=str)
            return (f" has {kind} as its id ('{source.id_column}': {shown[:60]}); an id is a string or an "
                    "integer")
        if isinstance(raw, str) and not raw.strip():
            return (f" has an empty id ('{source.id_column}': {raw!r}); give it an id, or leave the field out to "
                    "number the row")
        return None
    if not source.id_named:
        return None
    if source.id_column not in row:
        return (f" has no '{source.id_column}' field, the id column named by --id-column (fields: "
                f"{', '.join(sorted(map(str, row)))}); name another, or leave --id-column out to number the rows")
    return (f" has no value in '{source.id_column}', the id column named by --id-column; give every row an id, or "
            "leave --id-column out to number the rows")


def check_columns(source: Source, names: set[str]) -> None:
    """A corpus's columns hold the text column, and the id column if the user named it."""
    columns = ", ".join(sorted(names))
    if source.text_column not in names:
        raise InputError(f"input '{source.path}' has no column '{source.text_column}'; name the text column with "
                         f"--input-column (columns: {columns})")
    if source.id_named and source.id_column not in names:
        raise InputError(f"input '{source.path}' has no column '{source.id_column}', the id column named by "
                         f"--id-column (columns: {columns}); name another, or leave --id-column out to number the rows")


def check_split(source: Source, splits: list[str] | None) -> str:
    """The split to read of a dataset with these `splits` (None: a dataset without splits, read whole unless
    the user named a split)."""
    name = source.path.removeprefix(HF_PREFIX)
    if splits is None:
        if source.split_named:
            raise InputError(f"dataset '{name}' has no splits (it was saved as one Dataset); leave --split out")
    elif source.split not in splits:
        raise InputError(f"dataset '{name}' has no split '{source.split}' (splits: {', '.join(splits)}); choose one "
                         "with --split")
    return source.split


def open_source(path: str | Path, text_column: str | None = None, id_column: str | None = None,
                split: str | None = None, encoding: str = "utf-8", errors: str = "strict",
                html: bool = False) -> Source:
    """The Source an input names: `hf:NAME` or a saved dataset folder is a Hugging Face dataset, `.jsonl` and
    `.parquet` files are corpora of `{id, text}` rows, anything else is a .txt file or a folder of them.
    `text_column` (default `text`), `id_column` (default `id`, else the row number) and `split` (default
    `train`) given here are required: an input without that column or without splits is an error, never read
    as if they were not given."""
    text = str(path)
    common: dict[str, Any] = {"text_column": text_column or "text", "id_column": id_column or "id",
                              "split": split or "train", "encoding": encoding, "errors": errors, "html": html,
                              "id_named": id_column is not None, "split_named": split is not None}
    p = Path(text)
    try:
        saved = p.is_dir() and ((p / "state.json").exists() or (p / "dataset_dict.json").exists())
    except OSError as exc:  # a folder that cannot be searched
        raise InputError(f"input folder '{p}' cannot be read ({exc.strerror or exc}); make it readable, or give "
                         "another input") from None
    if text.startswith(HF_PREFIX) or saved:
        return Source(text, "hf", **common)
    if not p.exists():
        raise InputError(f"input '{p}' does not exist")
    kind = "jsonl" if p.is_file() and p.suffix.lower() in (".jsonl", ".ndjson") else \
        "parquet" if p.is_file() and p.suffix.lower() == ".parquet" else "txt"  # in any case, as .txt is
    if split is not None:
        raise InputError(f"--split names a split of a Hugging Face dataset; the input '{p}' ({kind}) has no "
                         "splits: leave --split out")
    if kind == "txt":
        for flag, value in (("--input-column", text_column), ("--id-column", id_column)):
            if value is not None:
                raise InputError(f"{flag} names a column of a .jsonl, .parquet or dataset input; the .txt input "
                                 f"'{p}' has none (its file names are the ids): leave {flag} out")
        # listed once, now: a folder without .txt files is an error before any model is loaded
        return Source(text, kind, **common, files=tuple(input_files(p)))
    return Source(text, kind, **common)
