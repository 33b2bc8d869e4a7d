"""The `ct2` backend: CTranslate2 on a converted copy of the Hugging Face model.

The model is converted once with CTranslate2's converter into a cache folder keyed by model, revision and
quantization (`$MT_CACHE` or `~/.cache/mt`, then `ct2/`) and reused. Beside the converted weights the folder
keeps the tokenizer's files and `mt.json` (the model family, its input limit, whether transformers forces an
end token), so that a converted model loads with `ctranslate2`, `sentencepiece` and `tokenizers` alone: only the
conversion imports transformers and torch. NLLB's target language is a `target_prefix`; the score is the beam's
mean log-probability per token (`return_scores` with length penalty 1, re-normalised so the prefix does not count).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mt.backends import LANGUAGE_CODE_FAMILIES, input_limit, output_limit, positions
from mt.backends.tokenize import TOKENIZER_FILES, check_language, load_tokenizer
from mt.config import Config
from mt.errors import ConfigError, MtError
from mt.hub import TOKENIZER_SETS, resolve_model
from mt.records import Hypothesis

log = logging.getLogger(__name__)

def _import_ctranslate2() -> Any:
    try:
        import ctranslate2
    except ImportError:
        raise MtError("backend 'ct2' needs the ctranslate2 package: pip install 'mt[ct2]' "
                      "(or pip install ctranslate2)") from None
    return ctranslate2


def cache_root() -> Path:
    return Path(os.environ.get("MT_CACHE") or Path.home() / ".cache" / "mt") / "ct2"


def _quantization(compute_type: str) -> str:
    """The weights' type on disk: int8 variants store int8, float types their own; auto keeps float32."""
    return "float32" if compute_type == "auto" else compute_type


def auto_compute_type(device: str) -> str:
    """`compute_type: auto`: int8 weights on a CPU, float16 on a GPU (CTranslate2's fast paths)."""
    return "float16" if device == "cuda" else "int8"


def converted_path(model_id: str, revision: str | None, source: Path, compute_type: str) -> Path:
    """The cache folder for a model: its id, the resolved revision (or, for a local folder, a hash of its
    config and weights' sizes and times) and the quantization."""
    if revision:
        key = revision
    else:
        stats = sorted((p.name, p.stat().st_size, int(p.stat().st_mtime)) for p in source.iterdir() if p.is_file())
        key = "local-" + hashlib.sha256(json.dumps([str(source.resolve()), stats]).encode()).hexdigest()[:12]
    safe = re.sub(r"[^A-Za-z0-9._-]+", "--", model_id.strip("/"))[-80:]
    return cache_root() / f"{safe}--{key}--{_quantization(compute_type)}"


INFO_FILE = "mt.json"  # what mt needs of the original model, written beside the converted one


def convert(source: Path, target: Path, compute_type: str) -> Path:
    """Convert a Hugging Face model folder with CTranslate2's converter, atomically (a crash leaves no
    half-converted folder), with the tokenizer files and `mt.json`; a folder that has them is reused (one
    converted before `mt.json` existed gets it now)."""
    if (target / "model.bin").exists():
        if not (target / INFO_FILE).exists():
            write_model_info(source, target)
        return target
    try:
        family = json.loads((source / "config.json").read_text(encoding="utf-8")).get("model_type")
    except (OSError, ValueError, AttributeError):
        family = None  # the converter says what is wrong
    if family is not None and family not in TOKENIZER_SETS:  # the converter fails on them, some with a traceback
        raise MtError(f"model '{source}' is a '{family}' model; mt translates with Marian (opus-mt) and NLLB/M2M-100 "
                      "models: set 'model' to one of those")
    ctranslate2 = _import_ctranslate2()
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise MtError(f"the model cache '{target.parent}' cannot be written ({exc.strerror or exc}), and the ct2 "
                      "backend converts the model into it: set MT_CACHE to a writable folder") from None
    try:
        log.info("converting %s to CTranslate2 (%s) in %s", source, _quantization(compute_type), target)
        converter = ctranslate2.converters.TransformersConverter(str(source))
        converter.convert(str(work / "model"), quantization=_quantization(compute_type), force=True)
        write_model_info(source, work / "model")
        try:
            os.replace(work / "model", target)
        except OSError:
            if not (target / "model.bin").exists():  # another process may have won the race
                raise
    except (ValueError, RuntimeError, OSError) as exc:
        raise MtError(f"model '{source}' could not be converted to CTranslate2: {exc}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target




def write_model_info(source: Path, target: Path) -> None:
    """Copy the tokenizer's files and write `mt.json` (read with transformers, once, at conversion)."""
    from transformers import AutoConfig, GenerationConfig

    for name in TOKENIZER_FILES:
        if (source / name).is_file():
            shutil.copyfile(source / name, target / name)
    model_config = AutoConfig.from_pretrained(source)
    try:
        forced_eos = GenerationConfig.from_pretrained(source).forced_eos_token_id
    except OSError:
        forced_eos = getattr(model_config, "forced_eos_token_id", None)
    info = {"family": model_config.model_type,
            "max_position_embeddings": getattr(model_config, "max_position_embeddings", None),
            "forced_eos": forced_eos is not None}
    tmp = target / f".{INFO_FILE}.tmp"
    tmp.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target / INFO_FILE)


def ct2_device(name: str, ctranslate2: Any, config_path: str) -> str:
    """cpu or cuda: `auto` takes a GPU when CTranslate2 sees one."""
    cuda = ctranslate2.get_cuda_device_count() > 0
    device = ("cuda" if cuda else "cpu") if name == "auto" else name
    if device not in ("cpu", "cuda"):
        raise ConfigError(f"{config_path}: key 'device' is {name!r}; the ct2 backend runs on cpu or cuda")
    if device == "cuda" and not cuda:
        raise MtError(f"device 'cuda' was asked for in {config_path} but CTranslate2 sees no CUDA GPU; "
                      "use device: auto")
    return device


class CT2Translator:
    """CTranslate2 beam search over the model's own tokens."""

    def __init__(self, config: Config, config_path: str = "CONFIG") -> None:
        ctranslate2 = _import_ctranslate2()
        self.config = config
        resolved = resolve_model(config, config_path)
        self.model_id = config.model
        self.revision = resolved.revision
        source = Path(resolved.path)
        self.device = ct2_device(config.device, ctranslate2, config_path)
        self.compute_type = auto_compute_type(self.device) if config.compute_type == "auto" else config.compute_type
        supported = ctranslate2.get_supported_compute_types(self.device)
        if self.compute_type not in supported:
            raise ConfigError(f"{config_path}: key 'compute_type' is '{self.compute_type}', which CTranslate2 cannot "
                              f"run on this {self.device} (it can: {', '.join(sorted(supported))}); use one of them, "
                              "or auto")
        self.path = convert(source, converted_path(config.model, self.revision, source, self.compute_type),
                            self.compute_type)
        info = json.loads((self.path / INFO_FILE).read_text(encoding="utf-8"))
        self.family = str(info["family"])
        self.tokenizer = load_tokenizer(self.path, self.family, config.src_lang)
        model_positions = positions(info.get("max_position_embeddings"))
        self.max_new_tokens = output_limit(config.max_new_tokens, model_positions, config.model)
        # transformers spends the last of max_new_tokens on a forced end token; CTranslate2 does not force one.
        self.max_decoding_length = self.max_new_tokens - (1 if info.get("forced_eos") else 0)
        self.prefix: list[str] | None = None
        if self.family in LANGUAGE_CODE_FAMILIES:
            for key, code in (("src_lang", config.src_lang), ("tgt_lang", config.tgt_lang)):
                check_language(self.tokenizer, code, key, config_path, config.model)
            self.prefix = [config.tgt_lang]  # counted in the decoding length, as in transformers' max_new_tokens
        self.translator = ctranslate2.Translator(
            str(self.path), device=self.device, compute_type=self.compute_type,
            inter_threads=config.inter_threads, intra_threads=config.intra_threads,
        )
        self.max_input_tokens = input_limit(config.max_input_tokens, model_positions, self.tokenizer.model_max_length)
        log.info("loaded %s (%s, ct2 %s) on %s", config.model, self.family, self.compute_type, self.device)

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(self.tokenizer.ids(text)) for text in texts]

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        return [self.tokenizer.tokens(text) for text in texts]

    def translate_batch(self, texts: list[str]) -> list[Hypothesis]:
        if not texts:
            return []
        results = self.translator.translate_batch(
            self.tokenize(texts),
            target_prefix=[self.prefix] * len(texts) if self.prefix else None,
            beam_size=self.config.beam_size,
            max_decoding_length=self.max_decoding_length,
            max_batch_size=0,
            return_scores=True,
        )
        hyps = []
        skip = len(self.prefix) if self.prefix else 0
        for result in results:
            tokens = result.hypotheses[0][skip:]
            text = self.tokenizer.decode(tokens)
            ended = skip + len(tokens) < self.max_decoding_length  # stopped by the end token, which is scored
            # CTranslate2 divides the generated tokens' log-probabilities by a length that counts the prefix;
            # count only the tokens the model chose, as the hf backend does.
            total = skip + len(tokens) + int(ended)
            n = total - skip
            score = float(result.scores[0]) * total / n if n else 0.0
            hyps.append(Hypothesis(text=text, score=score, n_tokens=n))
        return hyps

    def score_pairs(self, sources: list[str], targets: list[str]) -> list[tuple[float, int]]:
        """Forced decoding with CTranslate2's `score_batch`: the sum of the target tokens' log-probabilities
        (the end token included, NLLB's language token not) and their number."""
        if not sources:
            return []
        target = [(self.prefix or []) + self.tokenizer.target_tokens(text) for text in targets]
        results = self.translator.score_batch(self.tokenize(sources), target, max_batch_size=0)
        skip = len(self.prefix) if self.prefix else 0
        out = []
        for result in results:
            logp = list(result.log_probs)[skip:]
            out.append((float(sum(logp)), len(logp)))
        return out
