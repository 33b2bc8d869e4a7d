"""The Python API: `mt.Pipeline`, the same stages as `mt translate`, with the model loaded once.

    import mt
    pipe = mt.Pipeline.from_config("configs/default.yaml")
    for pair in pipe.translate("نفى المتحدث باسم الخارجية الروسية الأنباء. وقال إن موسكو لن تتدخل."):
        print(pair.start, pair.end, pair.en, pair.quality, pair.flags)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mt.config import Config, load_config
from mt.engines.local import translate
from mt.errors import InputError
from mt.inputs.files import check_id, check_text
from mt.pipeline import run_chunk
from mt.records import Document, Pair
from mt.translate import LoadedModel, Translator, load_model, load_translator, resolve_backend


class Pipeline:
    """Segment, translate and score Arabic text (the `mt translate` stages) with one model kept loaded.

    `translate(text)` and `translate_batch(texts)` return the pairs in memory; `run(path)` writes a run folder
    exactly as `mt translate` does (the command is built on it). The model loads on first use."""

    def __init__(self, config: Config, config_path: str = "CONFIG", translator: Translator | None = None) -> None:
        self.config = resolve_backend(config)
        self.config_path = config_path
        self._translator = translator
        self._back: LoadedModel | None = None

    @classmethod
    def from_config(cls, path: str | Path, **overrides: Any) -> Pipeline:
        """A pipeline for a YAML config; `overrides` set keys (`beam_size=1`, `**{"quality.min_quality": 0.3}`)."""
        return cls(load_config(path, **overrides), str(path))

    @property
    def translator(self) -> Translator:
        """The model, loaded on first use and kept."""
        if self._translator is None:
            self._translator = load_translator(self.config, self.config_path)
        return self._translator

    @property
    def back_translator(self) -> Translator | None:
        """The English→Arabic model of `quality.round_trip`, loaded once; None without one."""
        back = self._back_model()
        return back.translator if back else None

    def _back_model(self) -> LoadedModel | None:
        path = self.config.quality.round_trip
        if path and self._back is None:
            self._back = load_model(path)
        return self._back

    def translate(self, text: str, doc_id: str = "text") -> list[Pair]:
        """The pairs of one Arabic text, in order: each with `ar`, `start`/`end` (offsets in `text`), `en`,
        `score`, `quality`, `scores`, `flags` and `reasons`. Pairs below `quality.min_quality` are kept here,
        flagged `below_min_quality`. An empty text gives no pairs. Text is checked as file input is
        (`mt.inputs.files.check_text`): a NUL or another control character but tab and line breaks is an error."""
        return self._translate([text], [doc_id], ["text"])[0]

    def translate_batch(self, texts: Sequence[str], doc_ids: Sequence[str] | None = None) -> list[list[Pair]]:
        """The pairs of each text (one list per text, in order); all texts' segments are batched together."""
        if isinstance(texts, str):
            raise InputError("translate_batch takes a list of texts; use translate(text) for one")
        ids = [str(k) for k in range(len(texts))] if doc_ids is None else [str(d) for d in doc_ids]
        return self._translate(texts, ids, [f"texts[{k}]" for k in range(len(texts))])

    def _translate(self, texts: Sequence[str], ids: list[str], names: list[str]) -> list[list[Pair]]:
        if len(ids) != len(texts) or len(set(ids)) != len(ids):
            raise InputError("doc_ids must give one distinct id per text")
        for text in texts:
            if not isinstance(text, str):
                raise InputError(f"texts must be strings, got {type(text).__name__}")
        # the rules of file input: the same characters refused, vertical tab and form feed read as spaces
        docs = [Document(check_id(doc_id, "doc_ids"), check_text(text, name))
                for doc_id, text, name in zip(ids, texts, names)]
        chunk = run_chunk(docs, self.config, self.translator, back=self._back_model())
        by_doc: dict[str, list[Pair]] = {doc_id: [] for doc_id in ids}
        for pair in sorted(chunk.kept + chunk.rejected, key=lambda p: p.index):
            by_doc[pair.doc_id].append(pair)
        return [by_doc[doc_id] for doc_id in ids]

    def run(self, input_path: str | Path, *, overwrite: bool = False, reference: str | Path | None = None,
            source: Any = None) -> Path:
        """Translate a file, folder or corpus into a run folder (what `mt translate` does); returns its path."""
        return translate(self.config, input_path, config_path=self.config_path, overwrite=overwrite,
                         translator=lambda: self.translator, reference=reference,
                         back_translator=self.back_translator, source=source)
