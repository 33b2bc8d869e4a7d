"""One run lifecycle, for both engines and for `mt score`: claim the folder, reuse the shards an interrupted run
finished, write each chunk as a shard, refuse an input that gave no text (removing only what mt made), write the
manifest and assemble the files. `mt compare` asks `finished_run` whether a run is done.

    with Run.claim(config, source, overwrite=False, inputs=[reference, config_path]) as run:   # locked till the end
        for k, docs in enumerate(chunks):
            if run.reuse(k, [sha256 of each document's text]) is None:
                run.write(k, run_chunk(docs, ...))     # a finished chunk (mt.records.Chunk): its pairs and counts
        run.finish_translation(config, model, source.path)
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from mt.config import Config
from mt.inputs.sources import Source, no_text
from mt.outputs.manifest import build_manifest
from mt.outputs.rundir import RunFolder, claim_run_dir, remove_made
from mt.outputs.shards import RunWriter
from mt.quality.reference import reference_summary
from mt.records import Chunk, RunStats, text_sha256

log = logging.getLogger(__name__)


class Run:
    """A claimed run folder (locked until the `with` block ends) and what has been written in it: `stats` are the
    run's totals, `reused` the shards kept from an interrupted run."""

    def __init__(self, folder: RunFolder, with_rejected: bool) -> None:
        self.folder = folder
        self.path = folder.path
        self.writer = RunWriter(self.path, with_rejected)
        self.stats = RunStats()
        self.reused = 0

    @classmethod
    def claim(cls, config: Config, source: Source, *, overwrite: bool = False,
              inputs: Iterable[str | Path | None] = ()) -> Run:
        """The run folder of `config` on `source`, claimed (`mt.outputs.rundir.claim_run_dir`)."""
        return cls(claim_run_dir(config, source, overwrite, inputs), config.quality.min_quality is not None)

    def __enter__(self) -> Run:
        self.folder.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.folder.__exit__(kind, exc, tb)

    def reuse(self, k: int, sha256s: Sequence[str]) -> dict[str, Any] | None:
        """The counts of shard `k` when an interrupted run finished it from the same texts (`sha256s`: each
        document's, in order), added to this run's; None when the shard is to be made (again)."""
        done = self.writer.done(k)
        if done is None or [i["sha256"] for i in done["inputs"]] != list(sha256s):
            return None
        self.stats.merge(done)
        self.reused += 1
        return done

    def write(self, k: int, chunk: Chunk) -> None:
        """Write a finished chunk as shard `k`."""
        clock = time.perf_counter()
        data = chunk.stats.to_dict()
        self.writer.write(k, chunk.kept, chunk.rejected, data)
        data["timings"]["write_shards_s"] = time.perf_counter() - clock
        self.stats.merge(data)

    def finish_translation(self, config: Config, model: Any, input_name: str,
                           sections: dict[str, dict[str, Any]] | None = None) -> Path:
        """End a translation run: refuse an input that gave no text (removing what mt made), then write the
        manifest (`sections` add to its own) and assemble the files."""
        if self.stats.units == 0:
            remove_made(self.path)
            raise no_text(input_name)
        if self.stats.empty_documents:
            log.warning("%s", self.stats.empty_warning())
        manifest = build_manifest(config, model, self.stats, self.path, reference_summary(self.stats.reference))
        for name, section in (sections or {}).items():
            manifest.setdefault(name, {}).update(section)
        self.writer.finish(manifest, stream_inputs=True)
        log.info("wrote %d pairs to %s", self.stats.pairs, self.path)
        return self.path

    def finish(self, manifest: dict[str, Any]) -> Path:
        """Write `manifest` (as it is) and assemble the files."""
        self.writer.finish(manifest)
        return self.path


def finished_run(run_dir: Path, source: Source) -> dict[str, Any] | None:
    """The manifest of the run in `run_dir` when it finished on the texts `source` holds now (read only then): what
    `mt compare` reuses instead of translating again. None otherwise."""
    try:
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (run_dir / "pairs.jsonl").is_file() or not isinstance(manifest, dict):
        return None
    done = [i.get("sha256") for i in manifest.get("inputs", [])]
    return manifest if done == [text_sha256(doc.text) for doc in source.documents()] else None


