"""Translation speed on a CPU: the usual per-segment loop against batching, mt's backends and the raw engine.

Builds, offline, a MarianMT with opus-mt-ar-en's dimensions (d_model 512, 6+6 layers, 8 heads, FFN 2048, a
62k vocabulary) and random weights, with the end token disabled so that every system writes exactly
OUTPUT_TOKENS tokens per segment. Each system runs in its own process (so its peak RSS is its own), loads the
model, warms up on a few segments, and is then timed on the same SEGMENTS distinct segments with beam 4.

    python benchmarks/speed.py                  # start-up table, then all systems; writes benchmarks/results.json
    python benchmarks/speed.py --quick          # 40 segments and one timed start-up run each, for development
    python benchmarks/speed.py --startup-only   # only the start-up table

The start-up table runs `mt translate` on the seed article with each backend (the default config, ct2 int8, hf
float32, hf int8), each in a fresh process on a converted model, and splits its wall time into interpreter +
imports, model load, segmenting, translation, scoring and writing.

transformers 5 removed `pipeline("translation")` (huggingface/transformers#43256); `hf_pipeline` does what it
did with `batch_size=16`: batches of 16 in input order, padded, one `generate` each.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORK = Path(os.environ.get("MT_BENCH_DIR", "/tmp/mt-bench"))
OPUS_DIMS = {
    "d_model": 512, "encoder_layers": 6, "decoder_layers": 6, "encoder_attention_heads": 8,
    "decoder_attention_heads": 8, "encoder_ffn_dim": 2048, "decoder_ffn_dim": 2048, "max_position_embeddings": 512,
}
VOCAB = 62_000
BEAM = 4
OUTPUT_TOKENS = 24
THREADS = os.cpu_count() or 1
SYSTEMS = ("baseline_loop", "hf_pipeline", "mt_hf", "mt_hf_int8", "mt_ct2_int8", "mt_ct2_float32", "ct2_raw_int8")


def build_model(path: Path) -> Path:
    """The opus-mt-sized Marian model, built once and reused."""
    if (path / "config.json").exists():
        return path
    import torch
    from transformers import MarianMTModel

    from tests.conftest import seed_text
    from tests.tiny_models import build_marian

    build_marian(seed_text(), path, dims=OPUS_DIMS, vocab_size=1000, model_vocab=VOCAB)
    model = MarianMTModel.from_pretrained(path)
    with torch.no_grad():
        model.final_logits_bias[0, model.config.eos_token_id] = -1e4  # never ends early: fixed output length
    model.save_pretrained(path)
    return path


def segments(n: int) -> list[str]:
    """The seed article's sentences, each copy numbered so that no two segments are equal."""
    from mt.text.segment import split_sentences

    text = (ROOT / "seeds" / "lavrov-syrian-opposition-2012.ar.txt").read_text(encoding="utf-8")
    sentences = [s.text for s in split_sentences(text, repair_glued=True)]
    out = [f"({k // len(sentences) + 1}) {sentences[k % len(sentences)]}" for k in range(n)]
    return [s[:400] for s in out]  # the longest seed sentence would exceed the model's input limit


def config_for(model: Path, backend: str, compute_type: str = "auto", dtype: str = "auto") -> object:
    from mt.config import config_from_dict

    return config_from_dict({
        "name": f"bench-{backend}", "model": str(model), "backend": backend, "compute_type": compute_type,
        "dtype": dtype,
        "beam_size": BEAM, "max_new_tokens": OUTPUT_TOKENS, "max_input_tokens": 512, "max_batch_tokens": 4096,
        "num_threads": THREADS, "intra_threads": THREADS,
    })


def make_runner(system: str, model: Path, texts: list[str]) -> tuple[object, object]:
    """(run(texts) -> None, warm-up texts) for one system, model loaded."""
    if system in ("baseline_loop", "hf_pipeline"):
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        torch.set_num_threads(THREADS)
        tok = AutoTokenizer.from_pretrained(model)
        net = AutoModelForSeq2SeqLM.from_pretrained(model).eval()
        size = 1 if system == "baseline_loop" else 16

        @torch.inference_mode()
        def run(batch: list[str]) -> None:
            for k in range(0, len(batch), size):
                inputs = tok(batch[k : k + size], return_tensors="pt", padding=True)
                out = net.generate(**inputs, num_beams=BEAM, max_new_tokens=OUTPUT_TOKENS)
                tok.batch_decode(out, skip_special_tokens=True)

        return run, texts[:4]
    if system == "ct2_raw_int8":
        import ctranslate2

        from mt.translate.ct2 import CT2Translator

        mt_translator = CT2Translator(config_for(model, "ct2", "int8"))  # type: ignore[arg-type]
        raw = ctranslate2.Translator(str(mt_translator.path), device="cpu", compute_type="int8",
                                     intra_threads=THREADS)
        tokens = mt_translator.tokenize(texts)  # pre-tokenized: the engine alone is timed

        def run_raw(batch: list[str]) -> None:
            index = {t: i for i, t in enumerate(texts)}
            raw.translate_batch([tokens[index[t]] for t in batch], beam_size=BEAM, max_batch_size=4096,
                                batch_type="tokens", max_decoding_length=OUTPUT_TOKENS - 1)

        return run_raw, texts[:4]
    from mt.translate import load_translator
    from mt.translate.batching import translate_all

    backend, compute, dtype = {"mt_hf": ("hf", "auto", "auto"), "mt_hf_int8": ("hf", "auto", "int8"),
                               "mt_ct2_int8": ("ct2", "int8", "auto"),
                               "mt_ct2_float32": ("ct2", "float32", "auto")}[system]
    config = config_for(model, backend, compute, dtype)
    translator = load_translator(config)  # type: ignore[arg-type]

    def run_mt(batch: list[str]) -> None:
        translate_all(batch, translator.translate_batch, translator.count_tokens, 4096)

    return run_mt, texts[:4]


def measure(system: str, n: int) -> dict[str, float | None]:
    from mt.outputs.manifest import peak_rss_mb

    model = build_model(WORK / "opus-mt-sized")
    os.environ.setdefault("MT_CACHE", str(WORK / "cache"))
    texts = segments(n)
    run, warm = make_runner(system, model, texts)
    run(warm)  # type: ignore[operator]
    clock = time.perf_counter()
    run(texts)  # type: ignore[operator]
    seconds = time.perf_counter() - clock
    return {"segments": len(texts), "seconds": round(seconds, 3), "segments_per_s": round(len(texts) / seconds, 3),
            "tokens_per_s": round(len(texts) * OUTPUT_TOKENS / seconds, 1),
            "peak_rss_mb": peak_rss_mb()}


def measure_duplicates(n: int, repeats: int) -> dict[str, float]:
    """mt's ct2 int8 on a corpus where each segment occurs `repeats` times, with and without removing
    duplicates before translation."""
    from mt.translate.batching import token_batches, translate_all
    from mt.translate.ct2 import CT2Translator

    model = build_model(WORK / "opus-mt-sized")
    os.environ.setdefault("MT_CACHE", str(WORK / "cache"))
    translator = CT2Translator(config_for(model, "ct2", "int8"))  # type: ignore[arg-type]
    texts = segments(n) * repeats
    translator.translate_batch(texts[:4])
    clock = time.perf_counter()
    translate_all(texts, translator.translate_batch, translator.count_tokens, 4096)
    deduped = time.perf_counter() - clock
    clock = time.perf_counter()
    for batch in token_batches(translator.count_tokens(texts), 4096):
        translator.translate_batch([texts[i] for i in batch])
    every = time.perf_counter() - clock
    return {"segments": len(texts), "distinct": n, "with_dedup_s": round(deduped, 3),
            "without_dedup_s": round(every, 3), "speedup": round(every / deduped, 2)}


STARTUP_SYSTEMS = {  # name -> config keys over configs/default.yaml
    "default (auto)": {},
    "ct2 int8": {"backend": "ct2", "compute_type": "int8"},
    "hf float32": {"backend": "hf"},
    "hf int8": {"backend": "hf", "dtype": "int8"},
}
STARTUP_TOKENS = 30


def startup_config(name: str, keys: dict[str, object], model: Path) -> Path:
    import yaml

    path = WORK / f"startup-{len(name)}-{abs(hash(name)) % 10**6}.yaml"
    data = {"extends": str(ROOT / "configs" / "default.yaml"), "name": "startup-" + name.split()[0],
            "model": str(model), "max_new_tokens": STARTUP_TOKENS, "max_input_tokens": 512,
            "output_dir": str(WORK / "startup-out"), **keys}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def timed_run(args: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str], float]:
    """Wall seconds, the finished process, and its CPU seconds (user + system: what a busy machine does not
    inflate the way it inflates wall time)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    clock = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, env=env, check=False, cwd=WORK)
    wall = time.perf_counter() - clock
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, proc, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def startup(model: Path, repeats: int) -> list[dict[str, object]]:
    """`mt translate` on the seed article, each backend in a fresh process, split into its parts: interpreter
    and mt's imports (measured alone), model load (backend imports included), segmenting, translation,
    scoring, and writing (the rest of the wall time: shards, the run's files, the manifest, exit)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MT_CACHE": str(WORK / "cache"), "HF_HUB_OFFLINE": "1"}
    seed = str(ROOT / "seeds" / "lavrov-syrian-opposition-2012.ar.txt")
    imports = [timed_run([sys.executable, "-c", "import mt.cli, mt.api, mt.pipeline, mt.inputs.sources"], env)[0]
               for _ in range(3)]
    base = sorted(imports)[1]
    rows = []
    for name, keys in STARTUP_SYSTEMS.items():
        config = startup_config(name, keys, model)
        command = [sys.executable, "-m", "mt.cli", "translate", "--config", str(config), "--input", seed,
                   "--overwrite"]
        if keys.get("backend") != "hf":
            timed_run(command, env)  # converts the model for ct2 (once) and warms the page cache
        walls, parts, cpus = [], [], []
        for _ in range(repeats):
            wall, proc, cpu = timed_run(command, env)
            cpus.append(cpu)
            if proc.returncode != 0:
                raise SystemExit(f"mt translate ({name}) failed:\n{proc.stderr[-3000:]}")
            manifest = json.loads((Path(proc.stdout.strip().splitlines()[-1]) / "manifest.json").read_text())
            walls.append(wall)
            parts.append(manifest["timings"])
        t = {k: sum(p.get(k, 0.0) for p in parts) / repeats
             for k in ("load_model_s", "read_segment_s", "translate_s", "score_s")}
        wall = sum(walls) / repeats
        signature = manifest["signature"].split("|")[2]
        rows.append({"system": name, "backend": signature, "wall_s": round(wall, 2), "imports_s": round(base, 2),
                     "load_s": round(t["load_model_s"], 2), "segment_s": round(t["read_segment_s"], 3),
                     "translate_s": round(t["translate_s"], 2), "score_s": round(t["score_s"], 3),
                     "write_s": round(wall - base - sum(t.values()), 2),
                     "overhead_s": round(wall - t["translate_s"], 2), "cpu_s": round(sum(cpus) / repeats, 2)})
        print(f"startup {name}: {rows[-1]}", file=sys.stderr)
    return rows


def import_profile(model: Path, top: int = 8) -> list[tuple[str, float]]:
    """The slowest top-level imports (cumulative, `python -X importtime`) of `mt translate` on the default config."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MT_CACHE": str(WORK / "cache"), "HF_HUB_OFFLINE": "1"}
    config = startup_config("default (auto)", {}, model)
    seed = str(ROOT / "seeds" / "lavrov-syrian-opposition-2012.ar.txt")
    _, proc, _ = timed_run([sys.executable, "-X", "importtime", "-m", "mt.cli", "translate", "--config", str(config),
                         "--input", seed, "--overwrite"], env)
    rows = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            _, cumulative, name = line[len("import time:"):].split("|")
            if cumulative.strip().isdigit() and not name.startswith("  "):
                rows.append((name.strip(), int(cumulative) / 1e6))
    return sorted(rows, key=lambda r: -r[1])[:top]


def print_startup(rows: list[dict[str, object]], profile: list[tuple[str, float]]) -> None:
    print(f"\nStart-up: `mt translate` on the seed article (12 sentences), opus-mt-ar-en dimensions (random weights, "
          f"{STARTUP_TOKENS} output tokens), beam 4, a converted/cached model, each run a fresh process; seconds\n")
    print("| system | backend | wall | interpreter + imports | model load | segment | translation | scoring | "
          "writing | wall - translation | CPU (user+sys) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['system']} | {r['backend']} | {r['wall_s']:.2f} | {r['imports_s']:.2f} | {r['load_s']:.2f} | "
              f"{r['segment_s']:.3f} | {r['translate_s']:.2f} | {r['score_s']:.3f} | {r['write_s']:.2f} | "
              f"{r['overhead_s']:.2f} | {r['cpu_s']:.2f} |")
    print("\nSlowest top-level imports of the default run (python -X importtime, cumulative s): "
          + ", ".join(f"{name} {sec:.3f}" for name, sec in profile))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 segments instead of 120")
    parser.add_argument("--system", choices=(*SYSTEMS, "duplicates"), help=argparse.SUPPRESS)
    parser.add_argument("--segments", type=int, help="distinct segments per system (default: 120, --quick: 40)")
    parser.add_argument("--startup-only", action="store_true", help="only the start-up table")
    args = parser.parse_args()
    n = args.segments or (40 if args.quick else 120)
    if args.system == "duplicates":
        print(json.dumps(measure_duplicates(n // 2, 3)))
        return
    if args.system:
        print(json.dumps(measure(args.system, n)))
        return
    WORK.mkdir(parents=True, exist_ok=True)
    model = build_model(WORK / "opus-mt-sized")
    os.environ.setdefault("MT_CACHE", str(WORK / "cache"))
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores",
          file=sys.stderr)
    startup_rows = startup(model, 1 if args.quick else 2)
    profile = import_profile(model)
    print_startup(startup_rows, profile)
    if args.startup_only:
        return
    results: dict[str, dict[str, float]] = {}
    for system in (*SYSTEMS, "duplicates"):
        proc = subprocess.run([sys.executable, __file__, "--system", system, "--segments", str(n)],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"{system} failed:\n{proc.stderr[-3000:]}")
        results[system] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{system}: {results[system]}", file=sys.stderr)
    duplicates = results.pop("duplicates")
    base, limit = results["baseline_loop"]["segments_per_s"], results["ct2_raw_int8"]["segments_per_s"]
    for row in results.values():
        row["speedup_vs_baseline"] = round(row["segments_per_s"] / base, 2)
        row["share_of_engine_limit"] = round(row["segments_per_s"] / limit, 3)
    print(f"\n{n} distinct segments, beam {BEAM}, {OUTPUT_TOKENS} output tokens each, {THREADS} threads, "
          f"opus-mt-ar-en dimensions (random weights)\n")
    print("| system | segments/s | target tokens/s | peak RSS MB | vs baseline | vs raw ct2 int8 |")
    print("|---|---|---|---|---|---|")
    for name, row in results.items():
        print(f"| {name} | {row['segments_per_s']:.2f} | {row['tokens_per_s']:.0f} | {row['peak_rss_mb']:.0f} | "
              f"{row['speedup_vs_baseline']:.1f}x | {row['share_of_engine_limit']:.0%} |")
    print(f"\nDuplicate removal (mt ct2 int8): {duplicates['segments']} segments, {duplicates['distinct']} distinct: "
          f"{duplicates['without_dedup_s']:.1f} s translating all, {duplicates['with_dedup_s']:.1f} s translating "
          f"each once ({duplicates['speedup']:.1f}x)")
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    out = {**results, "duplicates": duplicates, "startup": startup_rows, "import_profile": profile,
           "settings": {"segments": n, "beam": BEAM, "output_tokens": OUTPUT_TOKENS, "threads": THREADS,
                        "dims": OPUS_DIMS, "vocab": VOCAB}}
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
