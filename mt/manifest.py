"""The manifest that makes a run reproducible: config, model revision, versions, counts, timings."""

from __future__ import annotations

import hashlib
import platform
from collections import Counter
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from mt import __version__
from mt.config import Config
from mt.quality import corpus_reference_scores
from mt.records import Document, Pair

SEGMENTER_VERSION = "1"
PACKAGES = ("torch", "transformers", "tokenizers", "sentencepiece", "sacrebleu", "datasets", "huggingface_hub")


def package_versions() -> dict[str, str]:
    versions = {"mt": __version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def signature(config: Config, revision: str | None, versions: dict[str, str]) -> str:
    """One string that names everything a translation depends on, like sacrebleu's signatures."""
    return "|".join(
        [
            f"mt:{versions['mt']}",
            f"model:{config.model}@{revision or 'local'}",
            f"backend:{config.backend}" + (f"-{config.compute_type}" if config.backend == "ct2" else ""),
            f"beam:{config.beam_size}",
            f"maxnew:{config.max_new_tokens}",
            f"maxin:{config.max_input_tokens}",
            f"lang:{config.src_lang}-{config.tgt_lang}",
            f"dtype:{config.dtype}",
            f"seg:{SEGMENTER_VERSION}{'+glued' if config.repair_glued else ''}",
            f"transformers:{versions['transformers']}",
            f"torch:{versions['torch']}",
        ]
    )


def text_sha256(text: str) -> str:
    """The SHA-256 of a document's text (UTF-8): how the manifest and `mt compare` recognise an input."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def peak_rss_mb() -> float | None:
    """This process's peak resident memory in MB (VmHWM, Linux; unlike ru_maxrss it does not inherit the
    parent's peak), or None where it cannot be read."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def model_size_mb(translator: Any) -> float | None:
    """Size on disk of the weights the translator loaded (the converted model for ct2)."""
    folder = getattr(translator, "path", None) or getattr(getattr(translator, "resolved", None), "path", None)
    if folder is None or not Path(folder).is_dir():
        return None
    weights = [p for p in Path(folder).iterdir() if p.suffix in (".safetensors", ".bin", ".pt")]
    return round(sum(p.stat().st_size for p in weights) / 2**20, 3) if weights else None


@dataclass
class RunStats:
    """What a run counted, kept per chunk (in the shard's stats file) and merged."""

    inputs: list[dict[str, Any]] = field(default_factory=list)
    units: int = 0
    pairs: int = 0
    rejected: int = 0
    model_inputs: int = 0
    unique_model_inputs: int = 0
    split_for_model: int = 0
    flagged: int = 0
    flags: Counter[str] = field(default_factory=Counter)
    quality_sum: float = 0.0
    quality_n: int = 0
    output_tokens: int = 0
    resumed_translations: int = 0
    empty_documents: int = 0
    empty_ids: list[str] = field(default_factory=list)  # the first few of them, named in the warning
    timings: dict[str, float] = field(default_factory=dict)
    reference: dict[str, Any] | None = None

    def add(self, docs: list[Document], kept: list[Pair], rejected: list[Pair], *, docs_with_segments: set[str],
            units: int, model_inputs: int, unique_model_inputs: int, output_tokens: int, resumed: int = 0) -> None:
        """Count one chunk: its documents, the pairs kept and rejected, and what the model read and wrote."""
        self.inputs += [{"doc_id": d.doc_id, "path": d.source, "chars": len(d.text), "sha256": text_sha256(d.text)}
                        for d in docs]
        self.empty_documents += sum(d.doc_id not in docs_with_segments for d in docs)
        self.empty_ids = (self.empty_ids + [d.doc_id for d in docs if d.doc_id not in docs_with_segments])[:3]
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
        for key, value in other.items():
            if key == "flags":
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
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data["flags"], data["timings"] = dict(self.flags), dict(self.timings)
        return data


def build_manifest(config: Config, translator: Any, stats: RunStats, run_dir: Path) -> dict[str, Any]:
    versions = package_versions()
    revision = getattr(translator, "revision", None)
    used: dict[str, Any] = {key: value for key in ("max_new_tokens", "max_input_tokens")  # the model may clamp them
                            if isinstance(value := getattr(translator, key, None), int)}
    translate_s = stats.timings.get("translate_s", 0.0)
    reference = None
    if stats.reference is not None:
        reference = {k: v for k, v in stats.reference.items() if k not in ("hyps", "refs")}
        hyps, refs = stats.reference["hyps"], stats.reference["refs"]
        reference["corpus"] = corpus_reference_scores(hyps, refs) if hyps else None
    return {
        "run": run_dir.name,
        "run_dir": run_dir.as_posix(),
        "config": config.to_dict(),
        "config_hash": config.config_hash(),
        "model": {
            "id": config.model,
            "requested_revision": config.revision,
            "revision": revision,
            "family": getattr(translator, "family", None),
            "device": getattr(translator, "device", None),
            "max_input_tokens": getattr(translator, "max_input_tokens", None),
            "max_new_tokens": getattr(translator, "max_new_tokens", None),
            "size_mb": model_size_mb(translator),
        },
        "packages": versions,
        "signature": signature(replace(config, **used), revision, versions),  # the limits it ran with
        "inputs": stats.inputs,
        "counts": {
            "documents": len(stats.inputs),
            "empty_documents": stats.empty_documents,
            "pairs": stats.pairs,
            "rejected": stats.rejected if config.quality.min_quality is not None else None,
            "model_inputs": stats.model_inputs,
            "unique_model_inputs": stats.unique_model_inputs,
            "resumed_translations": stats.resumed_translations,
            "output_tokens": stats.output_tokens,
            "split_for_model": stats.split_for_model,
            "flagged": stats.flagged,
            "flags": dict(sorted(stats.flags.items())),
            "mean_quality": round(stats.quality_sum / stats.quality_n, 4) if stats.quality_n else None,
        },
        "reference": reference,
        "timings": {
            **{k: round(v, 3) for k, v in sorted(stats.timings.items())},
            "segments_per_s": round(stats.pairs / translate_s, 3) if translate_s else None,
        },
        "resources": {"peak_rss_mb": peak_rss_mb()},
    }
