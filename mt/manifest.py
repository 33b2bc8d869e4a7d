"""The manifest that makes a run reproducible: config, model revision, versions, counts, timings."""

from __future__ import annotations

import hashlib
import platform
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

from mt import __version__
from mt.config import Config
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


def build_manifest(config: Config, translator: Any, docs: list[Document], pairs: list[Pair], texts: list[str],
                   timings: dict[str, float], run_dir: Path) -> dict[str, Any]:
    versions = package_versions()
    revision = getattr(translator, "revision", None)
    translate_s = timings.get("translate_s", 0.0)
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
        },
        "packages": versions,
        "signature": signature(config, revision, versions),
        "inputs": [
            {
                "doc_id": d.doc_id,
                "path": d.source,
                "chars": len(d.text),
                "sha256": hashlib.sha256(d.text.encode("utf-8")).hexdigest(),
            }
            for d in docs
        ],
        "counts": {
            "documents": len(docs),
            "pairs": len(pairs),
            "model_inputs": len(texts),
            "unique_model_inputs": len(set(texts)),
            "split_for_model": sum("split_for_model" in p.flags for p in pairs),
            "flagged": sum(bool(p.flags) for p in pairs),
            "flags": dict(sorted(Counter(f for p in pairs for f in p.flags).items())),
            "mean_quality": round(sum(qs) / len(qs), 4) if (qs := [p.quality for p in pairs
                                                                  if p.quality is not None]) else None,
        },
        "timings": {
            **{k: round(v, 3) for k, v in timings.items()},
            "segments_per_s": round(len(pairs) / translate_s, 3) if translate_s else None,
        },
    }
