"""`mt translate --engine ray`: the stages of `mt.pipeline` as a Ray Data pipeline, for a cluster or several local
workers. It schedules the stages; it runs no stage of its own.

Read the corpus with Ray Data's readers (`mt.inputs.ray_read`: the documents never pass through the driver) →
`segment_document` in tasks → `translate_units` in an actor pool (`map_batches` with a class that loads the model
once per actor; each actor writes every translated batch to the run's checkpoint) → stream back in input order to
the driver, which groups the documents into the local engine's chunks, finishes each (`finish_chunk`: references,
filter, statistics) and writes it as a shard through the same run lifecycle (`mt.outputs.run`); memory in the driver
is one chunk. A rerun of a killed run keeps the finished shards, and the actors find everything translated before in
the checkpoint, so no model work is repeated beyond the batch each worker was in. A worker process that dies is
restarted and its batch retried (`MAX_RESTARTS`, `MAX_TASK_RETRIES`); the manifest counts the processes. Ray is an
optional extra: `pip install 'mt[ray]'`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mt import pipeline
from mt.config import Config
from mt.engines.ray_cluster import connect, import_ray, input_error
from mt.errors import InputError
from mt.inputs.ray_read import UniqueIds, document_of, read_corpus
from mt.inputs.sources import Source
from mt.outputs.manifest import memory_mb, model_size_mb
from mt.outputs.run import Run
from mt.quality.reference import check_reference
from mt.records import Document, DocumentInfo, Segment, text_sha256
from mt.translate import load_translator
from mt.translate.checkpoint import Checkpoint, discard_if_empty

log = logging.getLogger(__name__)
BATCH_SEGMENTS = 64  # segments per actor call
MAX_RESTARTS = 3  # times Ray restarts a translation actor whose process died
MAX_TASK_RETRIES = 3  # times a batch whose actor died is retried (on the restarted actor)
READ_RETRIES = 3  # times a reading/segmenting task is retried when its worker dies
# Ray Data's budget for blocks in flight in a local runtime. The driver writes more slowly than the actors translate
# a cheap model; without a budget results pile up in the object store, and the pages the driver maps to read them
# grow its RSS (measured: benchmarks/corpus.py).
OBJECT_STORE_BUDGET_MB = 64


def segment_rows(row: dict[str, Any], config: Config, source: Source) -> list[dict[str, Any]]:
    """One input row → its document's segments (a Ray task). The first row of each document carries what the
    driver needs of it (`doc`): id, place, size and digest, or the problem that makes it bad input; a document
    without segments gives one row with `index` -1, so that the driver sees every document."""
    doc_id, text, where, problem = document_of(row, source)
    units = [] if problem else pipeline.segment_document(Document(doc_id or "?", text, where), config)
    meta = json.dumps({"id": doc_id, "where": where, "chars": len(text), "problem": problem,
                       "sha256": text_sha256(text), "segments": len(units)},
                      ensure_ascii=False)
    empty = {"doc": meta, "index": -1, "text": "", "start": 0, "end": 0, "flags": "[]", "notes": "[]"}
    return [{"doc": meta if k == 0 else "", "index": u.index, "text": u.segment.text, "start": u.segment.start,
             "end": u.segment.end, "flags": json.dumps(list(u.segment.flags)), "notes": json.dumps(u.notes)}
            for k, u in enumerate(units)] or [empty]


class TranslateActor:
    """Loads the model once; translates and checks batches of segments (`translate_units`), checkpointing each
    translated batch."""

    def __init__(self, config: Config, config_path: str, run_dir: str, run_number: int) -> None:
        import ray

        self.config = config
        self.run_dir, self.run_number = Path(run_dir), run_number
        self.checkpoints: dict[int, Checkpoint] = {}  # per thread: Ray may call from another thread than this
        restarted = bool(ray.get_runtime_context().was_current_actor_reconstructed)
        self._checkpoint().note_worker(os.getpid(), restarted)  # seen even if it never gets a batch
        self.translator = load_translator(self.config, config_path)
        t = self.translator
        self.info = {"pid": os.getpid(), "restarted": restarted,
                     "model": {"revision": t.revision, "family": getattr(t, "family", None),
                               "device": getattr(t, "device", None), "max_input_tokens": t.max_input_tokens,
                               "max_new_tokens": t.max_new_tokens, "size_mb": model_size_mb(t)}}

    def _checkpoint(self) -> Checkpoint:
        thread = threading.get_ident()
        if thread not in self.checkpoints:
            self.run_dir.mkdir(parents=True, exist_ok=True)  # on a node without the driver's (shared) output folder
            checkpoint = Checkpoint(self.run_dir, self.config.config_hash())
            checkpoint.run = self.run_number  # one number for all the actors of this run, restarted ones too
            self.checkpoints[thread] = checkpoint
        return self.checkpoints[thread]

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        started = time.time()  # wall clock, comparable across the processes (and NTP-synced machines)
        indices = [int(i) for i in batch["index"]]
        units = [pipeline.Unit("", index, Segment(str(batch["text"][k]), int(batch["start"][k]),
                                                  int(batch["end"][k]), tuple(json.loads(str(batch["flags"][k])))),
                               notes=[tuple(n) for n in json.loads(str(batch["notes"][k]))])  # type: ignore[misc]
                 for k, index in enumerate(indices) if index >= 0]
        checkpoint = self._checkpoint()
        saved = checkpoint.saved
        translated = iter(pipeline.translate_units(units, self.config, self.translator, checkpoint))
        out = []
        for k, index in enumerate(indices):
            doc = str(batch["doc"][k])
            unit = next(translated).to_dict() if index >= 0 else None
            worker = {**self.info, "translated": checkpoint.saved - saved, "started": started} if k == 0 else None
            out.append({"doc": json.loads(doc) if doc else None, "unit": unit, "worker": worker})
        return {"out": [json.dumps(o, ensure_ascii=False) for o in out]}


@dataclass(frozen=True)
class WorkerModel:
    """The model as the actors loaded it (what the manifest records: the revision they resolved)."""

    model_id: str
    revision: str | None
    family: str | None
    device: str | None
    max_input_tokens: int | None
    max_new_tokens: int | None


def translate_ray(config: Config, source: Source, *, config_path: str, overwrite: bool, address: str | None,
                  num_workers: int, gpus_per_worker: float, reference: str | None = None) -> Path:
    """Run the pipeline on Ray and write the run folder like the local engine; returns its path."""
    ray = import_ray()
    if num_workers < 1:
        raise InputError("--num-workers must be at least 1")
    if config.quality.round_trip:
        raise InputError("quality.round_trip is not supported with --engine ray yet; use the local engine")
    if reference is not None:
        check_reference(reference, source)
    clock = time.perf_counter()
    with Run.claim(config, source, overwrite=overwrite, inputs=[reference, config_path]) as run:  # locked till the end
        try:
            return _run(ray, run, config, source, clock, config_path=config_path, address=address,
                        num_workers=num_workers, gpus_per_worker=gpus_per_worker, reference=reference)
        except BaseException:
            discard_if_empty(run.path)  # nothing translated (bad input, say): nothing left behind
            raise


def _run(ray: Any, run: Run, config: Config, source: Source, clock: float, *, config_path: str,
         address: str | None, num_workers: int, gpus_per_worker: float, reference: str | None) -> Path:
    checkpoint = Checkpoint(run.path, config.config_hash())  # created (and checked) before the actors share it
    run_number = checkpoint.run  # the actors store as this run, so that earlier runs' translations are told apart
    checkpoint.close()
    started = connect(ray, address, num_workers + 1)  # one slot more, for the reading/segmenting tasks
    try:
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        if not address:  # a cluster keeps Ray's own budget: its readers need room to run in parallel
            limits = context.execution_options.resource_limits
            context.execution_options.resource_limits = limits.copy(object_store_memory=OBJECT_STORE_BUDGET_MB << 20)
        ds = read_corpus(ray, source)
        warnings.filterwarnings("ignore", message=".*ray_remote_args.* is deprecated")  # no other way in Ray 2.60
        ds = ds.flat_map(segment_rows, fn_kwargs={"config": config, "source": source}, max_retries=READ_RETRIES)
        ds = ds.map_batches(TranslateActor, batch_size=BATCH_SEGMENTS, batch_format="numpy",
                            fn_constructor_kwargs={"config": config, "config_path": config_path,
                                                   "run_dir": str(run.path.resolve()), "run_number": run_number},
                            compute=ray.data.ActorPoolStrategy(size=num_workers), num_cpus=1,
                            num_gpus=gpus_per_worker or None, max_restarts=MAX_RESTARTS,
                            max_task_retries=MAX_TASK_RETRIES)
        assembler = _Assembler(run, config, source, reference)
        try:
            for row in ds.iter_rows():
                assembler.add(json.loads(row["out"]))
        except Exception as exc:  # noqa: BLE001 (a bad row or file, reported by a Ray task)
            log.debug("Ray pipeline failed", exc_info=True)
            raise input_error(exc, source) from None
        assembler.flush()
        assembler.ids.close()
        finished, finished_clock = time.time(), time.perf_counter()
    finally:
        if started:
            ray.shutdown()
    checkpoint = Checkpoint(run.path, config.config_hash())
    checkpoint.run = run_number
    workers = {**checkpoint.workers(), **assembler.workers}  # started processes, and those that sent results
    checkpoint.close()
    # translate_s: from the first batch's start to the last shard, so Ray's start-up and the model loading
    # (ray_startup_s) do not count against the rate; reading, segmenting, scoring and writing do.
    translate_s = finished - min(assembler.started, finished)
    run.stats.timings["ray_startup_s"] = finished_clock - clock - translate_s
    run.stats.timings["translate_s"] = translate_s
    info = assembler.model or {}
    model = WorkerModel(config.model, info.get("revision"), info.get("family"), info.get("device"),
                        info.get("max_input_tokens"), info.get("max_new_tokens"))
    engine = {
        "name": "ray", "address": address, "num_workers": num_workers, "gpus_per_worker": gpus_per_worker,
        "ray": ray.__version__, "batch_segments": BATCH_SEGMENTS,
        "fault_tolerance": {"max_restarts": MAX_RESTARTS, "max_task_retries": MAX_TASK_RETRIES,
                            "read_task_retries": READ_RETRIES},
        "worker_processes": len(workers),
        "restarted_workers": sum(workers.values()),
        "reused_shards": run.reused,
        "model_translations": assembler.translated_pieces,
    }
    return run.finish_translation(config, model, source.path, {
        "model": {"size_mb": info.get("size_mb")},
        "resources": assembler.memory,  # sampled after each shard, beside the true peak (VmHWM)
        "engine": engine})


class _Assembler:
    """The driver's side: rows arrive in input order; documents are grouped into the local engine's chunks, and
    each chunk is finished and written as a shard once its last row is in (or kept, when an interrupted run
    finished it from the same texts)."""

    def __init__(self, run: Run, config: Config, source: Source, reference: str | None) -> None:
        self.run, self.config, self.source, self.reference = run, config, source, reference
        self.k = 0
        self.documents = 0
        self.chunk: list[DocumentInfo] = []
        self.chars = 0
        self.translated: list[pipeline.Translated] = []
        self.ids = UniqueIds(run.writer.shards / "ids.sqlite", source.path)
        self.workers: dict[int, bool] = {}
        self.model: dict[str, Any] | None = None
        self.translated_pieces = 0  # pieces the model translated in this run (not found in the checkpoint)
        self.started = float("inf")  # when the first batch began (time.time())
        self.memory: dict[str, float] = {}  # the largest private / shared resident memory seen at a flush

    def add(self, out: dict[str, Any]) -> None:
        worker = out.get("worker")
        if worker is not None:
            self.workers[worker["pid"]] = worker["restarted"]
            self.translated_pieces += worker["translated"]
            self.started = min(self.started, worker["started"])
            self.model = self.model or worker["model"]
        meta = out.get("doc")
        if meta is not None:
            order = self.documents
            self.documents += 1
            if meta["problem"]:
                raise InputError(meta["problem"] if self.source.kind == "txt" else
                                 f"input '{self.source.path}' row {order + 1}{meta['problem']}")
            doc_id = meta["id"] if meta["id"] is not None else str(order)
            self.ids.add(doc_id, order)
            if self.chunk and pipeline.chunk_is_full(len(self.chunk), self.chars):
                self.flush()
            where = meta["where"] or f"{self.source.path}#{order}"
            self.chunk.append(DocumentInfo(doc_id, where, meta["chars"], meta["sha256"], meta["segments"]))
            self.chars += meta["chars"]
        unit = out.get("unit")
        if unit is not None:
            translated = pipeline.Translated.from_dict(unit)
            doc_id = self.chunk[-1].doc_id
            translated.pair.doc_id, translated.pair.id = doc_id, f"{doc_id}:{translated.pair.index}"
            self.translated.append(translated)

    def flush(self) -> None:
        self.ids.check()  # no shard is written with a duplicate id in it
        if not self.chunk:
            return
        if self.run.reuse(self.k, [d.sha256 for d in self.chunk]) is None:
            self.run.write(self.k, pipeline.finish_chunk(self.chunk, self.translated, self.config,
                                                         reference=self.reference,
                                                         sidecars=self.source.kind == "txt"))
        self.k += 1
        self.chunk, self.chars, self.translated = [], 0, []
        for key, value in memory_mb().items():
            self.memory[key] = max(self.memory.get(key, 0.0), value)
