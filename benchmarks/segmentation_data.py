"""Real Arabic text with gold sentence boundaries for benchmarks/segmentation.py, read from outside the repo.

The data is fetched once into a folder (``--data``, else ``$MT_SEGMENT_DATA``, else ``data/`` beside the checkout)
and never committed; each source has a SOURCE.md there naming its repository, commit and licence:

- ``ntrex-128/``: NTREX-128's Arabic side (``newstest2019-ref.arb.txt``: a professional translation of the WMT19
  English news test set, one sentence per line), its English source (``newstest2019-src.eng.txt``) and
  ``DOCUMENT_IDS.tsv`` (123 documents); CC BY-SA 4.0, https://github.com/MicrosoftTranslator/NTREX.
- ``tico-19/all.en-ar.tmx``: TICO-19's English-Arabic translation memory (3,071 segments of 31 documents:
  PubMed, Wikipedia, Wikivoyage, Wikinews, Wikisource, CMU's doctor-patient conversations; tuid = document:index),
  unzipped from ``data/TM/all.en-ar.tmx.zip`` of https://github.com/tico-19/tico-19.github.io; CC0.
- ``iwslt17-tst2016-ar-en/IWSLT17.TED.tst2016.{ar-en.ar,en-ar.en}.xml``: the IWSLT 2017 progressive TED test set
  tst2016 (13 talks, 1,158 line-aligned segments; Arabic translations of TED transcripts: speaker labels, pauses),
  from ``archive/2017-01-ted-test/texts/{ar/en/ar-en,en/ar/en-ar}.tgz`` of https://github.com/hlt-mt/WIT3; TED,
  CC BY-NC-ND 3.0. Its tst2017 is the ersatz suite's Arabic test set, held out: never read here.
- ``un-v1.0-testsets/{devset,testset}.{ar,en}``: the UN Parallel Corpus v1.0 development and test sets (4,000
  line-aligned sentences each, formal UN documents; free use with the UN acknowledged as the source), copied from
  ``testsets/`` of https://github.com/WillSkywalker/verbos-direccionales. Used for single sentences only (its lines
  are scattered over many documents): devset = dev part, testset = test part.

Paragraphs are rebuilt as the ersatz test suite was: consecutive gold segments of one document joined by a space
(NTREX's first line, the headline, is left out). A segment whose English side holds two sentences or more (the
corpus's own unsplit segments, such as TICO's ``2020.The``) is left out of paragraphs and single sentences alike,
so that a correct split there does not count against a splitter; the English side is an oracle we did not write.
Even-numbered documents are the dev part (used to choose rules), odd-numbered ones the test part (reported).
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

ENV = "MT_SEGMENT_DATA"
HOW_TO_GET = (
    f"no real segmentation data: set {ENV} (or --data, or put ../data beside the checkout) to a folder holding "
    "ntrex-128/ (newstest2019-ref.arb.txt, newstest2019-src.eng.txt, DOCUMENT_IDS.tsv from "
    "https://github.com/MicrosoftTranslator/NTREX) and/or tico-19/all.en-ar.tmx (data/TM/all.en-ar.tmx.zip of "
    "https://github.com/tico-19/tico-19.github.io, unzipped) and/or iwslt17-tst2016-ar-en/ (IWSLT17.TED.tst2016.*.xml "
    "from archive/2017-01-ted-test of https://github.com/hlt-mt/WIT3)"
)
# Paragraph lengths in segments, cycled through a document: the paragraphs of news articles.
SIZES = (4, 6, 3, 5, 2, 4, 1, 5)
_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# An English segment of two sentences or more: a terminal, maybe a closer, a space, then a capital or a digit;
# or a terminal glued between a word and a capital (``by 23 January 2020.The South Korean company``).
_EN_BOUNDARY = re.compile(r"[.!?][\"')\]”’]*\s+[\"'(“‘]*[A-Z0-9]|[\w%)\]][.!?][\"”’]?[A-Z](?:[A-Za-z]|\s)")

_EN_ENUMERATOR = re.compile(r"^\s*\(?(?:\d{1,3}|[a-zA-Z]|[ivxlc]{1,5})[.)]\s+")
_EN_NOT_ENDS = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Prof|No|Nos|Art|Arts|para|paras|St|Vol|vol|pp|p|e\.g|i\.e|vs|etc|[A-Z])\.\s"
)

Case = tuple[str, list[str]]
Document = list[tuple[str, str]]  # (Arabic, English) segments in order


# Where fetched data is kept when neither --data nor the environment says: ``data/`` beside the checkout, as
# ``shared/`` is.
BESIDE = Path(__file__).resolve().parent.parent.parent / "data"


def data_root(arg: str | None) -> Path | None:
    """The data folder from the command line, the environment or beside the checkout, if it holds a source."""
    for candidate in (arg, os.environ.get(ENV), str(BESIDE)):
        if candidate and any((Path(candidate) / name).exists() for name in [*SOURCES, *SINGLE_SOURCES]):
            return Path(candidate)
    return None


def ntrex_documents(root: Path) -> list[Document]:
    """NTREX's documents, headline left out."""
    folder = root / "ntrex-128"
    ar = (folder / "newstest2019-ref.arb.txt").read_text(encoding="utf-8").split("\n")
    en = (folder / "newstest2019-src.eng.txt").read_text(encoding="utf-8").split("\n")
    ids = (folder / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").split("\n")
    docs: list[Document] = []
    last = None
    for doc_id, a, e in zip(ids, ar, en):
        if not doc_id.strip():
            continue
        if doc_id != last:
            docs.append([])
            last = doc_id
            continue  # the headline
        if a.strip():
            docs[-1].append((a.strip(), e.strip()))
    return [d for d in docs if d]


def tico_documents(root: Path) -> list[Document]:
    """TICO-19's documents, segments in tuid order."""
    docs: dict[str, list[tuple[int, str, str]]] = {}
    for tu in ET.parse(root / "tico-19" / "all.en-ar.tmx").getroot().iter("tu"):
        doc, _, index = (tu.get("tuid") or "").rpartition(":")
        segs = {tuv.get(_LANG): "".join(tuv.find("seg").itertext()) for tuv in tu.iter("tuv")}  # type: ignore[union-attr]
        if segs.get("ar", "").strip() and index.isdigit():
            docs.setdefault(doc, []).append((int(index), segs["ar"].strip(), segs.get("en", "").strip()))
    return [[(a, e) for _, a, e in sorted(rows)] for _, rows in sorted(docs.items())]


def ted_documents(root: Path) -> list[Document]:
    """IWSLT17 tst2016's TED talks, segments in order; Arabic and English line-aligned (same talks, same seg ids)."""
    folder = root / "iwslt17-tst2016-ar-en"

    def talks(name: str) -> list[list[str]]:
        docs = ET.parse(folder / name).getroot().iter("doc")
        return [["".join(seg.itertext()).strip() for seg in doc.iter("seg")] for doc in docs]

    ar, en = talks("IWSLT17.TED.tst2016.ar-en.ar.xml"), talks("IWSLT17.TED.tst2016.en-ar.en.xml")
    return [[(a, e) for a, e in zip(da, de) if a] for da, de in zip(ar, en)]


SOURCES = {"ntrex-128": ntrex_documents, "tico-19": tico_documents, "iwslt17-tst2016-ar-en": ted_documents}


def un_singles(root: Path) -> dict[str, list[str]]:
    """The UN Parallel Corpus v1.0 dev and test sets (formal sentences of 4,000 lines each, from scattered lines of
    many documents: single sentences only), lines whose English side holds one sentence."""
    folder = root / "un-v1.0-testsets"
    out = {}
    for part, name in (("dev", "devset"), ("test", "testset")):
        ar = (folder / f"{name}.ar").read_text(encoding="utf-8").split("\n")
        en = (folder / f"{name}.en").read_text(encoding="utf-8").split("\n")
        out[part] = [a.strip() for a, e in zip(ar, en) if a.strip() and one_sentence(e)]
    return out


SINGLE_SOURCES = {"un-v1.0-testsets": un_singles}


def available_singles(root: Path) -> dict[str, dict[str, list[str]]]:
    return {name: load(root) for name, load in SINGLE_SOURCES.items() if (root / name).exists()}


def available(root: Path) -> dict[str, list[Document]]:
    return {name: load(root) for name, load in SOURCES.items() if (root / name).exists()}


def one_sentence(english: str) -> bool:
    """Whether an English segment holds one sentence (a leading ``10.`` or ``(a)`` and ``No. 5``, ``Mr. X``
    are no ends)."""
    return _EN_BOUNDARY.search(_EN_NOT_ENDS.sub(" ", _EN_ENUMERATOR.sub("", english))) is None


def split_parts(docs: list[Document]) -> dict[str, list[Document]]:
    """Even documents for dev, odd ones for test; segments of several English sentences left out."""
    kept = [[(a, e) for a, e in doc if one_sentence(e)] for doc in docs]
    return {"dev": kept[0::2], "test": kept[1::2]}


def paragraphs(docs: list[Document]) -> list[Case]:
    """Consecutive segments of each document joined by one space, `SIZES` segments at a time."""
    cases: list[Case] = []
    k = 0
    for doc in docs:
        i = 0
        while i < len(doc):
            n = SIZES[k % len(SIZES)]
            k += 1
            sents = [a for a, _ in doc[i : i + n]]
            i += n
            cases.append((" ".join(sents), sents))
    return cases


def singles(docs: list[Document]) -> list[str]:
    """Every segment on its own: a splitter should leave each whole."""
    return [a for doc in docs for a, _ in doc]
