"""The stages of `mt translate`, the same for every engine:

    documents (mt.inputs) → segment (mt.text.segment) → model pieces (mt.text.normalize) → translate
    (mt.translate) → pairs → quality checks (mt.quality.checks) → references (mt.quality.reference) → filter
    → statistics → shard (mt.outputs)

`run_chunk` runs them on one chunk of documents (`CHUNK_DOCS`). The engines schedule these functions and never
re-implement one: `mt.engines.local` calls `run_chunk` chunk after chunk; `mt.engines.ray` calls
`segment_document` in Ray tasks, `translate_units` in an actor pool, and `finish_chunk` in the driver. Both write
each chunk as a shard through one run lifecycle (`mt.outputs.run`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mt.config import Config
from mt.inputs.files import MARKUP
from mt.quality.checks import assess, filter_pairs, round_scores, round_trip_chrf
from mt.quality.reference import attach_references, find_references
from mt.records import Chunk, Document, DocumentInfo, Hypothesis, Pair, RunStats, Segment, pair_from_dict
from mt.text.arabic import dominant_script
from mt.text.normalize import normalize_for_model, presentation_forms
from mt.text.segment import split_sentences, sub_split
from mt.translate import LoadedModel, Translator, load_model
from mt.translate.batching import translate_all
from mt.translate.checkpoint import Checkpoint

CHUNK_DOCS = 500  # documents per chunk: a chunk is segmented, translated, scored and written as one shard
CHUNK_CHARS = 2_000_000  # ... or fewer, when they hold this many characters

# Why a segment- or pipeline-level flag was set (quality flags carry their own, measured reasons).
FLAG_REASONS = {
    "glued_split": "split from the next sentence where they were glued without space or punctuation",
    "glued_suspect": "may hold two sentences glued without punctuation (repair_glued is off)",
    "nothing_to_translate": "the segment holds no letters or digits (only punctuation, symbols or invisible marks)",
    "split_for_model": "longer than the model's input limit: translated in pieces and joined",
    "empty_output": "the model produced no text",
}


@dataclass
class Unit:
    """A segment and the model-ready pieces it was cut into (one piece unless it is too long)."""

    doc_id: str
    index: int
    segment: Segment
    pieces: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (flag, reason) found before translation


@dataclass
class Translated:
    """A unit's pair, translated and checked, with what the model did for it (the chunk's statistics count it)."""

    pair: Pair
    pieces: list[str]  # the texts the model read
    earlier: list[str]  # those of them an earlier run had translated (resumed from the checkpoint)
    output_tokens: int

    def to_dict(self) -> dict[str, Any]:
        return {"pair": self.pair.to_dict(), "pieces": self.pieces, "earlier": self.earlier,
                "output_tokens": self.output_tokens}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Translated:
        return cls(pair_from_dict(data["pair"]), data["pieces"], data["earlier"], data["output_tokens"])


def run_chunk(docs: list[Document], config: Config, translator: Translator, checkpoint: Checkpoint | None = None, *,
              progress: Callable[[int], None] | None = None, reference: str | Path | None = None,
              sidecars: bool = False, back: LoadedModel | None = None) -> Chunk:
    """Every stage on one chunk of documents, in this process. `sidecars`: the documents are files, which may have
    references beside them (`reference`: the one of a single document). Without a checkpoint (the Python API)
    nothing touches the disk."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    units = [unit for doc in docs for unit in segment_document(doc, config)]
    timings["read_segment_s"] = time.perf_counter() - clock
    translated = translate_units(units, config, translator, checkpoint, progress=progress, back=back, timings=timings)
    segments = Counter(unit.doc_id for unit in units)
    infos = [DocumentInfo.of(doc, segments[doc.doc_id]) for doc in docs]
    return finish_chunk(infos, translated, config, reference=reference, sidecars=sidecars, timings=timings)


def chunked(docs: Iterator[Document]) -> Iterator[list[Document]]:
    """The documents in chunks of `CHUNK_DOCS` (or of fewer, holding `CHUNK_CHARS` characters)."""
    chunk: list[Document] = []
    chars = 0
    for doc in docs:
        chunk.append(doc)
        chars += len(doc.text)
        if chunk_is_full(len(chunk), chars):
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


def chunk_is_full(docs: int, chars: int) -> bool:
    return docs >= CHUNK_DOCS or chars >= CHUNK_CHARS


def segment_document(doc: Document, config: Config) -> list[Unit]:
    """The document's sentences, each noted with what the model should know of it (markup, another script,
    presentation forms, replaced bytes)."""
    units = []
    for i, seg in enumerate(split_sentences(doc.text, repair_glued=config.repair_glued)):
        unit = Unit(doc.doc_id, i, seg)
        if MARKUP.search(seg.text):
            unit.notes.append(("markup", "looks like HTML/XML markup, shown as text by the page" if config.strip_html
                               else "looks like HTML/XML markup; translated as text (--strip-html extracts the "
                                    "visible text)"))
        script = dominant_script(seg.text)
        if script not in (None, "ARABIC"):
            unit.notes.append(("not_arabic", f"the text is mostly {script.title()} script, not Arabic"))
        folded = presentation_forms(seg.text)
        if folded:
            unit.notes.append(("presentation_forms", f"{folded} Arabic presentation-form character(s) (letter shapes "
                                                     "as copied from a PDF) were read as their base letters"))
        if "\ufffd" in seg.text and config.encoding_errors == "replace":  # else the text holds U+FFFD itself
            unit.notes.append(("invalid_bytes", f"holds U+FFFD where the input had bytes invalid in {config.encoding}"))
        units.append(unit)
    return units


def translate_units(units: list[Unit], config: Config, translator: Translator, checkpoint: Checkpoint | None, *,
                    progress: Callable[[int], None] | None = None, back: LoadedModel | None = None,
                    timings: dict[str, float] | None = None) -> list[Translated]:
    """Cut each unit into model pieces, translate them (each distinct text once, in length-sorted batches, taken
    from the checkpoint where it has them and saved to it batch by batch), pair each unit with its translation
    and check the pair (`quality.round_trip`: with `back`, or the model it names)."""
    timings = {} if timings is None else timings
    clock = time.perf_counter()
    for unit in units:
        unit.pieces = model_pieces(unit.segment.text, translator)
    texts = [p for unit in units for p in unit.pieces]
    timings["read_segment_s"] = timings.get("read_segment_s", 0.0) + time.perf_counter() - clock

    clock = time.perf_counter()
    done = checkpoint.load(texts) if checkpoint else {}
    hyps = translate_all(texts, translator.translate_batch, translator.count_tokens, config.max_batch_tokens,
                         progress, done=done, on_batch=checkpoint.save if checkpoint else None)
    pairs = make_pairs(units, hyps, translator.model_id)
    earlier = checkpoint.earlier(texts) if checkpoint else set()
    timings["translate_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    for pair in pairs:
        assess_pair(pair, config)
    if config.quality.round_trip:
        add_round_trip(pairs, back or load_model(config.quality.round_trip))
    out, pos = [], 0
    for unit, pair in zip(units, pairs):
        parts = hyps[pos : pos + len(unit.pieces)]
        pos += len(unit.pieces)
        out.append(Translated(pair, unit.pieces, [p for p in unit.pieces if p in earlier],
                              sum(h.n_tokens for h in parts)))
    timings["score_s"] = time.perf_counter() - clock
    return out


def finish_chunk(docs: list[DocumentInfo], translated: list[Translated], config: Config, *,
                 reference: str | Path | None = None, sidecars: bool = False,
                 timings: dict[str, float] | None = None) -> Chunk:
    """Score a chunk's pairs against their references (found beside the documents when `sidecars`), filter them
    by `quality.min_quality` and count them."""
    clock = time.perf_counter()
    pairs = [t.pair for t in translated]
    stats = RunStats(timings=dict(timings or {}))
    references = find_references(docs, reference, config.encoding, config.encoding_errors) if sidecars else {}
    if references:
        stats.add_reference(attach_references(pairs, references))
    kept, rejected = filter_pairs(pairs, config.quality.min_quality)
    pieces = [p for t in translated for p in t.pieces]
    stats.add(docs, kept, rejected, units=len(translated), model_inputs=len(pieces),
              unique_model_inputs=len(set(pieces)), output_tokens=sum(t.output_tokens for t in translated),
              resumed=len({p for t in translated for p in t.earlier}))
    stats.timings["score_s"] = stats.timings.get("score_s", 0.0) + time.perf_counter() - clock
    return Chunk(kept, rejected, stats)


def model_pieces(text: str, translator: Translator) -> list[str]:
    """The normalised text the model reads, cut at safe points when it exceeds the model's input limit."""
    limit = translator.max_input_tokens
    normalized = normalize_for_model(text)
    if not any(ch.isalnum() for ch in normalized):
        return []  # nothing the model can read: punctuation (... !!! ؟؟؟), symbols, tatweel, invisible marks
    if translator.count_tokens([normalized])[0] <= limit:
        return [normalized]
    spans = sub_split(text, limit, lambda t: translator.count_tokens([normalize_for_model(t)])[0])
    return [p for p in (normalize_for_model(text[a:b]) for a, b in spans) if p]


def make_pairs(units: list[Unit], hyps: list[Hypothesis], model_id: str) -> list[Pair]:
    pairs = []
    pos = 0
    for unit in units:
        parts = hyps[pos : pos + len(unit.pieces)]
        pos += len(unit.pieces)
        notes = [(f, FLAG_REASONS.get(f, f)) for f in unit.segment.flags] + unit.notes
        if not unit.pieces:
            notes.append(("nothing_to_translate", FLAG_REASONS["nothing_to_translate"]))
        if len(unit.pieces) > 1:
            notes.append(("split_for_model", FLAG_REASONS["split_for_model"]))
        en = " ".join(h.text for h in parts if h.text)
        failed = sum(h.error is not None for h in parts)
        if failed:
            notes.append(("out_of_memory", f"{failed} of {len(parts)} piece(s) ran out of memory even when "
                                           "translated alone"))
        elif unit.pieces and not en:
            notes.append(("empty_output", FLAG_REASONS["empty_output"]))
        flags, reasons = [f for f, _ in notes], [r for _, r in notes]
        tokens = sum(h.n_tokens for h in parts if h.error is None)
        score = sum(h.score * h.n_tokens for h in parts if h.error is None) / tokens if tokens else None
        pairs.append(
            Pair(
                id=f"{unit.doc_id}:{unit.index}", doc_id=unit.doc_id, index=unit.index, ar=unit.segment.text,
                en=en, start=unit.segment.start, end=unit.segment.end,
                score=None if score is None else round(score, 6), flags=flags, pieces=max(1, len(unit.pieces)),
                model=model_id, reasons=reasons,
            )
        )
    return pairs


def assess_pair(pair: Pair, config: Config) -> None:
    """Reference-free scores, flags with reasons and the combined quality of one pair."""
    result = assess(pair.ar, pair.en, pair.score, config.quality)
    pair.scores = round_scores(result.scores)
    pair.quality = result.quality
    for code, reason in zip(result.flags, result.reasons):
        pair.flag(code, reason)


def add_round_trip(pairs: list[Pair], back: LoadedModel) -> None:
    """Back-translate the outputs with an English→Arabic model and score them against the source with chrF."""
    todo = [p for p in pairs if p.en]
    translated = translate_lines(back.translator, [p.en for p in todo], back.config.max_batch_tokens)
    for pair, text in zip(todo, translated):
        pair.scores["round_trip_chrf"] = round(round_trip_chrf(pair.ar, text), 4)


def translate_lines(translator: Translator, lines: list[str], max_batch_tokens: int) -> list[str]:
    """Translate whole lines (cut into model-sized pieces and joined back), in order."""
    pieces = [model_pieces(line, translator) for line in lines]
    flat = [p for line in pieces for p in line]
    hyps = iter(translate_all(flat, translator.translate_batch, translator.count_tokens, max_batch_tokens))
    return [" ".join(next(hyps).text for _ in line) for line in pieces]
