"""Real Arabic text with gold sentence boundaries for benchmarks/segmentation.py, read from outside the repo.

The data is fetched once into a folder (``MT_SEGMENT_DATA`` or ``--data``, e.g. ``/work/data``) and never committed:

- ``ntrex-128/newstest2019-ref.arb.txt`` + ``ntrex-128/DOCUMENT_IDS.tsv``: NTREX-128's Arabic side (professional
  translation of the WMT19 news test set, one sentence per line, 123 documents; CC BY-SA 4.0), from
  https://github.com/MicrosoftTranslator/NTREX (``NTREX-128/`` and ``DOCUMENT_IDS.tsv``).

Paragraphs are rebuilt as the ersatz test suite was: consecutive gold sentences of one document joined by a space.
The first line of each document is its headline and is left out. Even-numbered documents are the dev part (used to
choose rules), odd-numbered ones the test part (reported).
"""

from __future__ import annotations

import os
from pathlib import Path

ENV = "MT_SEGMENT_DATA"
HOW_TO_GET = (
    f"no real segmentation data: set {ENV} (or --data) to a folder holding ntrex-128/ with "
    "newstest2019-ref.arb.txt and DOCUMENT_IDS.tsv from https://github.com/MicrosoftTranslator/NTREX"
)
# Paragraph lengths in sentences, cycled through a document: the paragraphs of news articles.
SIZES = (4, 6, 3, 5, 2, 4, 1, 5)

Case = tuple[str, list[str]]


def data_root(arg: str | None) -> Path | None:
    """The data folder from the command line or the environment, if it holds NTREX."""
    for candidate in (arg, os.environ.get(ENV)):
        if candidate and (Path(candidate) / "ntrex-128" / "newstest2019-ref.arb.txt").is_file():
            return Path(candidate)
    return None


def ntrex_documents(root: Path) -> list[list[str]]:
    """NTREX's Arabic documents, each a list of gold sentences, headline left out."""
    folder = root / "ntrex-128"
    lines = (folder / "newstest2019-ref.arb.txt").read_text(encoding="utf-8").split("\n")
    ids = (folder / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").split("\n")
    docs: list[list[str]] = []
    last = None
    for doc_id, line in zip(ids, lines):
        if not doc_id.strip():
            continue
        if doc_id != last:
            docs.append([])
            last = doc_id
            continue  # the headline
        if line.strip():
            docs[-1].append(line.strip())
    return [d for d in docs if d]


def split_parts(docs: list[list[str]]) -> dict[str, list[list[str]]]:
    return {"dev": docs[0::2], "test": docs[1::2]}


def paragraphs(docs: list[list[str]]) -> list[Case]:
    """Consecutive sentences of each document joined by one space, `SIZES` sentences at a time."""
    cases: list[Case] = []
    k = 0
    for doc in docs:
        i = 0
        while i < len(doc):
            n = SIZES[k % len(SIZES)]
            k += 1
            sents = doc[i : i + n]
            i += n
            cases.append((" ".join(sents), sents))
    return cases


def singles(docs: list[list[str]]) -> list[str]:
    """Every gold sentence on its own: a splitter should leave each whole."""
    return [s for doc in docs for s in doc]
