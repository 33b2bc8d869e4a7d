"""`mt translate --engine ray`: the same pipeline as a Ray Data pipeline, for a cluster or several local workers.

Read the corpus → segment in parallel tasks → translate in an actor pool (`map_batches` with a class that loads
the model once per actor, `concurrency=N`, GPUs per actor on request) → score → stream back to the driver, which
writes the same shards and files as the local engine (`mt.runwriter`). Order is preserved, so the outputs are
the local engine's, pair for pair. Ray is an optional extra: `pip install 'mt[ray]'`.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from mt.config import Config
from mt.errors import InputError, MtError
from mt.manifest import RunStats, build_manifest
from mt.records import Document, Pair, Segment, pair_from_dict
from mt.runwriter import RunWriter
from mt.sources import Source

log = logging.getLogger(__name__)
BATCH_SEGMENTS = 64  # segments per actor call


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MtError("--engine ray needs Ray: pip install 'mt[ray]' (or pip install 'ray[data]')") from None
    return ray


def segment_rows(row: dict[str, Any], config: Config) -> list[dict[str, Any]]:
    """One document row → one row per segment (a Ray task)."""
    from mt.pipeline import segment_document

    doc = Document(row["doc_id"], row["text"], row["source"])
    return [{"order": row["order"], "doc_id": u.doc_id, "index": u.index, "text": u.segment.text,
             "start": u.segment.start, "end": u.segment.end, "flags": json.dumps(list(u.segment.flags)),
             "notes": json.dumps(u.notes)} for u in segment_document(doc, config)]


class TranslateActor:
    """Loads the model once; translates and scores batches of segments."""

    def __init__(self, config: Config, config_path: str) -> None:
        from mt.backends import load_translator

        self.config = config
        self.translator = load_translator(self.config, config_path)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        from mt.batching import translate_all
        from mt.pipeline import Unit, assess_pair, make_pairs, model_pieces

        units = []
        for k in range(len(batch["doc_id"])):
            segment = Segment(str(batch["text"][k]), int(batch["start"][k]), int(batch["end"][k]),
                              tuple(json.loads(str(batch["flags"][k]))))
            unit = Unit(str(batch["doc_id"][k]), int(batch["index"][k]), segment,
                        notes=[tuple(n) for n in json.loads(str(batch["notes"][k]))])  # type: ignore[misc]
            unit.pieces = model_pieces(segment.text, self.translator)
            units.append(unit)
        texts = [p for u in units for p in u.pieces]
        hyps = translate_all(texts, self.translator.translate_batch, self.translator.count_tokens,
                             self.config.max_batch_tokens)
        pairs = make_pairs(units, hyps, self.translator.model_id)
        out, pos = [], 0
        for unit, pair in zip(units, pairs):
            assess_pair(pair, self.config)
            parts = hyps[pos : pos + len(unit.pieces)]
            pos += len(unit.pieces)
            record = pair.to_dict()
            record["_inputs"], record["_tokens"] = len(unit.pieces), sum(h.n_tokens for h in parts)
            out.append(json.dumps(record, ensure_ascii=False))
        return {"pair": out, "order": [int(o) for o in batch["order"]]}


def translate_ray(config: Config, source: Source, *, config_path: str, overwrite: bool, address: str | None,
                  num_workers: int, gpus_per_worker: float, reference: str | None = None) -> Path:
    """Run the pipeline on Ray and write the run folder like the local engine; returns its path."""
    from mt.pipeline import CHUNK_CHARS, CHUNK_DOCS, chunked, filter_pairs
    from mt.reference import attach_references, find_references
    from mt.rundir import claim_run_dir

    ray = _import_ray()
    if num_workers < 1:
        raise InputError("--num-workers must be at least 1")
    if config.quality.round_trip:
        raise InputError("quality.round_trip is not supported with --engine ray yet; use the local engine")
    clock = time.perf_counter()
    if not ray.is_initialized():
        local = {} if address else {"num_cpus": num_workers + 1}  # one slot more, for the segmenting tasks
        ray.init(address=address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
                 logging_level=logging.WARNING, **local)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    docs = list(source.documents())
    rows = [{"order": k, "doc_id": d.doc_id, "text": d.text, "source": d.source} for k, d in enumerate(docs)]
    ds = ray.data.from_items(rows)
    ds = ds.flat_map(segment_rows, fn_kwargs={"config": config})  # the validated Config travels, not its dict
    ds = ds.map_batches(TranslateActor, fn_constructor_kwargs={"config": config, "config_path": config_path},
                        batch_size=BATCH_SEGMENTS, compute=ray.data.ActorPoolStrategy(size=num_workers),
                        num_cpus=1, num_gpus=gpus_per_worker or None, batch_format="numpy")
    run = claim_run_dir(config, source, overwrite)  # locked while `run` lives: until this function returns
    run_dir = run.path
    writer = RunWriter(run_dir, config.quality.min_quality is not None)
    stats = RunStats()
    translate_clock = time.perf_counter()
    rows = iter(ds.iter_rows())  # in document order (preserve_order): each chunk is written once it is complete
    pending: dict[str, Any] | None = None
    start = 0
    with_pairs: set[str] = set()
    for k, chunk_docs in enumerate(chunked(iter(docs), CHUNK_DOCS, CHUNK_CHARS)):
        last = start + len(chunk_docs) - 1
        start = last + 1
        records: list[dict[str, Any]] = []
        while True:
            row = pending if pending is not None else next(rows, None)
            pending = None
            if row is None:
                break
            if int(row["order"]) > last:
                pending = row
                break
            records.append({**json.loads(row["pair"]), "_order": int(row["order"])})
        records.sort(key=lambda r: (r["_order"], r["index"]))
        with_pairs = {r["doc_id"] for r in records}
        pairs = [_pair(r) for r in records]
        part = RunStats()
        references = find_references(chunk_docs, reference) if source.kind == "txt" else {}
        if references:
            part.add_reference(attach_references(pairs, references))
        kept, rejected = filter_pairs(pairs, config.quality.min_quality)
        part.add(chunk_docs, kept, rejected, docs_with_segments=with_pairs, units=len(records),
                 model_inputs=sum(r["_inputs"] for r in records), unique_model_inputs=0,  # deduplicated in actors
                 output_tokens=sum(r["_tokens"] for r in records))
        writer.write(k, kept, rejected, part.to_dict())
        stats.merge(part.to_dict())
    stats.timings["translate_s"] = time.perf_counter() - translate_clock  # with scoring and writing
    stats.timings["ray_total_s"] = time.perf_counter() - clock
    if stats.units == 0:
        raise InputError(f"input '{source.path}' holds no text to translate (it is empty or whitespace only)")

    class _Engine:  # what the manifest records of the model: the actors hold the translators
        model_id, revision, family, device, max_input_tokens = config.model, None, None, "ray", None

    manifest = build_manifest(config, _Engine(), stats, run_dir)
    manifest["engine"] = {"name": "ray", "address": address, "num_workers": num_workers,
                          "gpus_per_worker": gpus_per_worker, "ray": ray.__version__}
    writer.finish(manifest)
    run.release()
    return run_dir


def _pair(record: dict[str, Any]) -> Pair:
    data = {k: v for k, v in record.items() if not k.startswith("_")}
    return pair_from_dict(data)
