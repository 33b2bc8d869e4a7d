"""The manifest that makes a run reproducible: config, model revision, versions, counts, timings."""

from __future__ import annotations

import platform
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Any

from mt.config import Config
from mt.records import RunStats
from mt.version import __version__

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


def memory_mb() -> dict[str, float]:
    """This process's resident memory split as Linux counts it: private (RssAnon: Python objects, buffers) and
    shared (RssShmem: e.g. pages of Ray's object store that the Ray engine's driver has mapped to read results)."""
    names = {"RssAnon:": "peak_private_mb", "RssShmem:": "peak_object_store_pages_mb"}
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return {}
    return {names[f[0]]: round(int(f[1]) / 1024, 1) for f in map(str.split, lines) if f and f[0] in names}


def counts(stats: RunStats, with_rejected: bool) -> dict[str, Any]:
    """The manifest's `counts`; `rejected` is null without a minimum quality."""
    return {
        "documents": stats.documents,
        "empty_documents": stats.empty_documents,
        "pairs": stats.pairs,
        "rejected": stats.rejected if with_rejected else None,
        "model_inputs": stats.model_inputs,
        "unique_model_inputs": stats.unique_model_inputs,
        "resumed_translations": stats.resumed_translations,
        "output_tokens": stats.output_tokens,
        "split_for_model": stats.split_for_model,
        "flagged": stats.flagged,
        "flags": dict(sorted(stats.flags.items())),
        "mean_quality": round(stats.quality_sum / stats.quality_n, 4) if stats.quality_n else None,
    }


def build_manifest(config: Config, translator: Any, stats: RunStats, run_dir: Path,
                   reference: dict[str, Any] | None = None) -> dict[str, Any]:
    """The manifest of a translation run. `reference`: what scoring against references gave (counts and corpus
    scores, `mt.quality.reference.reference_summary`). Its `inputs` are left for the writer to stream in."""
    versions = package_versions()
    revision = getattr(translator, "revision", None)
    used: dict[str, Any] = {key: value for key in ("max_new_tokens", "max_input_tokens")  # the model may clamp them
                            if isinstance(value := getattr(translator, key, None), int)}
    translate_s = stats.timings.get("translate_s", 0.0)
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
        "inputs": [],
        "counts": counts(stats, config.quality.min_quality is not None),
        "reference": reference,
        "timings": {
            **{k: round(v, 3) for k, v in sorted(stats.timings.items())},
            "segments_per_s": round(stats.pairs / translate_s, 3) if translate_s else None,
        },
        "resources": {"peak_rss_mb": peak_rss_mb()},
    }
