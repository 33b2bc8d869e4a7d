"""The records that flow between stages."""

from __future__ import annotations

from dataclasses import dataclass, field


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
