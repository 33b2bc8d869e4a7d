"""The local engine: the stages of `mt.pipeline` in this process, chunk after chunk, through one run lifecycle."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mt import pipeline
from mt.config import Config
from mt.inputs.sources import Source, no_text, open_input
from mt.outputs.run import Run
from mt.quality.reference import check_reference
from mt.records import text_sha256
from mt.translate import Translator, load_model, load_translator, resolve_backend
from mt.translate.checkpoint import Checkpoint


def translate(config: Config, input_path: str | Path, *, config_path: str = "CONFIG", overwrite: bool = False,
              translator: Translator | Callable[[], Translator] | None = None, reference: str | Path | None = None,
              back_translator: Translator | None = None, source: Source | None = None) -> Path:
    """Run the pipeline on an input and write the run folder; returns its path.

    Documents stream through in chunks (`mt.pipeline.CHUNK_DOCS`); each chunk is written as a shard as soon as it
    is done, and a rerun skips the shards that exist, so memory does not grow with the corpus and a killed run
    resumes per document (and per batch, through the checkpoint). `reference` is an English version of a single
    input document; a folder's articles use sidecar files (`name.en.txt` beside `name.ar.txt` or `name.txt`).
    `translator` is a loaded model or a function that loads one (called once the input is known to hold text);
    `back_translator` the model of `quality.round_trip`, if it is loaded already.
    """
    config = resolve_backend(config)
    source = source or open_input(input_path, config)
    if reference is not None:
        check_reference(reference, source)
    if not any(doc.text.strip() for doc in source.documents()):  # stops at the first document with text
        raise no_text(input_path)
    with Run.claim(config, source, overwrite=overwrite, inputs=[reference, config_path]) as run:  # locked till the end
        clock = time.perf_counter()
        if translator is None:
            translator = load_translator(config, config_path)
        elif callable(translator):
            translator = translator()
        run.stats.timings["load_model_s"] = getattr(translator, "load_seconds", time.perf_counter() - clock)
        back = load_model(config.quality.round_trip, translator=back_translator) if config.quality.round_trip else None
        checkpoint = Checkpoint(run.path, config.config_hash())
        try:
            with _progress() as bar:
                for k, docs in enumerate(pipeline.chunked(source.documents())):
                    done = run.reuse(k, [text_sha256(d.text) for d in docs])
                    if done is not None:
                        bar.update(done["pairs"])
                        continue
                    run.write(k, pipeline.run_chunk(docs, config, translator, checkpoint, progress=bar.update,
                                                    reference=reference, sidecars=source.kind == "txt", back=back))
        except BaseException:
            checkpoint.close_or_discard()  # nothing translated yet (bad input, say): nothing left behind
            raise
        checkpoint.close()
        return run.finish_translation(config, translator, str(input_path))


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
