"""`mt score`: quality scores and flags for pairs the model did not produce (a parallel corpus, or the
reference sentences of a run).

Each pair gets the reference-free checks of `mt.quality` and, with a model config, the forced-decoding
log-probability of the English given the Arabic; with an English→Arabic config too, of the Arabic given the
English. The two are combined as dual conditional cross-entropy (Junczys-Dowmunt 2018, the WMT18 corpus
filtering task's best system): with H_fwd and H_bwd the per-token cross-entropies (nats),
`dual_xent = |H_fwd − H_bwd| + (H_fwd + H_bwd) / 2`, and `exp(−dual_xent)` is the adequacy that takes the
place of the model confidence in `quality`. The output is a folder like a run's: pairs.jsonl, pairs.tsv,
corpus.ar/en, rejected.jsonl (with a minimum quality), manifest.json, and run.json with the lock of
`mt.rundir`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mt import __version__
from mt.batching import token_batches
from mt.config import Config, QualityConfig, config_from_dict, load_config
from mt.errors import InputError
from mt.io import FILE_ID_FIX, check_id, read_text
from mt.lexicon import CorpusLexicon
from mt.manifest import text_sha256
from mt.normalize import normalize_for_model
from mt.pipeline import filter_pairs
from mt.quality import assess, round_scores, text_length
from mt.records import Pair
from mt.rundir import claim_folder
from mt.writers import atomic_write, write_jsonl, write_moses, write_tsv

log = logging.getLogger(__name__)


class PairScorer(Protocol):
    """What forced decoding needs of a backend (both `hf` and `ct2` have it)."""

    model_id: str
    max_input_tokens: int

    def count_tokens(self, texts: list[str]) -> list[int]: ...

    def score_pairs(self, sources: list[str], targets: list[str]) -> list[tuple[float, int]]: ...


@dataclass(frozen=True)
class Scorers:
    """The forward (Arabic→English) model, its config, and the optional backward (English→Arabic) one."""

    forward: PairScorer | None = None
    forward_config: Config | None = None
    backward: PairScorer | None = None
    backward_config: Config | None = None


def load_scorers(config_path: str | None, reverse_path: str | None, forward_config: Config | None = None,
                 backward_config: Config | None = None) -> Scorers:
    """Load the models named by the configs (either may be None; a config already loaded is not read again)."""
    from mt.backends import load_translator

    fwd_config = forward_config or (load_config(config_path) if config_path else None)
    bwd_config = backward_config or (load_config(reverse_path) if reverse_path else None)
    forward = load_translator(fwd_config, config_path or "CONFIG") if fwd_config else None
    backward = load_translator(bwd_config, reverse_path or "CONFIG") if bwd_config else None
    return Scorers(forward, fwd_config, backward, bwd_config)  # type: ignore[arg-type]


def cross_entropies(scorer: PairScorer, sources: Sequence[str], targets: Sequence[str],
                    max_batch_tokens: int = 4096) -> list[float | None]:
    """Per-token cross-entropy (nats, −mean log-probability) of each target given its source, by forced
    decoding in length-sorted batches; None for an empty side or one longer than the model's input limit."""
    src = [normalize_for_model(s) for s in sources]
    tgt = [normalize_for_model(t) for t in targets]
    src_len, tgt_len = scorer.count_tokens(src), scorer.count_tokens(tgt)
    limit = scorer.max_input_tokens
    todo = [i for i in range(len(src)) if src[i] and tgt[i] and src_len[i] <= limit and tgt_len[i] <= limit]
    out: list[float | None] = [None] * len(src)
    lengths = [max(src_len[i], tgt_len[i]) for i in todo]
    for batch in token_batches(lengths, max_batch_tokens):
        idx = [todo[k] for k in batch]
        for i, (total, n) in zip(idx, scorer.score_pairs([src[i] for i in idx], [tgt[i] for i in idx])):
            out[i] = -total / n if n else None
    return out


def dual_xent(h_fwd: float, h_bwd: float) -> float:
    """Junczys-Dowmunt (2018): disagreement between the two directions plus their mean."""
    return abs(h_fwd - h_bwd) + 0.5 * (h_fwd + h_bwd)


def model_adequacy(ar: Sequence[str], en: Sequence[str], scorers: Scorers) -> list[float | None]:
    """exp(−dual_xent) per pair (exp(−H_fwd) without a backward model); None where a side was not scored."""
    fwd, bwd = _directions(ar, en, scorers)
    out: list[float | None] = []
    for f, b in zip(fwd, bwd):
        if f is None or scorers.backward is not None and b is None:
            out.append(None)
        else:
            out.append(math.exp(-(dual_xent(f, b) if b is not None else f)))
    return out


def _directions(ar: Sequence[str], en: Sequence[str], scorers: Scorers) -> tuple[list[float | None],
                                                                                    list[float | None]]:
    none: list[float | None] = [None] * len(ar)
    fwd = bwd = none
    if scorers.forward is not None:
        budget = scorers.forward_config.max_batch_tokens if scorers.forward_config else 4096
        fwd = cross_entropies(scorers.forward, ar, en, budget)
    if scorers.backward is not None:
        budget = scorers.backward_config.max_batch_tokens if scorers.backward_config else 4096
        bwd = cross_entropies(scorers.backward, en, ar, budget)
    return fwd, bwd


def corpus_quality(quality: QualityConfig, pairs: Sequence[tuple[str, str]]) -> QualityConfig:
    """The quality settings with the expected length ratios taken from the corpus itself (the median
    English/Arabic ratio of its pairs, which a minority of misaligned pairs hardly moves): genres differ more
    than the spread within one (UN documents 1.2 characters of English per Arabic one, classical prose 1.7)."""
    ratios = []
    for unit in ("chars", "words"):
        logs = sorted(math.log(e / a) for a, e in ((text_length(ar, unit), text_length(en, unit)) for ar, en in pairs)
                      if a and e)
        ratios.append(round(math.exp(logs[len(logs) // 2]), 3) if logs else getattr(quality, f"{unit}_ratio"))
    return dataclasses.replace(quality, chars_ratio=ratios[0], words_ratio=ratios[1])


def score_pairs(pairs: list[Pair], quality: QualityConfig, scorers: Scorers) -> list[Pair]:
    """Fill in the scores, flags and quality of `pairs` (their `ar` and `en`), in place; returns them. A
    corpus of `quality.lexicon_min_pairs` pairs or more also gives its own length ratios and word associations
    (`corpus_quality`, `mt.lexicon`)."""
    fwd, bwd = _directions([p.ar for p in pairs], [p.en for p in pairs], scorers)
    lexicon = None
    if len(pairs) >= quality.lexicon_min_pairs:
        texts = [(p.ar, p.en) for p in pairs]
        lexicon, quality = CorpusLexicon(texts), corpus_quality(quality, texts)
    for k, (pair, f, b) in enumerate(zip(pairs, fwd, bwd)):
        if not pair.ar.strip() or not pair.en.strip():
            side = "Arabic" if not pair.ar.strip() else "English"
            pair.flag("empty_side", f"the {side} side is empty")
        logprob = None if f is None else -f
        adequacy = math.exp(-dual_xent(f, b)) if f is not None and b is not None else None
        lexical = lexicon.score(pair.ar, pair.en, own=k < lexicon.n) if lexicon else None
        result = assess(pair.ar, pair.en, 0.0 if logprob is None else logprob, quality, adequacy=adequacy,
                        lexical=lexical)
        scores = result.scores
        scores["logprob"] = logprob
        scores["xent_fwd"], scores["xent_bwd"] = f, b
        scores["dual_xent"] = dual_xent(f, b) if f is not None and b is not None else None
        pair.scores = round_scores(scores)
        pair.score = None if logprob is None else round(logprob, 6)
        pair.quality = result.quality
        if scorers.forward is not None and f is None and pair.ar.strip() and pair.en.strip():
            pair.flag("not_scored", "longer than the model's input limit: no model score")
        for code, reason in zip(result.flags, result.reasons):
            pair.flag(code, reason)
    return pairs


def _lines_with_offsets(path: Path, encoding: str, errors: str) -> tuple[str, list[tuple[str, int, int]]]:
    if not path.is_file():
        raise InputError(f"input '{path}' is not a file")
    text = read_text(path, encoding, errors)
    lines, pos = [], 0
    for line in text.split("\n"):
        lines.append((line, pos, pos + len(line)))
        pos += len(line) + 1
    if text.endswith("\n"):
        lines.pop()  # a final newline ends the last line
    return text, lines


def pairs_from_files(source: Path, target: Path, encoding: str = "utf-8",
                     errors: str = "strict") -> tuple[list[Pair], list[str]]:
    """Line k of `source` with line k of `target`, read as `mt translate` reads its input (`mt.io.read_text`);
    offsets refer to the source file. With `errors="replace"`, a pair holding U+FFFD is flagged
    `invalid_bytes`."""
    src_text, src = _lines_with_offsets(source, encoding, errors)
    tgt_text, tgt = _lines_with_offsets(target, encoding, errors)
    if len(src) != len(tgt):
        raise InputError(f"--source has {len(src)} lines but --target has {len(tgt)}; they must be line-aligned")
    if not src:
        raise InputError(f"input '{source}' is empty")
    doc_id = check_id(source.with_suffix("").name, f"input {str(source)!r}", FILE_ID_FIX)  # as mt translate's ids
    pairs = [Pair(id=f"{doc_id}:{k}", doc_id=doc_id, index=k, ar=a, en=e, start=start, end=end, score=None)
             for k, ((a, start, end), (e, _, _)) in enumerate(zip(src, tgt))]
    for pair in pairs:
        if errors == "replace" and "\ufffd" in pair.ar + pair.en:
            pair.flag("invalid_bytes", f"holds U+FFFD where the input had bytes invalid in {encoding}")
    return pairs, [text_sha256(src_text), text_sha256(tgt_text)]


def pairs_from_run(run_dir: Path) -> tuple[list[Pair], list[str]]:
    """The (Arabic, reference) pairs of a run made with `mt translate --reference`."""
    path = run_dir / "pairs.jsonl"
    if not path.is_file():
        raise InputError(f"--source '{run_dir}' is a folder but not the run folder of an mt translate (it has no "
                         "pairs.jsonl); give a file of Arabic sentences, one per line, with --target")
    pairs, skipped = [], 0
    text = path.read_text(encoding="utf-8")
    for line in filter(None, text.split("\n")):  # a record ends at "\n" only: a raw U+2028 in one is text
        row = json.loads(line)
        if not row.get("ref"):
            skipped += 1
            continue
        pairs.append(Pair(id=row["id"], doc_id=row["doc_id"], index=row["index"], ar=row["ar"], en=row["ref"],
                          start=row["start"], end=row["end"], score=None, ref_ids=list(row.get("ref_ids", []))))
    if not pairs:
        raise InputError(f"run '{run_dir}' has no reference sentences; make it with mt translate --reference")
    if skipped:
        log.warning("%d pair(s) of %s have no reference sentence and are not scored", skipped, run_dir)
    return pairs, [text_sha256(text)]


def score_identity(inputs: dict[str, str], quality: QualityConfig, min_quality: float | None,
                   configs: Sequence[Config | None]) -> dict[str, Any]:
    """What the output folder belongs to, in `mt.rundir`'s terms: the input (its kind and resolved paths) and
    a hash of the settings (the quality checks, the minimum quality, the models' config hashes)."""
    models = [c.config_hash() if c else "" for c in configs]
    blob = json.dumps([repr(quality), min_quality, models])
    return {"config_hash": hashlib.sha256(blob.encode()).hexdigest()[:8], "input": inputs}


def output_dir(base: Path, identity: dict[str, Any]) -> Path:
    """`<base>/score-<hash of the identity>`: another input or setting never lands in this folder."""
    blob = json.dumps(identity, sort_keys=True, ensure_ascii=False)
    return base / f"score-{hashlib.sha256(blob.encode()).hexdigest()[:8]}"


def write_scores(out: Path, pairs: list[Pair], min_quality: float | None, manifest: dict[str, Any]) -> Path:
    """Write the folder: every file as in a run."""
    kept, rejected = filter_pairs(pairs, min_quality)
    write_jsonl(out / "pairs.jsonl", kept)
    write_tsv(out / "pairs.tsv", kept)
    write_moses(out, lambda: kept)
    if min_quality is not None:
        write_jsonl(out / "rejected.jsonl", rejected)
    flags = Counter(f for p in pairs for f in p.flags)
    qualities = [p.quality for p in pairs if p.quality is not None]
    manifest["counts"] = {"pairs": len(pairs), "kept": len(kept), "rejected": len(rejected),
                          "flagged": sum(bool(p.flags) for p in pairs), "flags": dict(sorted(flags.items())),
                          "mean_quality": round(sum(qualities) / len(qualities), 4) if qualities else None}
    atomic_write(out / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return out


def score(source: str, target: str | None = None, *, config: str | None = None, reverse_config: str | None = None,
          output: str | None = None, min_quality: float | None = None, overwrite: bool = False,
          scorers: Scorers | None = None, encoding: str = "utf-8", errors: str = "strict") -> Path:
    """Score line-aligned files (or a run folder's reference pairs) and write the output folder. The folder
    follows the run-folder rules of `mt.rundir`: it belongs to one input and one set of settings (another's is
    refused unless `overwrite`), and it is locked while this runs."""
    clock = time.perf_counter()
    if min_quality is not None:  # checked as `mt translate` checks it: a number in [0, 1]
        config_from_dict({"name": "x", "model": "m", "quality": {"min_quality": min_quality}}, "--min-quality")
    src = Path(source)
    if src.is_dir():
        if target and (src / "pairs.jsonl").is_file():
            raise InputError("--target goes with a source file; a run folder brings its own reference sentences")
        pairs, hashes = pairs_from_run(src)
        inputs = {"kind": "run", "path": src.resolve().as_posix()}
    else:
        if not target:
            raise InputError("--target is needed with a source file (or give a run folder as --source)")
        pairs, hashes = pairs_from_files(src, Path(target), encoding, errors)
        inputs = {"kind": "lines", "path": src.resolve().as_posix(), "target": Path(target).resolve().as_posix()}
    fwd_config = (scorers.forward_config if scorers else None) or (load_config(config) if config else None)
    bwd_config = (scorers.backward_config if scorers else None) or (load_config(reverse_config)
                                                                    if reverse_config else None)
    quality = fwd_config.quality if fwd_config else QualityConfig()
    if min_quality is None:
        min_quality = quality.min_quality
    identity = score_identity(inputs, quality, min_quality, [fwd_config, bwd_config])
    out = Path(output) if output else output_dir(Path(fwd_config.output_dir if fwd_config else "outputs"), identity)
    with claim_folder(out, identity, overwrite, inputs=[source, target, config, reverse_config]):  # locked till written
        scorers = scorers or load_scorers(config, reverse_config, fwd_config, bwd_config)
        score_pairs(pairs, quality, scorers)
        used = corpus_quality(quality, [(p.ar, p.en) for p in pairs]) if len(pairs) >= quality.lexicon_min_pairs \
            else quality
        manifest = {
            "mt": __version__, "command": "score",
            "inputs": {"source": str(src), "target": target, "sha256": hashes, "encoding": encoding, "errors": errors},
            "forward_model": getattr(scorers.forward, "model_id", None),
            "backward_model": getattr(scorers.backward, "model_id", None),
            "quality": vars(used), "corpus_lexicon": len(pairs) >= quality.lexicon_min_pairs,
            "min_quality": min_quality,
            "timings": {"total_s": round(time.perf_counter() - clock, 3)},
        }
        return write_scores(out, pairs, min_quality, manifest)
