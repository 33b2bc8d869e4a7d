"""`mt score`: quality scores and flags for pairs the model did not produce (a parallel corpus, or the
reference sentences of a run), measured by `mt.quality.corpus`. The output is a run folder (`mt.outputs.run`):
the files of a run (pairs.jsonl, rejected.jsonl with a minimum quality, the Moses, TSV and TMX files, the dataset,
report.html), its manifest, and run.json with the lock of `mt.outputs.rundir`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mt.config import Config, QualityConfig, config_from_dict, load_config
from mt.errors import InputError
from mt.inputs.files import FILE_ID_FIX, check_id, read_lines
from mt.outputs.manifest import counts as manifest_counts
from mt.outputs.manifest import package_versions
from mt.outputs.run import Run
from mt.outputs.rundir import claim_folder
from mt.quality.checks import filter_pairs
from mt.quality.corpus import Scorers, assess_pairs, corpus_quality, load_scorers
from mt.records import Chunk, DocumentInfo, Pair, RunStats, text_sha256
from mt.version import __version__

log = logging.getLogger(__name__)


def pairs_from_files(source: Path, target: Path, encoding: str = "utf-8",
                     errors: str = "strict") -> tuple[list[Pair], list[str], DocumentInfo]:
    """Line k of `source` with line k of `target`, read as `mt translate` reads its input (`mt.inputs.files.read_text`);
    offsets refer to the source file. With `errors="replace"`, a pair holding U+FFFD is flagged
    `invalid_bytes`. Also the files' SHA-256, and the source file as the input document."""
    src_text, src = read_lines(source, encoding, errors)
    tgt_text, tgt = read_lines(target, encoding, errors)
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
    document = DocumentInfo(doc_id, str(source), len(src_text), text_sha256(src_text), len(pairs))
    return pairs, [document.sha256, text_sha256(tgt_text)], document


def pairs_from_run(run_dir: Path) -> tuple[list[Pair], list[str], DocumentInfo]:
    """The (Arabic, reference) pairs of a run made with `mt translate --reference`, the SHA-256 of its pairs.jsonl,
    and that file as the input document."""
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
    return pairs, [text_sha256(text)], DocumentInfo(run_dir.name, str(path), len(text), text_sha256(text), len(pairs))


def score_identity(inputs: dict[str, str], quality: QualityConfig, min_quality: float | None,
                   configs: Sequence[Config | None]) -> dict[str, Any]:
    """What the output folder belongs to, in `mt.outputs.rundir`'s terms: the input (its kind and resolved paths) and
    a hash of the settings (the quality checks, the minimum quality, the models' config hashes)."""
    models = [c.config_hash() if c else "" for c in configs]
    blob = json.dumps([repr(quality), min_quality, models])
    return {"config_hash": hashlib.sha256(blob.encode()).hexdigest()[:8], "input": inputs}


def output_dir(base: Path, identity: dict[str, Any]) -> Path:
    """`<base>/score-<hash of the identity>`: another input or setting never lands in this folder."""
    blob = json.dumps(identity, sort_keys=True, ensure_ascii=False)
    return base / f"score-{hashlib.sha256(blob.encode()).hexdigest()[:8]}"


def score(source: str, target: str | None = None, *, config: str | None = None, reverse_config: str | None = None,
          output: str | None = None, min_quality: float | None = None, overwrite: bool = False,
          scorers: Scorers | None = None, encoding: str = "utf-8", errors: str = "strict") -> Path:
    """Score line-aligned files (or a run folder's reference pairs) and write the output folder. The folder
    follows the run-folder rules of `mt.outputs.rundir`: it belongs to one input and one set of settings (another's is
    refused unless `overwrite`), and it is locked while this runs."""
    clock = time.perf_counter()
    if min_quality is not None:  # checked as `mt translate` checks it: a number in [0, 1]
        config_from_dict({"name": "x", "model": "m", "quality": {"min_quality": min_quality}}, "--min-quality")
    src = Path(source)
    if src.is_dir():
        if target and (src / "pairs.jsonl").is_file():
            raise InputError("--target goes with a source file; a run folder brings its own reference sentences")
        pairs, hashes, document = pairs_from_run(src)
        inputs = {"kind": "run", "path": src.resolve().as_posix()}
    else:
        if not target:
            raise InputError("--target is needed with a source file (or give a run folder as --source)")
        pairs, hashes, document = pairs_from_files(src, Path(target), encoding, errors)
        inputs = {"kind": "lines", "path": src.resolve().as_posix(), "target": Path(target).resolve().as_posix()}
    fwd_config = (scorers.forward_config if scorers else None) or (load_config(config) if config else None)
    bwd_config = (scorers.backward_config if scorers else None) or (load_config(reverse_config)
                                                                    if reverse_config else None)
    quality = fwd_config.quality if fwd_config else QualityConfig()
    if min_quality is None:
        min_quality = quality.min_quality
    identity = score_identity(inputs, quality, min_quality, [fwd_config, bwd_config])
    out = Path(output) if output else output_dir(Path(fwd_config.output_dir if fwd_config else "outputs"), identity)
    folder = claim_folder(out, identity, overwrite, inputs=[source, target, config, reverse_config])
    with Run(folder, with_rejected=min_quality is not None) as run:  # locked till written
        scorers = scorers or load_scorers(config, reverse_config, fwd_config, bwd_config)
        assess_pairs(pairs, quality, scorers)
        used = corpus_quality(quality, [(p.ar, p.en) for p in pairs]) if len(pairs) >= quality.lexicon_min_pairs \
            else quality
        kept, rejected = filter_pairs(pairs, min_quality)
        stats = RunStats()
        stats.add([document], kept, rejected, units=len(pairs))
        run.write(0, Chunk(kept, rejected, stats))
        counts = manifest_counts(run.stats, min_quality is not None)
        return run.finish({
            "run": out.name, "run_dir": out.as_posix(), "mt": __version__, "command": "score",
            "packages": package_versions(),
            "inputs": {"source": str(src), "target": target, "sha256": hashes, "encoding": encoding, "errors": errors},
            "forward_model": getattr(scorers.forward, "model_id", None),
            "backward_model": getattr(scorers.backward, "model_id", None),
            "quality": vars(used), "corpus_lexicon": len(pairs) >= quality.lexicon_min_pairs,
            "min_quality": min_quality,
            "counts": {key: counts[key] for key in ("documents", "pairs", "rejected", "flagged", "flags",
                                                    "mean_quality")},
            "timings": {"total_s": round(time.perf_counter() - clock, 3)},
        })
