"""Reading input documents: one text file, or every `.txt` file under a folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from mt.errors import InputError
from mt.records import Document


def input_files(path: str | Path) -> list[Path]:
    """The text files an input names, in a stable order."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"input '{path}' does not exist")
    if path.is_dir():
        # name.en.txt files are English references of the articles beside them, not inputs.
        files = sorted(p for p in path.rglob("*.txt") if p.is_file() and not p.name.endswith(".en.txt"))
        if not files:
            raise InputError(f"input folder '{path}' holds no .txt files")
        return files
    return [path]


def read_text(path: Path) -> str:
    """A file's text: UTF-8 (a leading BOM dropped); invalid bytes or binary content are errors."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"input '{path}' cannot be read: {exc.strerror or exc}") from None
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError(f"input '{path}' holds a NUL byte at byte offset {nul}: it looks binary, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"input '{path}' is not valid UTF-8 at byte offset {exc.start}; convert it to UTF-8 first"
        ) from None


def doc_id_for(path: Path, root: Path) -> str:
    rel = path.relative_to(root) if root.is_dir() else Path(path.name)
    return rel.with_suffix("").as_posix() if rel.suffix == ".txt" else rel.as_posix()


def read_documents(path: str | Path) -> Iterator[Document]:
    root = Path(path)
    for file in input_files(root):
        yield Document(doc_id=doc_id_for(file, root), text=read_text(file), source=str(file))
