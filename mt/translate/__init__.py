"""Translating: the registry of translators (`backend` in a config: `hf` in `hf.py`, `ct2` in `ct2.py` with its
tokenizers in `tokenize.py`), each imported only when used; batching under a token budget (`batching`), the
checkpoint a run resumes from (`checkpoint`), finding the model (`hub`) and glibc's allocator settings (`allocator`)."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import logging
import time
from typing import Any, NamedTuple, Protocol

from mt.config import BACKENDS, Config, load_config
from mt.errors import ConfigError
from mt.records import Hypothesis

log = logging.getLogger(__name__)

# model_type values whose tokenizer takes src_lang and whose output must start with the target language.
LANGUAGE_CODE_FAMILIES = ("m2m_100", "nllb-moe")

# backend name (one of `mt.config.BACKENDS` but auto, which `resolve_backend` turns into one of these) ->
# "module:class"; the class is called with (config, config_path).
TRANSLATORS = {"hf": "mt.translate.hf:HFTranslator", "ct2": "mt.translate.ct2:CT2Translator"}


class Translator(Protocol):
    """What the pipeline needs of a model."""

    model_id: str
    revision: str | None
    max_input_tokens: int
    max_new_tokens: int
    load_seconds: float

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Input length of each text in model tokens, special tokens included."""
        ...

    def translate_batch(self, texts: list[str]) -> list[Hypothesis]:
        """Translations of `texts`, in the same order."""
        ...


def resolve_backend(config: Config) -> Config:
    """`backend: auto` becomes ct2 when ctranslate2 is installed, else hf; the ct2 backend's `compute_type: auto`
    becomes int8 on a CPU and float16 on a GPU. What a run records is what it ran."""
    if config.backend not in BACKENDS:
        raise ConfigError(f"unknown backend '{config.backend}'; available: {', '.join(sorted(BACKENDS))}")
    if config.backend == "auto":
        config = dataclasses.replace(config, backend="ct2" if importlib.util.find_spec("ctranslate2") else "hf")
    if config.backend == "ct2" and config.compute_type == "auto" and config.device in ("auto", "cpu", "cuda"):
        import ctranslate2

        cuda = config.device == "cuda" or (config.device == "auto" and ctranslate2.get_cuda_device_count() > 0)
        config = dataclasses.replace(config, compute_type="float16" if cuda else "int8")
    return config


def load_translator(config: Config, config_path: str = "CONFIG") -> Translator:
    """Build the translator named by `config.backend`, importing its heavy dependencies only now; its
    `load_seconds` says how long that took."""
    clock = time.perf_counter()
    config = resolve_backend(config)
    module, name = TRANSLATORS[config.backend].split(":")
    translator: Translator = getattr(importlib.import_module(module), name)(config, config_path)
    translator.load_seconds = time.perf_counter() - clock
    return translator


class LoadedModel(NamedTuple):
    """A config and its model, loaded: a second model beside a run's own (a back-translation, a scorer)."""

    config: Config
    translator: Translator


def load_model(config_path: str, config: Config | None = None, translator: Translator | None = None) -> LoadedModel:
    """The config at `config_path` (unless given) and its model (unless given), loaded."""
    config = config or load_config(config_path)
    return LoadedModel(config, translator or load_translator(config, config_path))


def language_id(tokenizer: Any, code: str, key: str, config_path: str, model_id: str) -> int:
    """The token id of an NLLB language code; a code the model's tokenizer lacks is a config error."""
    token_id = tokenizer.convert_tokens_to_ids(code)
    if not isinstance(token_id, int) or token_id == tokenizer.unk_token_id:
        raise ConfigError(f"{config_path}: key '{key}' is {code!r}, which model '{model_id}' does not know")
    return int(token_id)


def positions(value: Any) -> int | None:
    """A model's number of positions (`max_position_embeddings`: the longest sequence its encoder reads or its
    decoder writes), or None when its config does not give a usable one."""
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 1_000_000 else None


def input_limit(configured: int, model_positions: int | None, tokenizer_limit: Any) -> int:
    """The longest input in tokens: the config's limit, the model's positions or the tokenizer's, whichever is
    smallest (512 when the model states neither)."""
    usable = [x for x in (model_positions, positions(tokenizer_limit)) if x is not None]
    return min(configured, min(usable) if usable else 512)


def output_limit(configured: int, model_positions: int | None, model_id: str) -> int:
    """The longest output in tokens: the config's `max_new_tokens`, or the model's positions when it has fewer
    (its decoder has no position beyond them: transformers and CTranslate2 would fail), with a warning."""
    if model_positions is None or configured <= model_positions:
        return configured
    log.warning("max_new_tokens is %d but model '%s' has %d positions: translations are limited to %d tokens "
                "(the manifest's model.max_new_tokens)", configured, model_id, model_positions, model_positions)
    return model_positions


def count_tokens(tokenizer: Any, texts: list[str]) -> list[int]:
    """Input length of each text in the tokenizer's tokens, special tokens included."""
    return [len(ids) for ids in tokenizer(texts, add_special_tokens=True)["input_ids"]]
