"""Translation backends, looked up by the config's `backend` name; each is imported only when used."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

from mt.errors import ConfigError

if TYPE_CHECKING:
    from mt.config import Config
    from mt.records import Hypothesis

# name -> "module:class"; the class is called with (config, config_path).
BACKENDS = {"hf": "mt.backends.hf:HFTranslator", "ct2": "mt.backends.ct2:CT2Translator"}


class Translator(Protocol):
    """What the pipeline needs of a model."""

    model_id: str
    revision: str | None
    max_input_tokens: int

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Input length of each text in model tokens, special tokens included."""
        ...

    def translate_batch(self, texts: list[str]) -> list[Hypothesis]:
        """Translations of `texts`, in the same order."""
        ...


def load_translator(config: Config, config_path: str = "CONFIG") -> Translator:
    """Build the translator named by `config.backend`, importing its heavy dependencies only now."""
    target = BACKENDS.get(config.backend)
    if target is None:
        raise ConfigError(f"unknown backend '{config.backend}'; available: {', '.join(sorted(BACKENDS))}")
    module, name = target.split(":")
    translator: Translator = getattr(importlib.import_module(module), name)(config, config_path)
    return translator
