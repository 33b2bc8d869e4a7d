"""Run configurations: YAML files loaded into a validated, frozen dataclass."""

from __future__ import annotations

import codecs
import dataclasses
import difflib
import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from mt.backends import BACKENDS as _BACKEND_TABLE
from mt.errors import ConfigError
from mt.io import ERROR_MODES
from mt.langcodes import NLLB_CODES

BACKENDS = tuple(sorted(_BACKEND_TABLE))
DEVICES = ("auto", "cpu", "cuda", "mps")
DTYPES = ("auto", "float32", "float16", "bfloat16", "int8")
COMPUTE_TYPES = ("auto", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float32", "float16",
                 "bfloat16")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_HUB_PART = r"[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?"
_HUB_ID_RE = re.compile(rf"^(?:{_HUB_PART}/)?{_HUB_PART}$")
# Fields that say where a run is written, not what it computes: they stay out of the config hash.
_PLACE_FIELDS = ("output_dir",)
MAX_CONFIG_BYTES = 1_000_000  # a config is a few hundred bytes; anything this large is not one
SHOWN_CHARS = 80  # an error shows at most this much of a bad value
# Largest values that can be meant; beyond them a value can only be a mistake (and could exhaust memory).
UPPER_BOUNDS = {"beam_size": 128, "max_new_tokens": 4096, "max_input_tokens": 8192, "max_batch_tokens": 10_000_000,
                "num_threads": 1024, "inter_threads": 1024, "intra_threads": 1024}


@dataclass(frozen=True)
class QualityConfig:
    """Expected length ratios, flag thresholds and filtering: the `quality:` section of a config.
    README.md ("Scores and flags") says what each one means."""

    chars_ratio: float = 1.436  # expected English/Arabic ratio of letters and digits (no Arabic diacritics)
    chars_sd: float = 0.165  # standard deviation of the log of that ratio for long sentences
    chars_scale: float = 188.5  # ... which grows as sd * sqrt(1 + chars_scale / Arabic characters)
    words_ratio: float = 1.36  # expected English/Arabic ratio of words
    words_sd: float = 0.253
    words_scale: float = 9.2
    length_free_z: float = 1.0  # a length within this many sd of the expected ratio costs quality nothing
    max_length_z: float = 2.5  # |z| of both units (the smaller) above this flags too_long / too_short
    max_arabic_share: float = 0.1  # Arabic letters among the output's letters
    max_repeat_share: float = 0.3  # repeated word trigrams among the output's trigrams
    min_logprob: float = -2.5  # model confidence below this flags low_confidence
    lexicon_min_pairs: int = 100  # mt score learns word associations from a corpus of at least this many pairs
    lexical_full: float = 0.33  # a lexical score at or above this costs quality nothing ...
    lexical_weight: float = 0.9  # ... and a score of 0 costs this share of it
    min_lexical: float = 0.03  # a lexical score below this flags unrelated_words
    min_quality: float | None = None  # keep pairs with quality >= this; the rest go to rejected.jsonl
    round_trip: str | None = None  # an English→Arabic config for back-translation (round_trip_chrf)


@dataclass(frozen=True)
class Config:
    """One model/run setting. Every field can be set in YAML; see configs/default.yaml for comments."""

    name: str
    model: str
    revision: str = "main"
    src_lang: str = "arb_Arab"
    tgt_lang: str = "eng_Latn"
    backend: str = "auto"
    device: str = "auto"
    dtype: str = "auto"
    beam_size: int = 4
    max_new_tokens: int = 256
    max_batch_tokens: int = 4096
    max_input_tokens: int = 200
    num_threads: int = 0
    compute_type: str = "auto"
    inter_threads: int = 1
    intra_threads: int = 0
    repair_glued: bool = True
    encoding: str = "utf-8"
    encoding_errors: str = "strict"
    strip_html: bool = False
    output_dir: str = "outputs"
    quality: QualityConfig = QualityConfig()

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def config_hash(self) -> str:
        """A short hash of everything that changes what a run computes."""
        data = {k: v for k, v in self.to_dict().items() if k not in _PLACE_FIELDS}
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()[:8]

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False)


_FIELDS = {f.name: f for f in fields(Config)}
_QUALITY_FIELDS = {f.name: f for f in fields(QualityConfig)}
_REQUIRED = tuple(
    f.name for f in fields(Config) if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
)
# Codes people write for Arabic and English that FLORES-200 spells otherwise (ISO 639-3 for MSA is arb).
_COMMON_MISTAKES = {
    "ara_Arab": "arb_Arab", "ar": "arb_Arab", "ara": "arb_Arab", "ar_AR": "arb_Arab", "arabic": "arb_Arab",
    "en": "eng_Latn", "eng": "eng_Latn", "en_XX": "eng_Latn", "english": "eng_Latn", "eng_Latin": "eng_Latn",
}
_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,), "int": (int,), "bool": (bool,), "float": (int, float), "QualityConfig": (dict,),
    "float | None": (int, float, type(None)), "str | None": (str, type(None)),
}
_TYPE_NAMES = {"QualityConfig": "mapping", "float | None": "float or null", "str | None": "str or null"}


def _check_types(path: Path | str, prefix: str, data: dict[str, Any], known: dict[str, Any]) -> None:
    for key in data:
        if key not in known:
            valid = ", ".join(sorted(known))
            extra = "extends, " if not prefix and _is(Path(path), Path.is_file) else ""  # a file's key only
            close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
            hint = f" (did you mean '{prefix}{close[0]}'?)" if close else ""
            raise ConfigError(f"{path}: unknown key {shown(prefix + str(key))}{hint}; valid keys: {extra}{valid}")
    for key, value in data.items():
        kind = str(known[key].type)
        want = _TYPES[kind]
        if not isinstance(value, want) or (bool not in want and isinstance(value, bool)):
            got = type(value).__name__
            name = _TYPE_NAMES.get(kind, kind)
            raise ConfigError(f"{path}: key '{prefix}{key}' must be of type {name}, got {got} {shown(value)}")


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """`repr(value)` for an error message, cut to about `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}... ({len(text)} characters)"


class _AliasFound(Exception):
    def __init__(self, mark: Any) -> None:
        self.mark = mark


class _BoundedLoader(yaml.SafeLoader):
    """yaml.safe_load without aliases: a few hundred bytes of nested aliases expand to gigabytes (a "billion
    laughs" bomb), and a config never needs them. Without aliases the loaded data is as large as the text."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise _AliasFound(self.peek_event().start_mark)
        return super().compose_node(parent, index)


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from a file of at most `MAX_CONFIG_BYTES`, without aliases."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {shown(str(path))} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {shown(str(path))} cannot be read: {getattr(exc, 'strerror', None) or exc}") \
            from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config file '{path}' is larger than {MAX_CONFIG_BYTES} bytes; it cannot be a config")
    try:
        data = yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 (a SafeLoader)
    except _AliasFound as exc:
        raise ConfigError(f"config file '{path}' uses a YAML alias at line {exc.mark.line + 1}; aliases (*name) are "
                          "not allowed in configs: write the value out") from None
    except RecursionError:
        raise ConfigError(f"config file '{path}' is nested too deeply to be a config") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise ConfigError(f"config file '{path}' holds a value that cannot be read: {shown(str(exc))}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"config file '{path}' is not valid YAML{where}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file '{path}' must hold a mapping of keys to values")
    return data


def _merged(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ConfigError(f"config 'extends' forms a cycle: {chain}")
    data = read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError(f"{path}: key 'extends' must be a file path (a string)")
    base = _merged(path.parent / parent, (*seen, path))
    if isinstance(base.get("quality"), dict) and isinstance(data.get("quality"), dict):
        data["quality"] = {**base["quality"], **data["quality"]}  # a child config overrides single thresholds
    base.update(data)
    return base


def _check(path: Path | str, data: dict[str, Any]) -> None:
    _check_types(path, "", data, _FIELDS)
    for key in _REQUIRED:
        if key not in data:
            raise ConfigError(f"{path}: missing required key '{key}'")
    quality = data.get("quality", {})
    _check_types(path, "quality.", quality, _QUALITY_FIELDS)
    for key, value in quality.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{path}: key 'quality.{key}' must be a finite number, got {value}")
    for key in ("chars_ratio", "chars_sd", "words_ratio", "words_sd", "max_length_z", "lexical_full"):
        if key in quality and quality[key] <= 0:
            raise ConfigError(f"{path}: key 'quality.{key}' must be a positive number, got {shown(quality[key])}")
    for key in ("chars_sd", "words_sd"):  # a z-score divides by them: a tiny one overflows, or is infinite in JSON
        if key in quality and 0 < quality[key] < 0.001:
            raise ConfigError(f"{path}: key 'quality.{key}' must be at least 0.001 (fitted: "
                              f"{_QUALITY_FIELDS[key].default}); a smaller spread can only be a mistake, got "
                              f"{shown(quality[key])}")
    for key in ("chars_scale", "words_scale", "length_free_z", "lexicon_min_pairs", "min_lexical"):
        if key in quality and quality[key] < 0:
            raise ConfigError(f"{path}: key 'quality.{key}' must be zero or more, got {shown(quality[key])}")
    for key in ("max_arabic_share", "max_repeat_share", "min_quality", "lexical_weight"):
        value = quality.get(key)
        if value is not None and not 0 <= value <= 1:
            raise ConfigError(f"{path}: key 'quality.{key}' must lie between 0 and 1, got {shown(value)}")
    if "encoding" in data:
        try:
            codecs.lookup(data["encoding"])
        except LookupError:
            raise ConfigError(f"{path}: key 'encoding' has unknown encoding {shown(data['encoding'])}; use a Python "
                              "codec name such as utf-8 or cp1256") from None
    for key, choices in (("backend", BACKENDS), ("device", DEVICES), ("dtype", DTYPES),
                         ("encoding_errors", ERROR_MODES), ("compute_type", COMPUTE_TYPES)):
        if key in data and data[key] not in choices:
            raise ConfigError(f"{path}: key '{key}' has bad value {shown(data[key])}; valid choices: "
                              f"{', '.join(choices)}")
    for key in ("beam_size", "max_new_tokens", "max_batch_tokens", "max_input_tokens", "inter_threads"):
        if key in data and data[key] <= 0:
            raise ConfigError(f"{path}: key '{key}' must be a positive integer, got {shown(data[key])}")
    for key in ("num_threads", "intra_threads"):
        if data.get(key, 0) < 0:
            raise ConfigError(f"{path}: key '{key}' must be 0 (library default) or positive")
    for key, bound in UPPER_BOUNDS.items():
        if data.get(key, 0) > bound:
            raise ConfigError(f"{path}: key '{key}' must be at most {bound}, got {shown(data[key])}: a larger value "
                              "can only be a mistake")
    if not _NAME_RE.match(data["name"]):
        raise ConfigError(
            f"{path}: key 'name' has bad value {shown(data['name'])}; use letters, digits, '.', '_' and '-' only "
            "(it names the run folder)"
        )
    if not data["model"].strip():
        raise ConfigError(f"{path}: key 'model' must name a hub model id or a local folder")
    for key in ("src_lang", "tgt_lang"):
        code = data.get(key)
        if code is not None and code not in NLLB_CODES:
            close = [_COMMON_MISTAKES[code]] if code in _COMMON_MISTAKES else difflib.get_close_matches(
                code, sorted(NLLB_CODES), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else "; use a FLORES-200 code such as arb_Arab"
            raise ConfigError(f"{path}: key '{key}' has unknown language code {shown(code)}{hint}")
    if data.get("max_batch_tokens", _FIELDS["max_batch_tokens"].default) < data.get(
            "max_input_tokens", _FIELDS["max_input_tokens"].default):
        raise ConfigError(f"{path}: key 'max_batch_tokens' must be at least 'max_input_tokens'")


def config_from_dict(data: dict[str, Any], source: str = "<config>", base_dir: Path | None = None) -> Config:
    """Validate a mapping of config keys; `base_dir` resolves a relative local model path."""
    _check(source, data)
    data = dict(data)
    quality = dict(data.get("quality", {}))
    data["model"] = _resolve_model_path(data["model"], base_dir, source)
    if base_dir is not None:
        if quality.get("round_trip"):
            quality["round_trip"] = _resolve_config_path(quality["round_trip"], base_dir, source)
    for key, value in quality.items():  # YAML's 1 is an int; the float fields hold floats
        if isinstance(value, int) and str(_QUALITY_FIELDS[key].type).startswith("float"):
            quality[key] = float(value)
    data["quality"] = QualityConfig(**quality)
    return Config(**data)


def _resolve_config_path(path: str, base_dir: Path, source: str) -> str:
    for candidate in (Path(path).expanduser(), base_dir / path):
        if _is(candidate, Path.is_file):
            return str(candidate.resolve())
    raise ConfigError(f"{source}: key 'quality.round_trip' names a config file {shown(path)} that does not exist")


# The command-line flags that set config keys, where the flag is not the key's name with dashes.
_FLAGS = {"encoding_errors": "--errors"}


def load_config(path: str | Path, **overrides: Any) -> Config:
    """Load a YAML config (following `extends:`), apply `overrides` (`beam_size=1`,
    `**{"quality.min_quality": 0.3}`; None leaves a key as it is), and validate it. An override is checked on
    its own first, so that its error names it as an override, not as a key of the file."""
    return _load(path, overrides, lambda key: "overrides")


def load_config_with_flags(path: str | Path, **flags: Any) -> Config:
    """`load_config` for the command line: `flags` are the config keys that flags set, and an error names the
    flag (`quality.min_quality` is `--min-quality`), not the file."""
    return _load(path, flags, lambda key: _FLAGS.get(key, "--" + key.rpartition(".")[2].replace("_", "-")))


def _load(path: str | Path, overrides: dict[str, Any], named: Callable[[str], str]) -> Config:
    path = Path(path)
    data = _merged(path)
    for key, value in overrides.items():
        if value is None:
            continue
        group, _, name = key.rpartition(".")
        _check(named(key), {"name": "x", "model": "m", **({group: {name: value}} if group else {name: value})})
        if key.startswith("quality."):
            section = data.get("quality")
            data["quality"] = {**(section if isinstance(section, dict) else {}), key[len("quality."):]: value}
        else:
            data[key] = value
    return config_from_dict(data, str(path), base_dir=path.resolve().parent)


def _is(path: Path, test: Any) -> bool:
    """`test(path)`, False where the name cannot even be looked up (too long, say)."""
    try:
        return bool(test(path))
    except (OSError, ValueError):
        return False


def _looks_like_path(model: str) -> bool:
    return model.startswith((".", "/", "~")) or model.count("/") > 1 or "\\" in model


def is_hub_id(model: str) -> bool:
    """Whether `model` has the shape of a Hugging Face hub id: `name` or `org/name`, each part of at most 96
    letters, digits, '-', '_' and '.', not starting or ending with '-' or '.', without '--' or '..'."""
    return bool(_HUB_ID_RE.fullmatch(model)) and "--" not in model and ".." not in model and not model.endswith(".git")


def _resolve_model_path(model: str, base_dir: Path | None, source: str) -> str:
    """A model that names an existing folder (relative to the config file or the working directory) becomes
    an absolute path (without `base_dir`, it stays as written); anything else that looks like a path must
    exist; the rest must be hub ids."""
    expanded = Path(model).expanduser()
    candidates = (expanded, *((base_dir / expanded,) if base_dir is not None else ()))
    for candidate in candidates:
        if _is(candidate, Path.is_dir):
            return str(candidate.resolve()) if base_dir is not None else model
    if any(_is(candidate, Path.exists) for candidate in candidates):
        raise ConfigError(f"{source}: key 'model' names {shown(model)}, which is a file, not a model folder; name the "
                          "folder that holds config.json, the weights and the tokenizer's files (or a hub id)")
    if _looks_like_path(model):
        raise ConfigError(f"{source}: key 'model' names a local folder {shown(model)} that does not exist")
    if not is_hub_id(model):
        raise ConfigError(f"{source}: key 'model' is {shown(model)}, which is neither a local folder nor a Hugging "
                          "Face hub id; write a hub id as org/name in letters, digits, '-', '_' and '.' (e.g. "
                          "Helsinki-NLP/opus-mt-ar-en), or the path of a model folder")
    return model
