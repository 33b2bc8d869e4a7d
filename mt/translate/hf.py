"""The `hf` backend: transformers' AutoModelForSeq2SeqLM for the Marian and NLLB/M2M100 families."""

from __future__ import annotations

import logging
from typing import Any

import torch
import transformers
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, DynamicCache, EncoderDecoderCache
from transformers.modeling_outputs import BaseModelOutput

from mt.config import Config
from mt.errors import MtError
from mt.records import Hypothesis
from mt.translate import (
    LANGUAGE_CODE_FAMILIES,
    count_tokens,
    input_limit,
    language_id,
    output_limit,
    positions,
)
from mt.translate.allocator import freed_memory_kept
from mt.translate.hub import ResolvedModel, resolve_model

log = logging.getLogger(__name__)


def pick_device(name: str) -> str:
    if name != "auto":
        return name
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def pick_dtype(name: str, device: str) -> torch.dtype:
    """The dtype the weights are loaded in (`int8` loads float32, then quantizes)."""
    if name == "auto":
        return torch.float16 if device == "cuda" else torch.float32
    return {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16,
            "int8": torch.float32}[name]


def quantize_int8(model: Any) -> Any:
    """Dynamic int8 quantization of every linear layer (weights int8, activations quantized per batch), the
    output projection included: the CPU path of `dtype: int8`. It changes the arithmetic, so outputs may
    differ slightly from float32 (README: "What int8 changes")."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization is deprecated in favour of torchao
        from torch.ao.quantization import quantize_dynamic

        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


class BeamCache(EncoderDecoderCache):
    """Beam search reorders every cache at every step. The encoder's keys and values (the cross-attention cache)
    are the same for all beams of a sentence, and beams are only ever reordered within their sentence, so
    reordering them copies memory for nothing: only the decoder's own cache is reordered. On an
    opus-mt-sized model this copy was half of the CPU time (benchmarks/speed.py)."""

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        self.self_attention_cache.reorder_cache(beam_idx)


class HFTranslator:
    """Beam search with `model.generate`; each hypothesis scored by its mean log-probability per token."""

    def __init__(self, config: Config, config_path: str = "CONFIG") -> None:
        self.config = config
        self.resolved: ResolvedModel = resolve_model(config, config_path)
        self.model_id = config.model
        self.revision = self.resolved.revision
        if config.num_threads > 0:
            torch.set_num_threads(config.num_threads)
        self.device = pick_device(config.device)
        if self.device == "cuda" and not torch.cuda.is_available():
            raise MtError(f"device 'cuda' was asked for in {config_path} but torch sees no CUDA GPU; use device: auto")
        if config.dtype == "int8" and self.device != "cpu":
            raise MtError(f"dtype 'int8' in {config_path} is a CPU path (dynamic quantization); on "
                          f"{self.device} use dtype: float16 or auto")
        transformers.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(self.resolved.path)
            self.model = AutoModelForSeq2SeqLM.from_pretrained(
                self.resolved.path, dtype=pick_dtype(config.dtype, self.device)
            )
        except (OSError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise MtError(f"model '{config.model}' could not be loaded as a seq2seq model: {first}") from None
        self.model.to(self.device).eval()
        if config.dtype == "int8":
            self.model = quantize_int8(self.model)
        self.family = self.model.config.model_type
        self.forced_bos: int | None = None
        if self.family in LANGUAGE_CODE_FAMILIES:
            self.tokenizer.src_lang = config.src_lang
            self.forced_bos = language_id(self.tokenizer, config.tgt_lang, "tgt_lang", config_path, config.model)
            language_id(self.tokenizer, config.src_lang, "src_lang", config_path, config.model)
        model_positions = positions(getattr(self.model.config, "max_position_embeddings", None))
        self.max_input_tokens = input_limit(config.max_input_tokens, model_positions, self.tokenizer.model_max_length)
        self.max_new_tokens = output_limit(config.max_new_tokens, model_positions, config.model)
        log.info("loaded %s (%s, %s) on %s", config.model, self.family, self.revision or "local", self.device)

    def count_tokens(self, texts: list[str]) -> list[int]:
        return count_tokens(self.tokenizer, texts)

    def translate_batch(self, texts: list[str]) -> list[Hypothesis]:
        if not texts:
            return []
        # on a CPU, beam search's vocabulary-sized tensors reuse freed memory instead of being faulted in afresh
        # at every step (mt.translate.allocator)
        with freed_memory_kept(enabled=self.device == "cpu"):
            return self._translate(texts)

    @torch.inference_mode()
    def _translate(self, texts: list[str]) -> list[Hypothesis]:
        inputs = self.tokenizer(texts, return_tensors="pt", padding=True).to(self.device)
        # The encoder runs once, for the search and for rescoring (generate would run it itself, the same way).
        encoded = self.model.get_encoder()(**inputs, return_dict=True).last_hidden_state
        sequences = self.model.generate(
            **inputs,
            encoder_outputs=BaseModelOutput(last_hidden_state=encoded),
            num_beams=self.config.beam_size,
            num_return_sequences=1,
            max_new_tokens=self.max_new_tokens,
            forced_bos_token_id=self.forced_bos,
            do_sample=False,
            cache=BeamCache(DynamicCache(config=self.model.config), DynamicCache(config=self.model.config))
            if self.config.beam_size > 1 else None,
        )
        lengths = self._output_lengths(sequences)
        logprobs = self._token_logprobs(inputs["attention_mask"], encoded, sequences)
        first = 1 if self.forced_bos is not None else 0  # the forced language token is not the model's choice
        hyps = []
        for seq, logp, length in zip(sequences.tolist(), logprobs, lengths):
            scored = logp[first:length]
            n = int(scored.numel())
            text = str(self.tokenizer.decode(seq[1 : 1 + length], skip_special_tokens=True)).strip()
            hyps.append(Hypothesis(text=text, score=float(scored.mean()) if n else 0.0, n_tokens=n))
        return hyps

    def _output_lengths(self, sequences: torch.Tensor) -> list[int]:
        """Generated tokens per row (after the decoder start), up to and including the first EOS."""
        eos = self.model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos])
        lengths = []
        for row in sequences[:, 1:].tolist():
            ends = [i for i, token in enumerate(row) if token in eos_ids]
            lengths.append(ends[0] + 1 if ends else len(row))
        return lengths

    def _token_logprobs(self, attention_mask: torch.Tensor, encoded: torch.Tensor,
                        sequences: torch.Tensor) -> torch.Tensor:
        """log p(y_t | y_<t, x) of each generated token under the model itself, without the search's
        logits processors (which would, e.g., give a forced EOS probability 1)."""
        logits = self.model(attention_mask=attention_mask, encoder_outputs=BaseModelOutput(last_hidden_state=encoded),
                            decoder_input_ids=sequences[:, :-1]).logits.float()
        logp = torch.log_softmax(logits, dim=-1)
        return logp.gather(-1, sequences[:, 1:].unsqueeze(-1)).squeeze(-1).cpu()

    @torch.inference_mode()
    def score_pairs(self, sources: list[str], targets: list[str]) -> list[tuple[float, int]]:
        """Forced decoding: for each pair, the sum of log p(y_t | y_<t, x) over the target's tokens (its end
        token included, NLLB's language token not, as in `translate_batch`) and how many tokens that is."""
        if not sources:
            return []
        if self.forced_bos is not None:
            self.tokenizer.tgt_lang = self.config.tgt_lang
        inputs = self.tokenizer(sources, return_tensors="pt", padding=True).to(self.device)
        labels = self.tokenizer(text_target=targets, return_tensors="pt", padding=True)["input_ids"].to(self.device)
        start = torch.full((labels.shape[0], 1), self.model.config.decoder_start_token_id, device=self.device)
        logits = self.model(**inputs, decoder_input_ids=torch.cat([start, labels[:, :-1]], dim=1)).logits.float()
        logp = torch.log_softmax(logits, dim=-1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)
        mask = labels != self.tokenizer.pad_token_id
        if self.forced_bos is not None:
            mask[:, 0] = False  # the language token is forced, not the model's choice
        sums, counts = (logp * mask).sum(dim=1).tolist(), mask.sum(dim=1).tolist()
        return [(float(s), int(n)) for s, n in zip(sums, counts)]
