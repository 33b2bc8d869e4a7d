"""The whole flow of `mt translate`: read → segment → plan pieces → translate → pair → write."""

from __future__ import annotations

import logging
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mt.backends import Translator, load_translator, resolve_backend
from mt.batching import translate_all
from mt.checkpoint import Checkpoint
from mt.config import Config
from mt.errors import InputError
from mt.io import MARKUP
from mt.manifest import RunStats, build_manifest, text_sha256
from mt.normalize import normalize_for_model, presentation_forms
from mt.quality import assess, round_scores, round_trip_chrf
from mt.records import Document, Hypothesis, Pair, Segment
from mt.reference import attach_references, check_reference, find_references
from mt.rundir import claim_run_dir, remove_made
from mt.runwriter import RunWriter
from mt.segment import split_sentences, sub_split
from mt.sources import Source, open_source

# Why a segment- or pipeline-level flag was set (quality flags carry their own, measured reasons).
FLAG_REASONS = {
    "glued_split": "split from the next sentence where they were glued without space or punctuation",
    "glued_suspect": "may hold two sentences glued without punctuation (repair_glued is off)",
    "nothing_to_translate": "the segment holds no letters or digits (only punctuation, symbols or invisible marks)",
    "split_for_model": "longer than the model's input limit: translated in pieces and joined",
    "empty_output": "the model produced no text",
}

log = logging.getLogger(__name__)


@dataclass
class Unit:
    """A segment and the model-ready pieces it was cut into (one piece unless it is too long)."""

    doc_id: str
    index: int
    segment: Segment
    pieces: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (flag, reason) found before translation


CHUNK_DOCS = 500  # documents per chunk: a chunk is segmented, translated, scored and written as one shard
CHUNK_CHARS = 2_000_000  # ... or fewer, when they hold this many characters


def translate(config: Config, input_path: str | Path, *, config_path: str = "CONFIG", overwrite: bool = False,
              translator: Translator | Callable[[], Translator] | None = None, reference: str | Path | None = None,
              back_translator: Translator | None = None, source: Source | None = None) -> Path:
    """Run the pipeline on an input and write the run folder; returns its path.

    Documents stream through in chunks (`CHUNK_DOCS`); each chunk is written as a shard as soon as it is done,
    and a rerun skips the shards that exist, so memory does not grow with the corpus and a killed run resumes
    per document (and per batch, through the checkpoint). `reference` is an English version of a single input
    document; a folder's articles use sidecar files (`name.en.txt` beside `name.ar.txt` or `name.txt`).
    `translator` is a loaded model or a function that loads one (called once the input is known to hold text).
    """
    config = resolve_backend(config)
    source = source or open_source(input_path, encoding=config.encoding, errors=config.encoding_errors,
                                   html=config.strip_html)
    if reference is not None:
        check_reference(reference, source)
    if not any(doc.text.strip() for doc in source.documents()):  # stops at the first document with text
        raise InputError(f"input '{input_path}' holds no text to translate (it is empty or whitespace only)")
    stats = RunStats()
    with claim_run_dir(config, source, overwrite, inputs=[reference, config_path]) as run_dir:  # locked till the end
        clock = time.perf_counter()
        if translator is None:
            translator = load_translator(config, config_path)
        elif callable(translator):
            translator = translator()
        stats.timings["load_model_s"] = getattr(translator, "load_seconds", time.perf_counter() - clock)
        writer = RunWriter(run_dir, config.quality.min_quality is not None)
        checkpoint = Checkpoint(run_dir, config.config_hash())
        try:
            with _progress() as bar:
                for k, docs in enumerate(chunked(source.documents(), CHUNK_DOCS, CHUNK_CHARS)):
                    done = writer.done(k)
                    if done is not None and [i["sha256"] for i in done["inputs"]] == [text_sha256(d.text)
                                                                                     for d in docs]:
                        stats.merge(done)
                        bar.update(done["pairs"])
                        continue
                    chunk = RunStats()
                    kept, rejected = run_chunk(docs, config, translator, checkpoint, chunk, bar.update,
                                               sidecars=source.kind == "txt", reference=reference,
                                               back_translator=back_translator)
                    clock = time.perf_counter()
                    writer.write(k, kept, rejected, chunk.to_dict())
                    chunk.timings["write_shards_s"] = time.perf_counter() - clock
                    stats.merge(chunk.to_dict())
        except BaseException:
            checkpoint.close_or_discard()  # nothing translated yet (bad input, say): nothing left behind
            raise
        checkpoint.close()
        if stats.units == 0:
            remove_made(run_dir)
            raise InputError(f"input '{input_path}' holds no text to translate (it is empty or whitespace only)")
        if stats.empty_documents:
            log.warning("%s", stats.empty_warning())
        writer.finish(build_manifest(config, translator, stats, run_dir))
        log.info("wrote %d pairs to %s", stats.pairs, run_dir)
    return run_dir


def chunked(docs: Iterator[Document], max_docs: int, max_chars: int) -> Iterator[list[Document]]:
    chunk: list[Document] = []
    chars = 0
    for doc in docs:
        chunk.append(doc)
        chars += len(doc.text)
        if len(chunk) >= max_docs or chars >= max_chars:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


def run_chunk(docs: list[Document], config: Config, translator: Translator, checkpoint: Checkpoint | None,
              stats: RunStats, progress: Callable[[int], None], *, sidecars: bool, reference: str | Path | None,
              back_translator: Translator | None) -> tuple[list[Pair], list[Pair]]:
    """Segment, translate, score and filter one chunk of documents; returns the kept and rejected pairs.
    `sidecars`: the documents are files, which may have references beside them. Without a checkpoint (the
    Python API) nothing touches the disk."""
    clock = time.perf_counter()
    units = [unit for doc in docs for unit in segment_document(doc, config)]
    for unit in units:
        unit.pieces = model_pieces(unit.segment.text, translator)
    texts = [p for unit in units for p in unit.pieces]
    stats.timings["read_segment_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    done = checkpoint.load(texts) if checkpoint else {}
    hyps = translate_all(texts, translator.translate_batch, translator.count_tokens, config.max_batch_tokens,
                         progress, done=done, on_batch=checkpoint.save if checkpoint else None)
    pairs = make_pairs(units, hyps, translator.model_id)
    stats.timings["translate_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    for pair in pairs:
        assess_pair(pair, config)
    if config.quality.round_trip:
        add_round_trip(pairs, config.quality.round_trip, back_translator)
    references = find_references(docs, reference, config.encoding, config.encoding_errors) if sidecars else {}
    if references:
        stats.add_reference(attach_references(pairs, references))
    kept, rejected = filter_pairs(pairs, config.quality.min_quality)
    stats.timings["score_s"] = time.perf_counter() - clock
    stats.add(docs, kept, rejected, docs_with_segments={u.doc_id for u in units}, units=len(units),
              model_inputs=len(texts), unique_model_inputs=len(set(texts)),
              output_tokens=sum(h.n_tokens for h in hyps),
              resumed=checkpoint.count_earlier(texts) if checkpoint else 0)
    return kept, rejected


def segment_document(doc: Document, config: Config) -> list[Unit]:
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


def dominant_script(text: str) -> str | None:
    """The Unicode script (first word of the character names: ARABIC, LATIN, CYRILLIC, CJK ...) of most of
    the letters; None when there are no letters."""
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            script = unicodedata.name(ch, "UNKNOWN").split(" ")[0]
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else None


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


def add_round_trip(pairs: list[Pair], config_path: str, back_translator: Translator | None = None) -> None:
    """Back-translate the outputs with an English→Arabic config and score them against the source with chrF."""
    from mt.config import load_config

    back_config = load_config(config_path)
    back_translator = back_translator or load_translator(back_config, config_path)
    todo = [p for p in pairs if p.en]
    back = translate_lines(back_translator, [p.en for p in todo], back_config.max_batch_tokens)
    for pair, text in zip(todo, back):
        pair.scores["round_trip_chrf"] = round(round_trip_chrf(pair.ar, text), 4)


def translate_lines(translator: Translator, lines: list[str], max_batch_tokens: int) -> list[str]:
    """Translate whole lines (cut into model-sized pieces and joined back), in order."""
    pieces = [model_pieces(line, translator) for line in lines]
    flat = [p for line in pieces for p in line]
    hyps = iter(translate_all(flat, translator.translate_batch, translator.count_tokens, max_batch_tokens))
    return [" ".join(next(hyps).text for _ in line) for line in pieces]


def filter_pairs(pairs: list[Pair], min_quality: float | None) -> tuple[list[Pair], list[Pair]]:
    """Pairs kept and rejected by `min_quality` (a pair without a quality is rejected by any); None keeps all."""
    if min_quality is None:
        return pairs, []
    kept, rejected = [], []
    for pair in pairs:
        if pair.quality is not None and pair.quality >= min_quality:
            kept.append(pair)
        else:
            pair.flag("below_min_quality", f"quality {pair.quality} < min_quality {min_quality}"
                      if pair.quality is not None else f"no quality to compare with min_quality {min_quality}")
            rejected.append(pair)
    return kept, rejected


class _progress:
    """A tqdm bar on a terminal; silent otherwise."""

    def __init__(self, total: int | None = None) -> None:
        self.total = total
        self.bar: Any = None

    def __enter__(self) -> _progress:
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit="seg", desc="translating", file=sys.stderr)
        return self

    def update(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
