"""Tiny real models built offline with the real transformers classes: their output is gibberish, but they
load through the same `from_pretrained` path as hub models. Used by the tests and the benchmarks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

# 1+1 layers, d_model 16: a few thousand parameters, built and run in well under a second.
TINY_DIMS: dict = {
    "d_model": 16, "encoder_layers": 1, "decoder_layers": 1, "encoder_attention_heads": 2,
    "decoder_attention_heads": 2, "encoder_ffn_dim": 32, "decoder_ffn_dim": 32, "max_position_embeddings": 128,
}


def train_sentencepiece(text: str, prefix: Path, vocab_size: int = 300, marian: bool = False) -> Path:
    """A unigram SentencePiece model. `marian`: OPUS-MT's layout (`</s>` 0, `<unk>` 1, no pad piece: Marian
    appends `<pad>` as the last id); otherwise pad 0, unk 1, eos 2 as fairseq/NLLB."""
    import sentencepiece as spm

    ids = {"pad_id": -1, "eos_id": 0, "unk_id": 1} if marian else {"pad_id": 0, "unk_id": 1, "eos_id": 2}
    lines = [line for line in text.splitlines() if line.strip()]
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines * 3), model_prefix=str(prefix), vocab_size=vocab_size, model_type="unigram",
        character_coverage=1.0, bos_id=-1, hard_vocab_limit=False, minloglevel=2, **ids,
    )
    return prefix.with_suffix(".model")


def build_marian(text: str, out: Path, seed: int = 0, dims: dict | None = None, vocab_size: int = 300,
                 model_vocab: int | None = None) -> Path:
    """A 1+1-layer MarianMT (or `dims`) with a MarianTokenizer over a SentencePiece model trained on `text`;
    `model_vocab` pads the vocabulary with unused tokens to that size, as large as a real model's."""
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    out.mkdir(parents=True, exist_ok=True)
    sp = train_sentencepiece(text, out / "sp", vocab_size=vocab_size, marian=True)
    for name in ("source.spm", "target.spm"):
        shutil.copy(sp, out / name)
    vocab = {line.split("\t")[0]: i for i, line in enumerate(sp.with_suffix(".vocab").read_text().splitlines())}
    if model_vocab:
        vocab.update({f"<unused{k}>": k for k in range(len(vocab), model_vocab - 1)})
    vocab["<pad>"] = len(vocab)  # as in OPUS-MT: the pad (and decoder start) token is the last id
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    for leftover in (sp, sp.with_suffix(".vocab")):
        leftover.unlink()
    tok = MarianTokenizer(source_spm=str(out / "source.spm"), target_spm=str(out / "target.spm"),
                          vocab=str(out / "vocab.json"), source_lang="ar", target_lang="en", model_max_length=64)
    tok.save_pretrained(out)
    cfg = MarianConfig(
        vocab_size=len(vocab), **(dims or TINY_DIMS), pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
        decoder_start_token_id=tok.pad_token_id,
        forced_eos_token_id=tok.eos_token_id,
    )
    torch.manual_seed(seed)
    MarianMTModel(cfg).save_pretrained(out)
    return out


def build_nllb(text: str, out: Path, seed: int = 0, endless: bool = False, model_max_length: int = 64) -> Path:
    """A 1+1-layer M2M100ForConditionalGeneration with an NllbTokenizer over a SentencePiece model trained
    on `text`, with NLLB's language codes added as special tokens (a tiny vocabulary lacks them). `endless`: the
    end token's embedding (tied to its output row) is zero, so its logit is 0 and never the best: every output
    runs to the length limit. `model_max_length`: the tokenizer's input limit (NLLB's own is 1024, its positions)."""
    import torch
    import transformers.models.nllb.tokenization_nllb as nllb
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    src = out.parent / f"{out.name}-spm"
    src.mkdir(parents=True, exist_ok=True)
    sp = train_sentencepiece(text, src / "sp")
    shutil.copy(sp, src / "sentencepiece.bpe.model")
    (src / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "NllbTokenizer"}))
    # Converting the SentencePiece file needs protobuf; the codes must be added or they map to <unk>.
    tok = NllbTokenizer.from_pretrained(src, additional_special_tokens=list(nllb.FAIRSEQ_LANGUAGE_CODES),
                                        src_lang="arb_Arab", tgt_lang="eng_Latn",
                                        model_max_length=model_max_length)
    out.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(out)
    shutil.rmtree(src)
    cfg = M2M100Config(
        vocab_size=len(tok), **TINY_DIMS, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
        bos_token_id=tok.bos_token_id,
        decoder_start_token_id=tok.eos_token_id,
    )
    torch.manual_seed(seed)
    model = M2M100ForConditionalGeneration(cfg)
    if endless:
        with torch.no_grad():
            model.model.shared.weight[tok.eos_token_id] = 0
    model.save_pretrained(out)
    return out
