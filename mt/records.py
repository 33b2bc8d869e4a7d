"""The records that flow between stages, and what a run counts of them."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Segment:
    """A sentence of a document: `doc[start:end] == text`."""

    text: str
    start: int
    end: int
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Document:
    """An input text and where it came from."""

    doc_id: str
    text: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class Hypothesis:
    """One model output: the text, its mean log-probability per token and its token count. `error` names a
    fault (e.g. `out_of_memory`) when there is no output."""

    text: str
    score: float
    n_tokens: int
    error: str | None = None


@dataclass(slots=True)
class Pair:
    """A source segment with its translation, scores and flags; one line of `pairs.jsonl`."""

    id: str
    doc_id: str
    index: int
    ar: str
    en: str
    start: int
    end: int
    score: float | None
    flags: list[str] = field(default_factory=list)
    pieces: int = 1
    model: str = ""
    quality: float | None = None
    scores: dict[str, float | None] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)  # reasons[k] explains flags[k]
    ref: str | None = None  # the reference sentence(s) aligned with this pair, when there is a reference
    ref_ids: list[int] = field(default_factory=list)

    def flag(self, code: str, reason: str) -> None:
        self.flags.append(code)
        self.reasons.append(reason)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "doc_id": self.doc_id,
            "index": self.index,
            "ar": self.ar,
            "en": self.en,
            "start": self.start,
            "end": self.end,
            "score": self.score,
            "quality": self.quality,
            "flags": list(self.flags),
            "reasons": list(self.reasons),
            "scores": dict(self.scores),
            "ref": self.ref,
            "ref_ids": list(self.ref_ids),
            "pieces": self.pieces,
            "model": self.model,
        }


def pair_from_dict(data: dict[str, object]) -> Pair:
    """A Pair from one line of pairs.jsonl."""
    return Pair(**data)  # type: ignore[arg-type]


def text_sha256(text: str) -> str:
    """The SHA-256 of a document's text (UTF-8): how the manifest, a resumed run and `mt compare` recognise it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """What a run keeps of an input document once its segments are made: where it came from, its size and digest
    (the manifest's `inputs`), and how many segments it gave."""

    doc_id: str
    path: str
    chars: int
    sha256: str
    segments: int

    @classmethod
    def of(cls, doc: Document, segments: int) -> DocumentInfo:
        return cls(doc.doc_id, doc.source, len(doc.text), text_sha256(doc.text), segments)

    def to_input(self) -> dict[str, object]:
        """The record of the manifest's `inputs`."""
        return {"doc_id": self.doc_id, "path": self.path, "chars": self.chars, "sha256": self.sha256}


@dataclass
class RunStats:
    """What a run counted: per chunk (written with its shard), and the run's totals (the chunks' merged). A
    chunk's `inputs` are its documents' records; the totals keep only their number (`documents`), since the
    manifest streams the records from the shards."""

    inputs: list[dict[str, object]] = field(default_factory=list)
    documents: int = 0
    units: int = 0
    pairs: int = 0
    rejected: int = 0
    model_inputs: int = 0
    unique_model_inputs: int = 0  # distinct model inputs of each chunk, summed over the chunks
    split_for_model: int = 0
    flagged: int = 0
    flags: Counter[str] = field(default_factory=Counter)
    quality_sum: float = 0.0
    quality_n: int = 0
    output_tokens: int = 0
    resumed_translations: int = 0  # distinct model inputs of each chunk that an earlier run translated
    empty_documents: int = 0
    empty_ids: list[str] = field(default_factory=list)  # the first few of them, named in the warning
    timings: dict[str, float] = field(default_factory=dict)
    reference: dict[str, Any] | None = None

    def add(self, docs: list[DocumentInfo], kept: list[Pair], rejected: list[Pair], *, units: int,
            model_inputs: int = 0, unique_model_inputs: int = 0, output_tokens: int = 0, resumed: int = 0) -> None:
        """Count one chunk: its documents, the pairs kept and rejected, and what the model read and wrote."""
        self.inputs += [d.to_input() for d in docs]
        self.documents += len(docs)
        self.empty_documents += sum(d.segments == 0 for d in docs)
        self.empty_ids = (self.empty_ids + [d.doc_id for d in docs if d.segments == 0])[:3]
        self.units += units
        self.pairs += len(kept)
        self.rejected += len(rejected)
        self.model_inputs += model_inputs
        self.unique_model_inputs += unique_model_inputs
        self.split_for_model += sum("split_for_model" in p.flags for p in kept)
        self.flagged += sum(bool(p.flags) for p in kept)
        self.flags.update(f for p in kept for f in p.flags)
        qualities = [p.quality for p in kept if p.quality is not None]
        self.quality_sum += sum(qualities)
        self.quality_n += len(qualities)
        self.output_tokens += output_tokens
        self.resumed_translations += resumed

    def add_reference(self, summary: dict[str, Any]) -> None:
        if self.reference is None:
            self.reference = {"paths": {}, "documents": 0, "sentences": 0, "beads": 0, "pairs_without_reference": 0,
                              "reference_sentences_unaligned": 0, "hyps": [], "refs": []}
        for key, value in summary.items():
            if key == "paths":
                self.reference["paths"].update(value)
            else:
                self.reference[key] += value

    def merge(self, other: dict[str, Any]) -> None:
        """Add a chunk's counts (`to_dict`, as its shard stores them) to these totals."""
        for key, value in other.items():
            if key == "inputs":
                self.documents += len(value)  # the records stay in the shard
            elif key == "flags":
                self.flags.update(value)
            elif key == "timings":
                for name, seconds in value.items():
                    self.timings[name] = self.timings.get(name, 0.0) + seconds
            elif key == "reference":
                if value is not None:
                    self.add_reference(value)
            elif key == "empty_ids":
                self.empty_ids = (self.empty_ids + value)[:3]
            else:
                setattr(self, key, getattr(self, key) + value)

    def empty_warning(self) -> str:
        """The warning about documents with no text: how many, and the ids of the first few."""
        more = self.empty_documents - len(self.empty_ids)
        ids = ", ".join(repr(i) for i in self.empty_ids) + (f" and {more} more" if more > 0 else "")
        return f"{self.empty_documents} input document(s) hold no text and give no pairs: {ids}"

    def to_dict(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "documents"}  # len(inputs)
        data["flags"], data["timings"] = dict(self.flags), dict(self.timings)
        return data


@dataclass
class Chunk:
    """A finished chunk of documents: the pairs kept and rejected (`quality.min_quality`), and what was counted."""

    kept: list[Pair]
    rejected: list[Pair]
    stats: RunStats
