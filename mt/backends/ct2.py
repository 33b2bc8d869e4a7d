"""The `ct2` backend: CTranslate2 on a converted copy of the Hugging Face model.

The model is converted once with CTranslate2's converter into a cache folder keyed by model, revision and
quantization (`$MT_CACHE` or `~/.cache/mt`, then `ct2/`) and reused. Text goes through the model's own tokenizer;
NLLB's target language is a `target_prefix`; the score is the beam's mean log-probability per token
(`return_scores` with length penalty 1, re-normalised so the prefix does not count).
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

from mt.backends import LANGUAGE_CODE_FAMILIES, count_tokens, input_limit, language_id
from mt.config import Config
from mt.errors import ConfigError, MtError
from mt.hub import resolve_model
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


def convert(source: Path, target: Path, compute_type: str) -> Path:
    """Convert a Hugging Face model folder with CTranslate2's converter, atomically (a crash leaves no
    half-converted folder); a folder that exists is reused."""
    if (target / "model.bin").exists():
        return target
    ctranslate2 = _import_ctranslate2()
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        log.info("converting %s to CTranslate2 (%s) in %s", source, _quantization(compute_type), target)
        converter = ctranslate2.converters.TransformersConverter(str(source))
        converter.convert(str(work / "model"), quantization=_quantization(compute_type), force=True)
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


class CT2Translator:
    """CTranslate2 beam search over the model's own tokens."""

    def __init__(self, config: Config, config_path: str = "CONFIG") -> None:
        ctranslate2 = _import_ctranslate2()
        from transformers import AutoConfig, AutoTokenizer, GenerationConfig
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        self.config = config
        resolved = resolve_model(config, config_path)
        self.model_id = config.model
        self.revision = resolved.revision
        source = Path(resolved.path)
        self.tokenizer = AutoTokenizer.from_pretrained(source)
        model_config = AutoConfig.from_pretrained(source)
        self.family = model_config.model_type
        try:
            generation = GenerationConfig.from_pretrained(source)
            forced_eos = generation.forced_eos_token_id
        except OSError:
            forced_eos = getattr(model_config, "forced_eos_token_id", None)
        # transformers spends the last of max_new_tokens on a forced end token; CTranslate2 does not force one.
        self.max_decoding_length = config.max_new_tokens - (1 if forced_eos is not None else 0)
        self.prefix: list[str] | None = None
        if self.family in LANGUAGE_CODE_FAMILIES:
            self.tokenizer.src_lang = config.src_lang
            for key, code in (("src_lang", config.src_lang), ("tgt_lang", config.tgt_lang)):
                language_id(self.tokenizer, code, key, config_path, config.model)
            self.prefix = [config.tgt_lang]  # counted in the decoding length, as in transformers' max_new_tokens
        self.device = "cuda" if config.device == "auto" and ctranslate2.get_cuda_device_count() > 0 else (
            "cpu" if config.device == "auto" else config.device)
        if self.device not in ("cpu", "cuda"):
            raise ConfigError(f"{config_path}: key 'device' is {config.device!r}; the ct2 backend runs on cpu or cuda")
        if self.device == "cuda" and ctranslate2.get_cuda_device_count() == 0:
            raise MtError(f"device 'cuda' was asked for in {config_path} but CTranslate2 sees no CUDA GPU; "
                          "use device: auto")
        self.path = convert(source, converted_path(config.model, self.revision, source, config.compute_type),
                            config.compute_type)
        self.translator = ctranslate2.Translator(
            str(self.path), device=self.device, compute_type=config.compute_type,
            inter_threads=config.inter_threads, intra_threads=config.intra_threads,
        )
        self.max_input_tokens = input_limit(config.max_input_tokens, model_config, self.tokenizer)
        log.info("loaded %s (%s, ct2 %s) on %s", config.model, self.family, config.compute_type, self.device)

    def count_tokens(self, texts: list[str]) -> list[int]:
        return count_tokens(self.tokenizer, texts)

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        ids = self.tokenizer(texts, add_special_tokens=True)["input_ids"]
        return [list(self.tokenizer.convert_ids_to_tokens(row)) for row in ids]

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
            ids = self.tokenizer.convert_tokens_to_ids(tokens)
            text = str(self.tokenizer.decode(ids, skip_special_tokens=True)).strip()
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
        ids = self.tokenizer(text_target=targets, add_special_tokens=False)["input_ids"]
        target = [(self.prefix or []) + list(self.tokenizer.convert_ids_to_tokens(row)) for row in ids]
        results = self.translator.score_batch(self.tokenize(sources), target, max_batch_size=0)
        skip = len(self.prefix) if self.prefix else 0
        out = []
        for result in results:
            logp = list(result.log_probs)[skip:]
            out.append((float(sum(logp)), len(logp)))
        return out
