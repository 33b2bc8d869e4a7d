"""`mt translate --engine ray`: the same pipeline as a Ray Data pipeline, for a cluster or several local workers.

Read the corpus with Ray Data's readers (`mt.ray_read`: the documents never pass through the driver) → segment in
tasks → translate and score in an actor pool (`map_batches` with a class that loads the model once per actor;
each actor writes every translated batch to the run's checkpoint) → stream back in input order to the driver,
which assembles chunks of documents and writes them as the local engine's shards (`mt.runwriter`); memory in the
driver is one chunk. A rerun of a killed run keeps the finished shards, and the actors find everything translated
before in the checkpoint, so no model work is repeated beyond the batch each worker was in. A worker process that
dies is restarted and its batch retried (`MAX_RESTARTS`, `MAX_TASK_RETRIES`); the manifest counts the processes.
Ray is an optional extra: `pip install 'mt[ray]'`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mt.config import Config
from mt.errors import InputError, MtError
from mt.manifest import RunStats, build_manifest, text_sha256
from mt.records import Document, Segment, pair_from_dict
from mt.rundir import claim_run_dir, remove_made
from mt.runwriter import RunWriter
from mt.sources import Source

log = logging.getLogger(__name__)
BATCH_SEGMENTS = 64  # segments per actor call
MAX_RESTARTS = 3  # times Ray restarts a translation actor whose process died
MAX_TASK_RETRIES = 3  # times a batch whose actor died is retried (on the restarted actor)
READ_RETRIES = 3  # times a reading/segmenting task is retried when its worker dies
# Ray Data's budget for blocks in flight in a local runtime. The driver writes more slowly than the actors translate
# a cheap model; without a budget results pile up in the object store, and the pages the driver maps to read them
# grow its RSS (measured: benchmarks/corpus.py).
OBJECT_STORE_BUDGET_MB = 64
AUTH_HINT = ("set RAY_AUTH_MODE=token (Ray reads the cluster's token from ~/.ray/auth_token, RAY_AUTH_TOKEN_PATH or "
             "RAY_AUTH_TOKEN; `ray get-auth-token` on the head node prints it), or use --ray-address auto on a "
             "machine of the cluster")


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MtError("--engine ray needs Ray: pip install 'mt[ray]' (or pip install 'ray[data]')") from None
    return ray


def connect(ray: Any, address: str | None, num_cpus: int) -> bool:
    """Join the cluster at `address`, or start a local Ray runtime with `num_cpus` slots; True when this call
    started Ray (and should shut it down). A refused connection is one MtError saying what to set."""
    if ray.is_initialized():
        return False
    local = {} if address else {"num_cpus": num_cpus}
    if address and address != "auto" and _is_this_machine(address):
        _use_local_token()
    try:
        with _stderr_kept_back(enabled=bool(address)):
            ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
                     **local)
    except Exception as exc:  # noqa: BLE001 (Ray raises ConnectionError, RuntimeError, ValueError ...)
        chain = _chain(exc)
        if any(type(e).__name__ == "AuthenticationError" or "InvalidAuthToken" in str(e) for e in chain):
            raise MtError(f"the Ray cluster at {address} requires token authentication: {AUTH_HINT}") from None
        first = (str(chain[-1]).strip().splitlines() or [type(chain[-1]).__name__])[0]
        where = f"the Ray cluster at {address}" if address else "a local Ray runtime"
        raise MtError(f"cannot connect to {where}: {first}") from None
    return True


def _is_this_machine(address: str) -> bool:
    import socket

    host = address.split("://")[-1].rsplit(":", 1)[0].strip("[]")
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.bind((host, 0))  # only an address of this machine can be bound
    except OSError:
        return False
    return True


def _use_local_token() -> None:
    """What Ray itself does for `ray.init()` without an address: a cluster started on this machine by
    `ray start --head` (token authentication on by default since Ray 2.59) is joined with the token it left in
    ~/.ray/auth_token, unless RAY_AUTH_MODE says otherwise. A remote address never gets the token unasked."""
    try:
        from ray._private.authentication.authentication_token_setup import (
            maybe_enable_token_auth_if_token_available,
        )
    except ImportError:  # an older Ray, without token authentication
        return
    maybe_enable_token_auth_if_token_available(warn_if_disabled=False)


class _stderr_kept_back:
    """Ray's C++ core logs every retry of a refused connection on file descriptor 2 (20 lines for a missing
    token); hold them back and show them only when the connection succeeds, or at -vv."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __enter__(self) -> None:
        if not self.enabled:
            return
        import tempfile

        sys.stderr.flush()
        self.saved = os.dup(2)
        self.file = tempfile.TemporaryFile()
        os.dup2(self.file.fileno(), 2)

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if not self.enabled:
            return
        sys.stderr.flush()
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.file.seek(0)
        held = self.file.read().decode("utf-8", "replace")
        self.file.close()
        if held and (exc_type is None or log.isEnabledFor(logging.DEBUG)):
            sys.stderr.write(held)


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes, outermost first (Ray's task errors keep theirs in `.cause`)."""
    out: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in out:
        out.append(current)
        nxt = getattr(current, "cause", None)
        current = nxt if isinstance(nxt, BaseException) else current.__cause__ or current.__context__
    return out


def segment_rows(row: dict[str, Any], config: Config, source: Source) -> list[dict[str, Any]]:
    """One input row → its document's segments (a Ray task). The first row of each document carries what the
    driver needs of it (`doc`): id, place, size and digest, or the problem that makes it bad input; a document
    without segments gives one row with `index` -1, so that the driver sees every document."""
    from mt.pipeline import segment_document
    from mt.ray_read import document_of

    doc_id, text, where, problem = document_of(row, source)
    units = [] if problem else segment_document(Document(doc_id or "?", text, where), config)
    meta = json.dumps({"id": doc_id, "where": where, "chars": len(text), "problem": problem,
                       "sha256": text_sha256(text), "segments": len(units)},
                      ensure_ascii=False)
    empty = {"doc": meta, "index": -1, "text": "", "start": 0, "end": 0, "flags": "[]", "notes": "[]"}
    return [{"doc": meta if k == 0 else "", "index": u.index, "text": u.segment.text, "start": u.segment.start,
             "end": u.segment.end, "flags": json.dumps(list(u.segment.flags)), "notes": json.dumps(u.notes)}
            for k, u in enumerate(units)] or [empty]


class TranslateActor:
    """Loads the model once; translates and scores batches of segments, checkpointing each translated batch."""

    def __init__(self, config: Config, config_path: str, run_dir: str, run_number: int) -> None:
        import ray

        from mt.backends import load_translator
        from mt.manifest import model_size_mb

        self.config = config
        self.run_dir, self.run_number = Path(run_dir), run_number
        self.checkpoints: dict[int, Any] = {}  # per thread: Ray may call from another thread than this
        restarted = bool(ray.get_runtime_context().was_current_actor_reconstructed)
        self._checkpoint().note_worker(os.getpid(), restarted)  # seen even if it never gets a batch
        self.translator = load_translator(self.config, config_path)
        t = self.translator
        self.info = {"pid": os.getpid(), "restarted": restarted,
                     "model": {"revision": t.revision, "family": getattr(t, "family", None),
                               "device": getattr(t, "device", None), "max_input_tokens": t.max_input_tokens,
                               "max_new_tokens": t.max_new_tokens, "size_mb": model_size_mb(t)}}

    def _checkpoint(self) -> Any:
        from mt.checkpoint import Checkpoint

        thread = threading.get_ident()
        if thread not in self.checkpoints:
            self.run_dir.mkdir(parents=True, exist_ok=True)  # on a node without the driver's (shared) output folder
            checkpoint = Checkpoint(self.run_dir, self.config.config_hash())
            checkpoint.run = self.run_number  # one number for all the actors of this run, restarted ones too
            self.checkpoints[thread] = checkpoint
        return self.checkpoints[thread]

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        from mt.batching import translate_all
        from mt.pipeline import Unit, assess_pair, make_pairs, model_pieces

        started = time.time()  # wall clock, comparable across the processes (and NTP-synced machines)
        units: list[Unit] = []
        for k in range(len(batch["index"])):
            if int(batch["index"][k]) < 0:
                continue
            segment = Segment(str(batch["text"][k]), int(batch["start"][k]), int(batch["end"][k]),
                              tuple(json.loads(str(batch["flags"][k]))))
            unit = Unit("", int(batch["index"][k]), segment,
                        notes=[tuple(n) for n in json.loads(str(batch["notes"][k]))])  # type: ignore[misc]
            unit.pieces = model_pieces(segment.text, self.translator)
            units.append(unit)
        texts = [p for u in units for p in u.pieces]
        checkpoint = self._checkpoint()
        done = checkpoint.load(texts)
        hyps = translate_all(texts, self.translator.translate_batch, self.translator.count_tokens,
                             self.config.max_batch_tokens, done=done, on_batch=checkpoint.save)
        pairs = make_pairs(units, hyps, self.translator.model_id)
        earlier = checkpoint.earlier(texts)  # one query per batch, not one per pair
        out: list[dict[str, Any]] = []
        pos, n, seen = 0, 0, set[str]()
        for k in range(len(batch["index"])):
            record = None
            if int(batch["index"][k]) >= 0:
                pair, pieces = pairs[n], units[n].pieces
                n += 1
                assess_pair(pair, self.config)
                parts = hyps[pos : pos + len(pieces)]
                pos += len(pieces)
                record = pair.to_dict()
                record["_inputs"], record["_tokens"] = len(pieces), sum(h.n_tokens for h in parts)
                record["_unique"] = len(set(pieces) - seen)  # distinct in this batch, as the actor sees it
                record["_resumed"] = len(set(pieces) & earlier)  # from earlier runs
                seen.update(pieces)
            doc = str(batch["doc"][k])
            worker = {**self.info, "translated": len(set(texts) - set(done)), "started": started} if k == 0 else None
            out.append({"doc": json.loads(doc) if doc else None, "pair": record, "worker": worker})
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


@dataclass
class _Doc:
    doc_id: str
    where: str
    chars: int
    sha256: str
    segments: int


def translate_ray(config: Config, source: Source, *, config_path: str, overwrite: bool, address: str | None,
                  num_workers: int, gpus_per_worker: float, reference: str | None = None) -> Path:
    """Run the pipeline on Ray and write the run folder like the local engine; returns its path."""
    from mt.checkpoint import discard_if_empty
    from mt.reference import check_reference

    ray = _import_ray()
    if num_workers < 1:
        raise InputError("--num-workers must be at least 1")
    if config.quality.round_trip:
        raise InputError("quality.round_trip is not supported with --engine ray yet; use the local engine")
    if reference is not None:
        check_reference(reference, source)
    clock = time.perf_counter()
    with claim_run_dir(config, source, overwrite, inputs=[reference, config_path]) as run_dir:  # locked till the end
        try:
            return _run(ray, config, source, run_dir, clock, config_path=config_path, address=address,
                        num_workers=num_workers, gpus_per_worker=gpus_per_worker, reference=reference)
        except BaseException:
            discard_if_empty(run_dir)  # nothing translated (bad input, say): nothing left behind
            raise


def _run(ray: Any, config: Config, source: Source, run_dir: Path, clock: float, *, config_path: str,
         address: str | None, num_workers: int, gpus_per_worker: float, reference: str | None) -> Path:
    from mt.checkpoint import Checkpoint
    from mt.ray_read import read_corpus

    checkpoint = Checkpoint(run_dir, config.config_hash())  # created (and checked) before the actors share it
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
                                                   "run_dir": str(run_dir.resolve()), "run_number": run_number},
                            compute=ray.data.ActorPoolStrategy(size=num_workers), num_cpus=1,
                            num_gpus=gpus_per_worker or None, max_restarts=MAX_RESTARTS,
                            max_task_retries=MAX_TASK_RETRIES)
        assembler = _Assembler(config, source, RunWriter(run_dir, config.quality.min_quality is not None), reference)
        try:
            for row in ds.iter_rows():
                assembler.add(json.loads(row["out"]))
        except Exception as exc:  # noqa: BLE001 (a bad row or file, reported by a Ray task)
            log.debug("Ray pipeline failed", exc_info=True)
            raise _input_error(exc, source) from None
        assembler.flush()
        assembler.ids.close()
        finished, finished_clock = time.time(), time.perf_counter()
    finally:
        if started:
            ray.shutdown()
    checkpoint = Checkpoint(run_dir, config.config_hash())
    checkpoint.run = run_number
    workers = {**checkpoint.workers(), **assembler.workers}  # started processes, and those that sent results
    checkpoint.close()
    stats = assembler.stats
    # translate_s: from the first batch's start to the last shard, so Ray's start-up and the model loading
    # (ray_startup_s) do not count against the rate; reading, segmenting, scoring and writing do.
    translate_s = finished - min(assembler.started, finished)
    stats.timings["ray_startup_s"] = finished_clock - clock - translate_s
    stats.timings["translate_s"] = translate_s
    if stats.units == 0 and not assembler.reused:
        remove_made(run_dir)
        raise InputError(f"input '{source.path}' holds no text to translate (it is empty or whitespace only)")
    if stats.empty_documents:
        log.warning("%s", stats.empty_warning())
    info = assembler.model or {}
    model = WorkerModel(config.model, info.get("revision"), info.get("family"), info.get("device"),
                        info.get("max_input_tokens"), info.get("max_new_tokens"))
    manifest = build_manifest(config, model, stats, run_dir)
    manifest["model"]["size_mb"] = info.get("size_mb")
    manifest["counts"]["documents"] = assembler.documents
    manifest["resources"].update(assembler.memory)  # sampled after each shard, beside the true peak (VmHWM)
    manifest["engine"] = {
        "name": "ray", "address": address, "num_workers": num_workers, "gpus_per_worker": gpus_per_worker,
        "ray": ray.__version__, "batch_segments": BATCH_SEGMENTS,
        "fault_tolerance": {"max_restarts": MAX_RESTARTS, "max_task_retries": MAX_TASK_RETRIES,
                            "read_task_retries": READ_RETRIES},
        "worker_processes": len(workers),
        "restarted_workers": sum(workers.values()),
        "reused_shards": assembler.reused,
        "model_translations": assembler.translated,
    }
    assembler.writer.finish(manifest, stream_inputs=True)
    log.info("wrote %d pairs to %s", stats.pairs, run_dir)
    return run_dir


class _Assembler:
    """The driver's side: rows arrive in input order; documents are grouped into the local engine's chunks, and
    each chunk is written as a shard once its last row is in. Shards of an earlier, killed run are kept."""

    def __init__(self, config: Config, source: Source, writer: RunWriter, reference: str | None) -> None:
        from mt.pipeline import CHUNK_CHARS, CHUNK_DOCS

        self.config, self.source, self.writer, self.reference = config, source, writer, reference
        self.max_docs, self.max_chars = CHUNK_DOCS, CHUNK_CHARS
        self.stats = RunStats()
        self.reused = 0
        skip = 0
        self.kept_shards: list[tuple[int, str]] = []  # (documents, digest of their texts) of each kept shard
        while (writer.shards / f"{self.reused:05d}.stats.json").exists():
            done = writer.done(self.reused)
            assert done is not None
            inputs = done.pop("inputs")
            skip += len(inputs)
            self.kept_shards.append((skip, _digest(i["sha256"] for i in inputs)))
            self.stats.merge(done)
            self.reused += 1
        self.skip = skip  # documents in the kept shards: their rows are dropped, once their texts are checked
        self.kept_digest = hashlib.sha256()
        self.k = self.reused
        self.documents = 0
        self.chunk: list[_Doc] = []
        self.chars = 0
        self.records: list[dict[str, Any]] = []
        self.ids = _Ids(writer.shards / "ids.sqlite", source.path)
        self.workers: dict[int, bool] = {}
        self.model: dict[str, Any] | None = None
        self.translated = 0  # pieces the model translated in this run (not found in the checkpoint)
        self.started = float("inf")  # when the first batch began (time.time())
        self.memory: dict[str, float] = {}  # the largest private / shared resident memory seen at a flush
        self.current_kept = False

    def add(self, out: dict[str, Any]) -> None:
        worker = out.get("worker")
        if worker is not None:
            self.workers[worker["pid"]] = worker["restarted"]
            self.translated += worker["translated"]
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
            self.current_kept = order >= self.skip
            if not self.current_kept:
                self._check_kept(order, meta["sha256"])
                return
            if self.chunk and (len(self.chunk) >= self.max_docs or self.chars >= self.max_chars):
                self.flush()
            where = meta["where"] or f"{self.source.path}#{order}"
            self.chunk.append(_Doc(doc_id, where, meta["chars"], meta["sha256"], meta["segments"]))
            self.chars += meta["chars"]
        record = out.get("pair")
        if record is not None and self.current_kept:
            doc_id = self.chunk[-1].doc_id
            record["doc_id"], record["id"] = doc_id, f"{doc_id}:{record['index']}"
            self.records.append(record)

    def _check_kept(self, order: int, sha256: str) -> None:
        """A kept shard is reused only for the same texts: the input may have changed since the killed run."""
        self.kept_digest.update(sha256.encode())
        ends = [end for end, _ in self.kept_shards]
        if order + 1 in ends:
            k = ends.index(order + 1)
            if self.kept_digest.hexdigest() != self.kept_shards[k][1]:
                raise MtError(f"the input '{self.source.path}' changed since the interrupted run (the documents of "
                              f"shard {k} differ); run again with --overwrite")
            self.kept_digest = hashlib.sha256()

    def flush(self) -> None:
        from mt.pipeline import filter_pairs
        from mt.reference import attach_references, find_references

        self.ids.check()  # no shard is written with a duplicate id in it
        if not self.chunk:
            return
        pairs = [pair_from_dict({k: v for k, v in r.items() if not k.startswith("_")}) for r in self.records]
        part = RunStats()
        if self.source.kind == "txt":
            references = find_references([Document(d.doc_id, "", d.where) for d in self.chunk], self.reference,
                                         self.source.encoding, self.source.errors)
            if references:
                part.add_reference(attach_references(pairs, references))
        kept, rejected = filter_pairs(pairs, self.config.quality.min_quality)
        part.add([], kept, rejected, docs_with_segments=set(), units=len(self.records),
                 model_inputs=sum(r["_inputs"] for r in self.records),
                 unique_model_inputs=sum(r["_unique"] for r in self.records),
                 output_tokens=sum(r["_tokens"] for r in self.records),
                 resumed=sum(r["_resumed"] for r in self.records))
        part.inputs = [{"doc_id": d.doc_id, "path": d.where, "chars": d.chars, "sha256": d.sha256}
                       for d in self.chunk]
        part.empty_documents = sum(d.segments == 0 for d in self.chunk)
        part.empty_ids = [d.doc_id for d in self.chunk if d.segments == 0][:3]
        data = part.to_dict()
        self.writer.write(self.k, kept, rejected, data)
        data.pop("inputs")
        self.stats.merge(data)
        self.k += 1
        self.chunk, self.chars, self.records = [], 0, []
        for key, value in _memory_mb().items():
            self.memory[key] = max(self.memory.get(key, 0.0), value)


def _digest(sha256s: Any) -> str:
    digest = hashlib.sha256()
    for sha in sha256s:
        digest.update(sha.encode())
    return digest.hexdigest()


def _memory_mb() -> dict[str, float]:
    """This process's resident memory split as Linux counts it: private (RssAnon: Python objects, buffers) and
    shared (RssShmem: pages of Ray's object store that the driver has mapped to read results)."""
    names = {"RssAnon:": "peak_private_mb", "RssShmem:": "peak_object_store_pages_mb"}
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return {}
    return {names[f[0]]: round(int(f[1]) / 1024, 1) for f in map(str.split, lines) if f and f[0] in names}


class _Ids:
    """The document ids seen so far, on disk (a corpus's ids need not fit in the driver's memory): a duplicate is
    the local engine's error, naming the row."""

    def __init__(self, path: Path, input_path: str) -> None:
        import sqlite3

        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        self.path, self.input_path = path, input_path
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE ids (id TEXT PRIMARY KEY, row INTEGER NOT NULL)")
        self.pending: list[tuple[str, int]] = []

    def add(self, doc_id: str, order: int) -> None:
        self.pending.append((doc_id, order))
        if len(self.pending) >= 5000:
            self.check()

    def check(self) -> None:
        import sqlite3

        try:
            with self.db:
                self.db.execute("BEGIN")
                self.db.executemany("INSERT INTO ids VALUES (?, ?)", self.pending)
        except sqlite3.IntegrityError:
            for doc_id, order in self.pending:  # the first repeated one, in input order
                earlier = self.db.execute("SELECT row FROM ids WHERE id = ?", (doc_id,)).fetchone()
                if earlier is not None:
                    raise InputError(f"input '{self.input_path}' row {order + 1} has the id {doc_id!r:.80} of row "
                                     f"{earlier[0] + 1}; ids must be unique") from None
                self.db.execute("INSERT INTO ids VALUES (?, ?)", (doc_id, order))
        self.pending = []

    def close(self) -> None:
        self.db.close()
        self.path.unlink(missing_ok=True)


def _input_error(exc: Exception, source: Source) -> MtError:
    """The one-line error for a failure inside the Ray pipeline: ours as raised, a reader's as bad input."""
    chain = _chain(exc)
    for err in chain:
        if isinstance(err, MtError) and "RayTaskError" not in type(err).__name__:
            return err
    if isinstance(exc, MtError):
        return exc
    last = chain[-1]
    first = (str(last).strip().splitlines() or [type(last).__name__])[0]
    if "arrow" in type(last).__module__.lower() or isinstance(last, (OSError, UnicodeError, ValueError)):
        return InputError(f"input '{source.path}' cannot be read: {first}")
    return MtError(f"the Ray pipeline failed: {type(last).__name__}: {first} (run with -v for Ray's trace)")
