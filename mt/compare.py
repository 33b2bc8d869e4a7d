"""`mt compare`: run several configs on the same input and compare them, with statistics and a report.

Each config runs through the normal pipeline in its own process (so its speed and peak memory are its own); a
run folder that already holds the same config's run on the same input is reused. With a reference, the
reference is aligned once (line by line when it has one line per segment, else with `mt.align` on the first
system's translations), and every system is scored on the same aligned text: corpus BLEU, chrF, chrF++ and TER
with sacrebleu signatures, 95% bootstrap confidence intervals and paired bootstrap p-values against the first
system. Without one: reference-free quality and how much the systems agree (chrF of each against each other).

The comparison's folder follows the run-folder rules of `mt.rundir`: it belongs to its systems and its input and
reference (`compare-<name>-<hash of them>`, recorded in its run.json), it is locked while `mt compare` runs, and a
folder that holds another comparison, anything mt did not make or an input is refused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sacrebleu.metrics import CHRF
from sacrebleu.metrics.base import Metric
from sacrebleu.significance import PairedTest, Result, estimate_ci

from mt.align import align
from mt.backends import resolve_backend
from mt.config import Config, load_config_with_flags, read_yaml
from mt.errors import ConfigError, MtError
from mt.io import read_text
from mt.manifest import text_sha256
from mt.quality import REFERENCE_METRICS, reference_metrics
from mt.reference import read_reference, reference_sentences
from mt.report import compare_report
from mt.rundir import claim_folder, run_dir_for
from mt.sources import Source, open_source
from mt.writers import atomic_write

log = logging.getLogger(__name__)

METRICS = tuple(REFERENCE_METRICS)  # bleu, chrf, chrf++, ter
_LOG_PREFIX = re.compile(r"^(?:DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: ")  # mt.cli's log format
BOOTSTRAP_SAMPLES = 1000


def expand_configs(paths: list[str]) -> tuple[list[str], str | None]:
    """Config paths, with any compare file (a YAML file with `systems:`) replaced by the configs it names;
    also the compare file's `name`, if any."""
    out: list[str] = []
    name = None
    for path_text in paths:
        path = Path(path_text)
        data = read_yaml(path)
        if "systems" in data:
            unknown = set(data) - {"name", "systems"}
            if unknown:
                raise ConfigError(f"{path}: unknown key '{sorted(unknown)[0]}'; a compare file has: name, systems")
            systems = data["systems"]
            if not isinstance(systems, list) or not systems or not all(isinstance(s, str) for s in systems):
                raise ConfigError(f"{path}: key 'systems' must be a non-empty list of config files")
            out += [str(path.parent / s) for s in systems]
            name = name or data.get("name")
        else:
            out.append(path_text)
    return out, name


def inputs_digest(source: Source) -> list[str]:
    return [text_sha256(d.text) for d in source.documents()]


def ensure_run(config_path: str, config: Config, input_path: str | Path | Source,
               overwrite: bool) -> tuple[Path, bool]:
    """The run folder of `config` on `input_path`, translated now unless it is already there; and whether it
    was reused. `input_path` may be a Source opened already (a folder listed once for all the systems)."""
    listed = input_path if isinstance(input_path, Source) else open_source(input_path)
    source = dataclasses.replace(listed, encoding=config.encoding, errors=config.encoding_errors,
                                 html=config.strip_html)
    run_dir = run_dir_for(config, source)
    manifest_path = run_dir / "manifest.json"
    if not overwrite and manifest_path.exists() and (run_dir / "pairs.jsonl").exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if [i["sha256"] for i in manifest.get("inputs", [])] == inputs_digest(source) \
                and manifest["counts"].get("rejected") is None:
            return run_dir, True
    command = [sys.executable, "-m", "mt.cli", "translate", "--config", config_path, "--input", source.path,
               "--output-dir", config.output_dir, "--encoding", config.encoding, "--errors", config.encoding_errors]
    if overwrite:
        command.append("--overwrite")
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1].removeprefix("mt: error: ")
        raise MtError(f"system '{config.name}' ({config_path}) failed: {last}")
    for line in proc.stderr.splitlines():  # its warnings (a clamped max_new_tokens, say), as mt translate shows them
        if line.strip():
            log.warning("system '%s': %s", config.name, _LOG_PREFIX.sub("", line))
    return Path(proc.stdout.strip().splitlines()[-1]), False


def read_pairs(run_dir: Path) -> list[dict[str, Any]]:
    with open(run_dir / "pairs.jsonl", encoding="utf-8", newline="\n") as fh:  # a record ends at "\n" only: a
        return [json.loads(line) for line in fh]  # U+2028 or U+0085 that json.dumps left raw is text in one


def reference_groups(reference: Path, baseline: list[dict[str, Any]], encoding: str = "utf-8",
                     errors: str = "strict") -> list[tuple[list[int], str]]:
    """(indices of segments, reference text) groups: one per line when the reference has one line per segment,
    else the beads `mt.align` finds between the segments (through the first system's translations) and the
    reference's sentences. The reference is read as the input is (`encoding`, `errors`)."""
    text = read_text(reference, encoding, errors)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) == len(baseline):
        return [([k], line) for k, line in enumerate(lines)]
    sentences = reference_sentences(text)
    beads = align([p["ar"] for p in baseline], sentences, [p["en"] for p in baseline])
    return [(list(b.src), " ".join(sentences[j] for j in b.tgt)) for b in beads if b.src and b.tgt]


def score_systems(names: list[str], hyps: list[list[str]], refs: list[str]) -> tuple[dict[str, dict[str, Any]],
                                                                                        dict[str, str]]:
    """Corpus scores with 95% bootstrap confidence intervals and paired bootstrap p-values against the first
    system (sacrebleu's PairedTest); returns per system per metric {score, mean, ci, p_value}, and signatures."""
    test = PairedTest(list(zip(names, hyps)), reference_metrics(), [refs], test_type="bs", n_samples=BOOTSTRAP_SAMPLES)
    test._fn = paired_bootstrap  # sacrebleu's test, with ties counted in the p-value
    signatures, results = test()
    keys = [k for k in results if k != "System"]
    table: dict[str, dict[str, Any]] = {name: {} for name in names}
    for ours, key in zip(METRICS, keys):
        for name, result in zip(names, results[key]):
            assert not isinstance(result, str)
            table[name][ours] = {"score": round(result.score, 4), "mean": _round(result.mean),
                                 "ci": _round(result.ci), "p_value": _round(result.p_value)}
    return table, {ours: str(signatures[key]) for ours, key in zip(METRICS, keys)}


def paired_bootstrap(baseline_info: dict[str, tuple[Any, Result]], sys_name: str, hypotheses: Sequence[str],
                     references: Sequence[Sequence[str]] | None, metrics: dict[str, Metric],
                     n_samples: int = BOOTSTRAP_SAMPLES, n_ar_confidence: int = -1,
                     seed: int | None = None) -> tuple[str, dict[str, Result]]:
    """sacrebleu's paired bootstrap test (`sacrebleu.significance._paired_bs_test`: the same resamples, scores
    and confidence intervals) with one change: the p-value is the share of resamples whose centred difference is
    at least the observed one, P(T >= t). sacrebleu counts only the greater ones, so two systems that score
    alike on every resample (the same output, or BLEU 0 against 0) got p = 1/(n+1): "significant". Here they
    get p = 1."""
    rng = np.random.default_rng(seed)
    idxs = rng.choice(len(hypotheses), size=(n_samples, len(hypotheses)), replace=True)
    results = {}
    for name, metric in metrics.items():
        bl_stats, bl_result = baseline_info[name]
        sys_stats = metric._extract_corpus_statistics(hypotheses, references)
        sys_score = metric._aggregate_and_compute(sys_stats)
        sys_array, bl_array = np.array(sys_stats, dtype="float32"), np.array(bl_stats, dtype="float32")
        observed = abs(bl_result.score - sys_score.score)
        scores_bl = np.array([metric._compute_score_from_stats(s.sum(0)).score for s in bl_array[idxs]])
        scores_sys = np.array([metric._compute_score_from_stats(s.sum(0)).score for s in sys_array[idxs]])
        sys_mean, sys_ci = estimate_ci(scores_sys)
        diffs = np.abs(scores_sys - scores_bl)
        centred = diffs - diffs.mean()
        p_value = (int(np.sum(centred >= observed)) + 1) / (n_samples + 1)
        results[name] = Result(sys_score.score, p_value, sys_mean, sys_ci)
    return sys_name, results


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def agreement(names: list[str], hyps: list[list[str]]) -> dict[str, dict[str, float]]:
    """Corpus chrF of each system's output against each other system's, as if it were the reference."""
    chrf = CHRF()
    return {a: {b: round(chrf.corpus_score(ha, [hb]).score, 2) for b, hb in zip(names, hyps) if b != a}
            for a, ha in zip(names, hyps)}


def compare(config_paths: list[str], input_path: str | Path, reference: str | Path | None = None,
            output: str | Path | None = None, name: str | None = None, overwrite: bool = False,
            encoding: str | None = None, errors: str | None = None) -> Path:
    """Run and compare configs; writes table.md, table.json, side_by_side.jsonl and report.html. `encoding` and
    `errors` override every config's `encoding` and `encoding_errors` (as `mt translate --encoding/--errors`)."""
    paths, file_name = expand_configs(config_paths)
    if not paths:
        raise ConfigError("mt compare needs at least one config")
    configs = [resolve_backend(load_config_with_flags(p, encoding=encoding, encoding_errors=errors))
               for p in paths]  # named as `mt translate` names their runs
    names = [c.name for c in configs]
    if len(set(names)) != len(names):
        raise ConfigError(f"two configs have the same name ({', '.join(names)}); each system needs its own")
    if reference is not None:
        read_reference(reference, configs[0].encoding, configs[0].encoding_errors)  # missing or empty: an error now
    source = open_source(input_path)  # listed once: a skipped entry is named once, not once per system
    title = name or file_name or "-".join(names)[:80]
    identity = compare_identity(configs, input_path, reference)
    out = Path(output) if output else Path(configs[0].output_dir) / compare_folder_name(title, identity)
    with claim_folder(out, identity, overwrite, inputs=[input_path, reference, *config_paths, *paths]):
        write_comparison(out, title, paths, configs, source, reference, overwrite)
    return out


def compare_identity(configs: list[Config], input_path: str | Path, reference: str | Path | None) -> dict[str, Any]:
    """What a comparison's folder belongs to, in `mt.rundir`'s terms: its systems (names and config hashes, in
    order) and its input and reference (resolved paths)."""
    systems = json.dumps([[c.name, c.config_hash()] for c in configs])
    where = {"kind": "compare", "path": Path(input_path).resolve().as_posix(),
             "reference": Path(reference).resolve().as_posix() if reference is not None else None}
    return {"config_hash": hashlib.sha256(systems.encode()).hexdigest()[:8], "input": where}


def compare_folder_name(title: str, identity: dict[str, Any]) -> str:
    """`compare-<title>-<8 hex of the identity>`: another set of systems, input or reference is another folder;
    the title keeps only letters, digits, `.`, `_` and `-`, so it cannot leave the output folder."""
    safe = re.sub(r"[^\w.-]+", "-", title).strip(".-")[:60] or "systems"
    blob = json.dumps(identity, sort_keys=True, ensure_ascii=False)
    return f"compare-{safe}-{hashlib.sha256(blob.encode()).hexdigest()[:8]}"


def write_comparison(out: Path, title: str, paths: list[str], configs: list[Config], source: Source,
                     reference: str | Path | None, overwrite: bool) -> None:
    """Run (or reuse) every system's run and write the comparison's files into `out`."""
    names = [c.name for c in configs]
    input_path = source.path
    runs = [ensure_run(p, c, source, overwrite) for p, c in zip(paths, configs)]
    pairs = [read_pairs(run_dir) for run_dir, _ in runs]
    manifests = [json.loads((run_dir / "manifest.json").read_text(encoding="utf-8")) for run_dir, _ in runs]
    ids = [p["id"] for p in pairs[0]]
    for cfg, system_pairs in zip(configs[1:], pairs[1:]):
        if [p["id"] for p in system_pairs] != ids:
            raise MtError(f"systems '{configs[0].name}' and '{cfg.name}' segment the input differently "
                          "(check repair_glued, encoding and strip_html); compare needs the same segments")

    table: dict[str, Any] = {"name": title, "input": str(input_path),
                             "reference": str(reference) if reference else None, "systems": []}
    scores: dict[str, dict[str, Any]] = {}
    groups: list[tuple[list[int], str]] = []
    if reference is not None:
        groups = reference_groups(Path(reference), pairs[0], configs[0].encoding, configs[0].encoding_errors)
        refs = [text for _, text in groups]
        hyps = [[" ".join(system[k]["en"] for k in idx if system[k]["en"]) for idx, _ in groups] for system in pairs]
        scores, table["signatures"] = score_systems(names, hyps, refs)
        table["aligned_segments"] = sum(len(idx) for idx, _ in groups)
        table["reference_groups"] = len(groups)
    else:
        table["agreement"] = agreement(names, [[p["en"] for p in system] for system in pairs])
    for cfg, (run_dir, reused), system, manifest in zip(configs, runs, pairs, manifests):
        qualities = [p["quality"] for p in system if p.get("quality") is not None]
        seconds = manifest["timings"].get("translate_s") or 0
        tokens = manifest["counts"].get("output_tokens") or 0
        table["systems"].append({
            "system": cfg.name, "run_dir": str(run_dir), "reused": reused, "model": cfg.model,
            "backend": cfg.backend, "metrics": scores.get(cfg.name, {}),
            "mean_quality": round(sum(qualities) / len(qualities), 4) if qualities else None,
            "flagged": sum(bool(p["flags"]) for p in system), "pairs": len(system),
            "segments_per_s": round(len(system) / seconds, 3) if seconds else None,
            "tokens_per_s": round(tokens / seconds, 1) if seconds else None,
            "peak_rss_mb": manifest.get("resources", {}).get("peak_rss_mb"),
            "model_size_mb": manifest["model"].get("size_mb"),
        })
    ref_of = {k: text for idx, text in groups for k in idx}
    side = [{"id": ids[k], "ar": pairs[0][k]["ar"], "ref": ref_of.get(k),
             "systems": {n: {f: system[k].get(f) for f in ("en", "quality", "score", "flags", "reasons")}
                         for n, system in zip(names, pairs)}}
            for k in range(len(ids))]

    atomic_write(out / "table.json", json.dumps(table, ensure_ascii=False, indent=2) + "\n")
    atomic_write(out / "table.md", markdown_table(table))
    atomic_write(out / "side_by_side.jsonl", "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in side))
    atomic_write(out / "report.html", compare_report(table, side))


def markdown_table(table: dict[str, Any]) -> str:
    has_ref = bool(table.get("reference"))
    head = ["system"] + ([m for m in METRICS] if has_ref else []) + [
        "mean quality", "flagged", "segments/s", "tokens/s", "peak RSS MB", "model MB"]
    lines = [f"# Comparison: {table['name']}", "",
             f"Input `{table['input']}`" + (f", reference `{table['reference']}` ({table['reference_groups']} "
                                             f"aligned groups)" if has_ref else ", no reference") + ".", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for k, row in enumerate(table["systems"]):
        cells = [row["system"] + (" (baseline)" if k == 0 else "")]
        if has_ref:
            for m in METRICS:
                r = row["metrics"][m]
                p = "" if r["p_value"] is None else f" (p={r['p_value']:.4f})"
                cells.append(f"{r['score']:.2f} ± {r['ci']:.2f}{p}")
        cells += [_fmt(row["mean_quality"], 3), str(row["flagged"]), _fmt(row["segments_per_s"], 2),
                  _fmt(row["tokens_per_s"], 1), _fmt(row["peak_rss_mb"], 0), _fmt(row["model_size_mb"], 2)]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    if has_ref:
        lines.append("Scores ± half the 95% bootstrap confidence interval; p: paired bootstrap resampling against "
                     f"the baseline ({BOOTSTRAP_SAMPLES} samples).")
        lines += ["", *(f"- {m}: `{sig}`" for m, sig in table["signatures"].items())]
    else:
        names = [r["system"] for r in table["systems"]]
        lines += ["Agreement (chrF of the row's output against the column's):", "",
                  "| | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
        for a in names:
            lines.append(f"| {a} | " + " | ".join(_fmt(table["agreement"][a].get(b), 1) for b in names) + " |")
    return "\n".join(lines) + "\n"


def _fmt(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"
