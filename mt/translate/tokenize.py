"""Tokenizers for the ct2 backend that read the model's own files without transformers (and so without torch).

Marian (OPUS-MT): `source.spm` and `target.spm` (SentencePiece) with `vocab.json`, as `MarianTokenizer` does:
pieces of the source model, mapped through the vocabulary (`<unk>` for a piece it lacks), then `</s>`; output
tokens go back through the SentencePiece model (the source one unless `separate_vocabs`), special tokens
skipped. transformers starts Marian's decoder from `<pad>` (the last id, a zero embedding); CTranslate2's
converter drops `<pad>` from the vocabulary and starts from a zero embedding itself, so the search is the same.

NLLB / M2M100: `tokenizer.json` through the `tokenizers` library (what transformers' fast tokenizer runs), with
the source language token before the text and `</s>` after it (`legacy_behaviour`: `</s>` then the language).

`tests/test_backend_tokenize.py` checks both against the transformers tokenizers, id for id and text for text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mt.errors import ConfigError, MtError

# The files each tokenizer reads; the ct2 conversion copies them beside the converted model.
TOKENIZER_FILES = ("tokenizer_config.json", "special_tokens_map.json", "source.spm", "target.spm", "vocab.json",
                   "target_vocab.json", "tokenizer.json")
SPIECE_UNDERLINE = "\u2581"


def _cleanup(text: str) -> str:
    """transformers' `clean_up_tokenization` (applied when the tokenizer config asks for it)."""
    for a, b in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
                 (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")):
        text = text.replace(a, b)
    return text


def _token(value: Any) -> str | None:
    """A special token as tokenizer configs write it: a string or {"content": ...}."""
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) else None


class MarianSpm:
    """MarianTokenizer's encoding and decoding with `sentencepiece` alone."""

    def __init__(self, folder: Path, settings: dict[str, Any]) -> None:
        import sentencepiece as spm

        self.source = spm.SentencePieceProcessor(model_file=str(folder / "source.spm"))
        self.target = spm.SentencePieceProcessor(model_file=str(folder / "target.spm"))
        self.vocab: dict[str, int] = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        self.separate = bool(settings.get("separate_vocabs"))
        target_vocab = folder / "target_vocab.json"
        decoder_vocab = json.loads(target_vocab.read_text(encoding="utf-8")) if self.separate else self.vocab
        self.target_vocab: dict[str, int] = decoder_vocab
        self.id_to_token = {i: t for t, i in decoder_vocab.items()}
        self.unk = _token(settings.get("unk_token")) or "<unk>"
        self.eos = _token(settings.get("eos_token")) or "</s>"
        self.pad = _token(settings.get("pad_token")) or "<pad>"
        if self.unk not in self.vocab:
            raise MtError(f"{folder / 'vocab.json'} has no {self.unk} token")
        added = settings.get("added_tokens_decoder") or {}
        self.special = {self.unk, self.eos, self.pad} | {
            str(t["content"]) for t in added.values() if isinstance(t, dict) and t.get("special")}
        self.clean_up = bool(settings.get("clean_up_tokenization_spaces", False))
        self.model_max_length = int(settings.get("model_max_length") or 512)

    def _pieces(self, text: str) -> list[str]:
        code = []
        if text.startswith(">>") and (end := text.find("<<")) != -1:  # a target-language code such as >>fra<<
            code, text = [text[: end + 2]], text[end + 2 :]
        return code + list(self.source.encode(text, out_type=str))

    def tokens(self, text: str) -> list[str]:
        """The input tokens, as the model's vocabulary spells them, with the end token."""
        # Special tokens written in the text are kept whole, as transformers splits them out before SentencePiece.
        out: list[str] = []
        for part, special in _split_special(text, self.special):
            out += [part] if special else [p if p in self.vocab else self.unk for p in self._pieces(part)]
        return [*out, self.eos]

    def ids(self, text: str) -> list[int]:
        return [self.vocab[t] for t in self.tokens(text)]

    def target_tokens(self, text: str) -> list[str]:
        """A target-side text's tokens without special tokens, as `tokenizer(text_target=...)` gives them: the
        target SentencePiece model and (with `separate_vocabs`) the target vocabulary."""
        vocab = self.target_vocab
        out: list[str] = []
        for part, special in _split_special(text, self.special):
            out += [part] if special else [p if p in vocab else self.unk
                                            for p in self.target.encode(part, out_type=str)]
        return out

    def decode(self, tokens: list[str]) -> str:
        """The text of output tokens, special tokens skipped."""
        sp = self.target if self.separate else self.source  # MarianTokenizer decodes with the source model
        text = str(sp.decode_pieces([t for t in tokens if t not in self.special])).replace(SPIECE_UNDERLINE, " ")
        text = text.strip()
        return _cleanup(text) if self.clean_up else text

    def decode_ids(self, ids: list[int]) -> str:
        return self.decode([self.id_to_token.get(i, self.unk) for i in ids])

    def token_id(self, token: str) -> int | None:
        return self.vocab.get(token)


def _split_special(text: str, special: set[str]) -> list[tuple[str, bool]]:
    """`text` cut around the special tokens it holds: (part, is_special) in order."""
    parts: list[tuple[str, bool]] = []
    rest = text
    while rest:
        hits = [(rest.find(s), s) for s in special if s and s in rest]
        if not hits:
            parts.append((rest, False))
            break
        pos, token = min(hits, key=lambda h: (h[0], -len(h[1])))
        if rest[:pos].strip():
            parts.append((rest[:pos], False))
        parts.append((token, True))
        rest = rest[pos + len(token) :]
    return parts


class NllbTokenizers:
    """NllbTokenizer's (fast) encoding and decoding with `tokenizers` alone."""

    def __init__(self, folder: Path, settings: dict[str, Any], src_lang: str) -> None:
        from tokenizers import Tokenizer

        self.tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tok.no_truncation()
        self.tok.no_padding()
        self.eos = _token(settings.get("eos_token")) or "</s>"
        self.unk = _token(settings.get("unk_token")) or "<unk>"
        self.legacy = bool(settings.get("legacy_behaviour", False))
        self.src_lang = src_lang
        self.eos_id, self.unk_id = self._id(self.eos), self._id(self.unk)
        self.lang_id = self._id(src_lang) if self.tok.token_to_id(src_lang) is not None else self.unk_id
        self.clean_up = bool(settings.get("clean_up_tokenization_spaces", False)) and (
            type(self.tok.model).__name__ != "BPE"
            or bool(settings.get("clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output")))
        self.model_max_length = int(settings.get("model_max_length") or 1024)

    def _id(self, token: str) -> int:
        token_id = self.tok.token_to_id(token)
        if token_id is None:
            raise MtError(f"the tokenizer has no {token!r} token")
        return int(token_id)

    def ids(self, text: str) -> list[int]:
        body = list(self.tok.encode(text, add_special_tokens=False).ids)
        return [*body, self.eos_id, self.lang_id] if self.legacy else [self.lang_id, *body, self.eos_id]

    def tokens(self, text: str) -> list[str]:
        return [str(self.tok.id_to_token(i)) for i in self.ids(text)]

    def target_tokens(self, text: str) -> list[str]:
        """A target-side text's tokens without special tokens (the language token is a target prefix)."""
        return [str(self.tok.id_to_token(i)) for i in self.tok.encode(text, add_special_tokens=False).ids]

    def decode(self, tokens: list[str]) -> str:
        ids = [self.tok.token_to_id(t) for t in tokens]
        return self.decode_ids([self.unk_id if i is None else int(i) for i in ids])

    def decode_ids(self, ids: list[int]) -> str:
        text = str(self.tok.decode(ids, skip_special_tokens=True)).strip()
        return _cleanup(text) if self.clean_up else text

    def token_id(self, token: str) -> int | None:
        token_id = self.tok.token_to_id(token)
        return None if token_id is None or token_id == self.unk_id else int(token_id)


def load_tokenizer(folder: Path, family: str, src_lang: str) -> MarianSpm | NllbTokenizers:
    """The tokenizer of a model family from the files in `folder`."""
    config_file = folder / "tokenizer_config.json"
    settings = json.loads(config_file.read_text(encoding="utf-8")) if config_file.exists() else {}
    special_map = folder / "special_tokens_map.json"
    if special_map.exists():
        settings = {**json.loads(special_map.read_text(encoding="utf-8")), **settings}
    if family == "marian" and (folder / "source.spm").exists():
        return MarianSpm(folder, settings)
    if family in ("m2m_100", "nllb-moe") and (folder / "tokenizer.json").exists():
        return NllbTokenizers(folder, settings, src_lang)
    raise MtError(f"model family '{family}' in {folder} has no tokenizer files the ct2 backend can read "
                  "without transformers (Marian: source.spm, vocab.json; NLLB: tokenizer.json)")


def check_language(tokenizer: MarianSpm | NllbTokenizers, code: str, key: str, config_path: str,
                   model_id: str) -> None:
    """A language code the model's tokenizer lacks is a config error."""
    if tokenizer.token_id(code) is None:
        raise ConfigError(f"{config_path}: key '{key}' is {code!r}, which model '{model_id}' does not know")
