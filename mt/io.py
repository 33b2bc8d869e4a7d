"""Reading input documents: one text file, or every `.txt` file under a folder."""

from __future__ import annotations

import codecs
import errno
import html
import logging
import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from mt.errors import InputError
from mt.records import Document

log = logging.getLogger(__name__)

ERROR_MODES = ("strict", "replace")
# Tags, comments and character references that mark pasted HTML or XML.
MARKUP = re.compile(
    r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|<!--.*?-->|&(?:[A-Za-z]{2,8}|#\d{1,7}|#x[0-9A-Fa-f]{1,6});", re.S
)


# Characters no output format can carry as they are (XML 1.0 cannot hold them, TSV and Moses lines break on
# them): text holding one is refused wherever it comes from, so that every output carries the same text.
# Vertical tab and form feed (page breaks in text extracted from PDFs) become spaces: one character for one, so
# offsets and line numbers stay, and a sentence running over a page break stays one sentence.
_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_AS_SPACE = str.maketrans({"\x0b": " ", "\x0c": " "})


def check_text(text: str, where: str) -> str:
    """`text` with vertical tabs and form feeds made spaces; a NUL, another control character (but tab
    and line breaks), a lone surrogate or a noncharacter is an error naming `where` and the character offset."""
    bad = _NOT_TEXT.search(text)
    if bad is not None:
        char = bad.group()
        what = "a NUL character (it looks binary, not text)" if char == "\x00" else f"the control character " \
            f"U+{ord(char):04X}"
        raise InputError(f"{where} holds {what} at character offset {bad.start()}; only tab and line breaks may "
                         "appear among the text")
    return text.translate(_AS_SPACE)


def check_id(doc_id: str, where: str) -> str:
    """An id every output can carry unchanged: no control, line-separator or surrogate characters."""
    for k, char in enumerate(doc_id):
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in "\ufffe\uffff":
            shown = repr(doc_id if len(doc_id) <= 60 else doc_id[:57] + "...")
            raise InputError(f"{where}: the id {shown} holds the control character U+{ord(char):04X} at character "
                             f"{k}; ids must be printable (tab, line breaks and NUL would break the TSV and TMX)")
    return doc_id


def input_files(path: str | Path) -> list[Path]:
    """The text files an input names, in a stable order."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"input '{path}' does not exist")
    if path.is_dir():
        # name.en.txt files are English references of the articles beside them, not inputs.
        files = sorted(p for p in path.rglob("*.txt") if _readable_file(p) and not p.name.endswith(".en.txt"))
        if not files:
            raise InputError(f"input folder '{path}' holds no .txt files")
        return files
    if not path.is_file():
        raise InputError(f"input '{path}' is neither a file nor a folder")
    return [path]


def _readable_file(path: Path) -> bool:
    """Whether a `.txt` found in an input folder is a regular file; anything else is skipped with a warning
    (a broken or looping symbolic link, a FIFO that would block the run, a device, a folder named *.txt)."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if path.is_symlink():
            why = "a looping symbolic link" if exc.errno == errno.ELOOP else "a broken symbolic link"
            log.warning("skipping '%s': %s (to '%s')", path, why, os.readlink(path))
        else:
            log.warning("skipping '%s': it cannot be read (%s)", path, exc.strerror or exc)
        return False
    if stat.S_ISREG(mode):
        return True
    if not stat.S_ISDIR(mode):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
        log.warning("skipping '%s': it is %s, not a regular file", path, kind)
    return False


def read_text(path: Path, encoding: str = "utf-8", errors: str = "strict") -> str:
    """A file's text, a leading BOM dropped and CRLF/CR line ends made LF. Invalid bytes are an error naming
    the byte offset unless `errors="replace"` (they become U+FFFD); NUL bytes always are (binary content)."""
    codec_name(encoding)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"input '{path}' cannot be read: {exc.strerror or exc}") from None
    return decode_text(data, path, encoding, errors)


def codec_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"unknown encoding '{encoding}'; use a Python codec name such as utf-8 or cp1256") from None


def decode_text(data: bytes, path: str | Path, encoding: str = "utf-8", errors: str = "strict") -> str:
    """`read_text` for bytes already read (`path` names them in errors)."""
    is_utf8 = codec_name(encoding) == "utf-8"
    nul = data.find(b"\x00")
    if nul >= 0 and not encoding.lower().replace("-", "").startswith("utf16"):
        raise InputError(f"input '{path}' holds a NUL byte at byte offset {nul}: it looks binary, not text")
    codec, shown = ("utf-8-sig", "UTF-8") if is_utf8 else (encoding, encoding)
    try:
        text = data.decode(codec, errors=errors)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"input '{path}' is not valid {shown} at byte offset {exc.start}; convert it, or pass "
            "--encoding (e.g. cp1256) or --errors replace"
        ) from None
    return check_text(text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n"), f"input '{path}'")


class _TextExtractor(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "title", "blockquote", "section",
              "article", "header", "footer", "td", "th", "ul", "ol", "table"}
    SKIP = {"script", "style", "noscript", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def strip_html(text: str) -> str:
    """Visible text of HTML: tags removed (block tags become line breaks), scripts and styles dropped,
    character references decoded, runs of blank lines collapsed."""
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    out = html.unescape("".join(parser.parts))
    out = re.sub(r"[ \t]+\n", "\n", out)
    return re.sub(r"\n{3,}", "\n\n", out).strip("\n")


def doc_id_for(path: Path, root: Path) -> str:
    rel = path.relative_to(root) if root.is_dir() else Path(path.name)
    return rel.with_suffix("").as_posix() if rel.suffix == ".txt" else rel.as_posix()


def read_documents(path: str | Path, encoding: str = "utf-8", errors: str = "strict",
                   html_to_text: bool = False) -> Iterator[Document]:
    root = Path(path)
    for file in input_files(root):
        text = read_text(file, encoding, errors)
        yield Document(doc_id=doc_id_for(file, root), text=strip_html(text) if html_to_text else text,
                       source=str(file))
