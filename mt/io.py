"""Reading input documents: one text file, or every `.txt` file under a folder."""

from __future__ import annotations

import codecs
import errno
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


def check_id(doc_id: str, where: str,
             fix: str = "ids must be printable (tab, line breaks and NUL would break the TSV and TMX)") -> str:
    """An id every output can carry unchanged: no control, line-separator or surrogate characters. `fix` ends
    the error: why, and what to do next."""
    for k, char in enumerate(doc_id):
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in "\ufffe\uffff":
            shown = repr(doc_id if len(doc_id) <= 60 else doc_id[:57] + "...")
            if "\udc80" <= char <= "\udcff":  # a byte of a file name that is not UTF-8 (Python's surrogateescape)
                raise InputError(f"{where}: the id {shown} is not valid UTF-8 (the byte 0x{ord(char) - 0xDC00:02X} at "
                                 f"character {k}); {fix}")
            raise InputError(f"{where}: the id {shown} holds the control character U+{ord(char):04X} at character "
                             f"{k}; {fix}")
    return doc_id


TEXT_SUFFIX = ".txt"
REFERENCE_SUFFIX = ".en.txt"  # name.en.txt is the English reference of name.txt or name.ar.txt
FILE_ID_FIX = ("rename the file: its name gives the document's id, and ids must be printable (tab, line breaks "
               "and NUL would break the TSV and TMX)")


def is_reference(name: str) -> bool:
    """Whether a file name is an English reference (`name.en.txt`, any case), never read as Arabic input."""
    return name.lower().endswith(REFERENCE_SUFFIX)


def reference_candidates(source: Path) -> list[Path]:
    """Where the English reference of `source` may lie: `name.en.txt` or `name.EN.TXT` beside `name.ar.txt` or
    `name.txt` (those two suffixes in any case)."""
    name = source.name
    lower = name.lower()
    stem = name[: -len(".ar.txt")] if lower.endswith(".ar.txt") else name[: -len(TEXT_SUFFIX)] \
        if lower.endswith(TEXT_SUFFIX) else source.stem
    spellings = dict.fromkeys([REFERENCE_SUFFIX, REFERENCE_SUFFIX.upper()])
    return [source.with_name(stem + suffix) for suffix in spellings]


def input_files(path: str | Path) -> list[Path]:
    """The text files an input names, in a stable order: the file itself, or every `.txt` file (any case)
    under a folder but the references (`name.en.txt`). Each file's id (`doc_id_for`) is checked here: printable,
    and unique in a folder."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"input '{path}' does not exist")
    if not path.is_dir():
        if not path.is_file():
            raise InputError(f"input '{path}' is neither a file nor a folder")
        check_id(doc_id_for(path, path), f"input {str(path)!r}", FILE_ID_FIX)
        return [path]
    def unreadable(exc: OSError) -> None:  # a subfolder that cannot be listed: its files would be lost unseen
        if exc.filename == str(path):
            raise InputError(f"input folder '{path}' cannot be read ({exc.strerror or exc}); make it readable, or "
                             "give another input")
        raise InputError(f"input folder '{path}': its folder '{exc.filename}' cannot be read ({exc.strerror or exc}), "
                         "so its files would be left out; make it readable, or move it out of the input folder")

    entries = [Path(top, name) for top, folders, names in os.walk(path, onerror=unreadable) for name in folders + names]
    readable = [p for p in sorted(entries) if p.name.lower().endswith(TEXT_SUFFIX) and _readable_file(p)]
    files = [p for p in readable if not is_reference(p.name)]
    if not files:
        raise InputError(_no_input_files(path, readable))
    ids: dict[str, Path] = {}
    for file in files:
        doc_id = check_id(doc_id_for(file, path), f"input {str(file)!r}", FILE_ID_FIX)
        if doc_id in ids:
            raise InputError(f"input folder '{path}': {str(ids[doc_id].relative_to(path))!r} and "
                             f"{str(file.relative_to(path))!r} both have the document id {doc_id!r}; rename one")
        ids[doc_id] = file
    owned = {ref for file in files for ref in reference_candidates(file)}
    for ref in readable:
        if is_reference(ref.name) and ref not in owned:
            log.warning("not using '%s': no Arabic document beside it has it as its reference (NAME.txt and "
                        "NAME.ar.txt take NAME.en.txt, or NAME.EN.TXT in capitals)", ref)
    return files


def _no_input_files(folder: Path, readable: list[Path]) -> str:
    """Why a folder gives no input: what it holds instead."""
    def some(paths: list[Path]) -> str:
        return ", ".join(repr(str(p.relative_to(folder))) for p in paths[:3]) + (", ..." if len(paths) > 3 else "")

    if readable:  # references only
        return (f"input folder '{folder}' holds no Arabic .txt files, only {len(readable)} English reference(s) "
                f"({some(readable)}): NAME.en.txt is the reference of NAME.txt or NAME.ar.txt beside it; put the "
                "Arabic text in NAME.txt")
    entries = [p for p in sorted(folder.rglob("*")) if not p.is_dir()]
    skipped = [p for p in entries if p.name.lower().endswith(TEXT_SUFFIX)]  # each named in a warning already
    others = [p for p in entries if not p.name.lower().endswith(TEXT_SUFFIX)]
    if not entries:
        return f"input folder '{folder}' holds no .txt files (it is empty)"
    unread = f"{len(skipped)} .txt entr{'y' if len(skipped) == 1 else 'ies'} that cannot be read (named above)"
    if not others:
        return f"input folder '{folder}' holds no .txt files it can read, only {unread}"
    return (f"input folder '{folder}' holds no .txt files it can read, only {unread + ' and ' if skipped else ''}"
            f"{len(others)} file(s) of other kinds ({some(others)}); mt reads plain-text .txt files (in any case: "
            ".TXT too); for a corpus, give a .jsonl or .parquet file")


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
    the byte offset unless `errors="replace"` (they become U+FFFD); NUL characters always are (binary content).
    In UTF-8 (the default), a file that starts with a UTF-16 or UTF-32 byte-order mark is read in that encoding."""
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


# Byte-order marks and the codecs that read (and drop) them; UTF-32 LE's mark starts as UTF-16 LE's does.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def text_codec(head: bytes, encoding: str) -> str:
    """The codec for a file whose first bytes are `head`, read as `encoding`: in UTF-8 (the default) a UTF-8,
    UTF-16 or UTF-32 byte-order mark decides, and is dropped; any other encoding is taken as given."""
    if codec_name(encoding) != "utf-8":
        return encoding
    return next((codec for bom, codec in _BOMS if head.startswith(bom)), "utf-8")


def decode_text(data: bytes, path: str | Path, encoding: str = "utf-8", errors: str = "strict") -> str:
    """`read_text` for bytes already read (`path` names them in errors)."""
    codec = text_codec(data[:4], encoding)
    wide = codec_name(codec).startswith(("utf-16", "utf-32"))  # NUL bytes are part of their characters
    nul = -1 if wide else data.find(b"\x00")
    if nul >= 0:
        raise InputError(f"input '{path}' holds a NUL byte at byte offset {nul}: it looks binary, not text")
    shown = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-32": "UTF-32"}.get(codec, encoding)
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
    out = "".join(parser.parts)  # the parser decoded the character references once (`&amp;lt;` is `&lt;`)
    out = re.sub(r"[ \t]+\n", "\n", out)
    return re.sub(r"\n{3,}", "\n\n", out).strip("\n")


def doc_id_for(path: Path, root: Path) -> str:
    """A file's document id: its path relative to the input folder (its name for a single file), less `.txt`."""
    rel = path.relative_to(root) if root.is_dir() else Path(path.name)
    return rel.with_suffix("").as_posix() if rel.suffix.lower() == TEXT_SUFFIX else rel.as_posix()


def read_documents(path: str | Path, encoding: str = "utf-8", errors: str = "strict", html_to_text: bool = False,
                   files: list[Path] | None = None) -> Iterator[Document]:
    """The documents of a .txt file or folder; `files`: its files as `input_files` listed them already."""
    root = Path(path)
    for file in input_files(root) if files is None else files:
        text = read_text(file, encoding, errors)
        yield Document(doc_id=doc_id_for(file, root), text=strip_html(text) if html_to_text else text,
                       source=str(file))
