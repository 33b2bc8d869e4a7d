"""Finding a config's model: a local folder, the Hugging Face cache, or the hub."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from mt.config import Config
from mt.errors import ModelUnavailable, MtError

log = logging.getLogger(__name__)

# Files a seq2seq checkpoint needs; TensorFlow, Flax, Rust and ONNX weights are never fetched.
IGNORE_PATTERNS = ["*.h5", "*.msgpack", "*.ot", "*.onnx", "onnx/*", "tf_model*", "flax_model*", "rust_model*"]


@dataclass(frozen=True)
class ResolvedModel:
    """Where the model's files are, and which revision they are."""

    path: str
    model_id: str
    revision: str | None  # the commit hash for hub models, None for a local folder
    source: str  # "local", "cache" or "hub"


# What a local model folder must hold (what `save_pretrained` writes): any one of the weights files, and for
# each family any one of the sets of tokenizer files its tokenizers read.
WEIGHTS_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                 "pytorch_model.bin.index.json")
TOKENIZER_SETS = {
    "marian": (("source.spm", "target.spm", "vocab.json"),),
    "m2m_100": (("tokenizer.json",), ("sentencepiece.bpe.model",)),
    "nllb-moe": (("tokenizer.json",), ("sentencepiece.bpe.model",)),
}
OTHER_TOKENIZER_SETS = (("tokenizer.json",), ("sentencepiece.bpe.model",), ("spiece.model",), ("source.spm",),
                        ("vocab.json",))


def check_model_folder(folder: Path, config_path: str = "CONFIG") -> None:
    """A local model folder that lacks config.json, the weights or the tokenizer's files is an error naming what
    is missing (transformers and CTranslate2 would fail on it later, some with a traceback)."""
    def missing(what: str) -> MtError:
        return MtError(f"model folder '{folder}' has no {what}; a model folder holds what save_pretrained writes "
                       f"(config.json, the weights and the tokenizer's files): copy the whole model there, or set "
                       f"'model' in {config_path} to a hub id such as Helsinki-NLP/opus-mt-ar-en")

    try:
        model_config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise missing("config.json") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MtError(f"model folder '{folder}': config.json cannot be read as JSON ({exc}); copy the model "
                      "folder again") from None
    if not any((folder / name).is_file() for name in WEIGHTS_FILES):
        raise missing("weights (model.safetensors or pytorch_model.bin, or a sharded one's .index.json)")
    family = model_config.get("model_type") if isinstance(model_config, dict) else None
    sets = TOKENIZER_SETS.get(str(family), OTHER_TOKENIZER_SETS)
    if not any(all((folder / name).is_file() for name in names) for names in sets):
        wanted = " or ".join("+".join(names) for names in sets)
        raise missing(f"tokenizer files ({wanted})")


def resolve_model(config: Config, config_path: str = "CONFIG") -> ResolvedModel:
    """The model's folder: a local path as is (checked for the files a model needs), else the cached snapshot,
    else a download."""
    if os.path.isdir(config.model):
        check_model_folder(Path(config.model), config_path)
        return ResolvedModel(config.model, config.model, None, "local")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        path = snapshot_download(config.model, revision=config.revision, local_files_only=True)
        return ResolvedModel(path, config.model, Path(path).name, "cache")
    except LocalEntryNotFoundError:
        pass
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on"):
        raise ModelUnavailable(_unavailable(config, config_path))
    path = _download(config, config_path)
    return ResolvedModel(path, config.model, Path(path).name, "hub")


def download_model(config: Config, config_path: str = "CONFIG") -> ResolvedModel:
    """Fetch (or refresh) a config's model into the Hugging Face cache."""
    if os.path.isdir(config.model):
        return ResolvedModel(config.model, config.model, None, "local")
    path = _download(config, config_path)
    return ResolvedModel(path, config.model, Path(path).name, "hub")


def _download(config: Config, config_path: str) -> str:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    log.info("downloading %s@%s from the hub", config.model, config.revision)
    try:
        return str(snapshot_download(config.model, revision=config.revision, ignore_patterns=IGNORE_PATTERNS))
    except RepositoryNotFoundError:
        raise MtError(
            f"model '{config.model}' does not exist on the hub (or is private); fix 'model' in {config_path}"
        ) from None
    except RevisionNotFoundError:
        raise MtError(
            f"model '{config.model}' has no revision '{config.revision}'; fix 'revision' in {config_path}"
        ) from None
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError):
        raise ModelUnavailable(_unavailable(config, config_path)) from None


def _unavailable(config: Config, config_path: str) -> str:
    return (
        f"model '{config.model}' is not in the local cache and the hub cannot be reached; "
        f"run 'mt download {config_path}' on a machine with network access"
    )
