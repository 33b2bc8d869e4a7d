"""Corpus mode at scale, on the tiny test model: peak memory for 1,000 vs 10,000 short documents through the
local engine (it must not grow with the corpus), and Ray throughput with 1 vs 2 workers.

    python benchmarks/corpus.py                 # both parts
    python benchmarks/corpus.py --memory-only   # skip Ray

Each run is a separate `mt translate` process; its peak RSS is read from its manifest (VmHWM).
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
WORK = Path(os.environ.get("MT_BENCH_DIR", "/tmp/mt-bench")) / "corpus"
SENTENCES = [
    "نفى المتحدث باسم الخارجية الروسية الأنباء عن لقاء مرتقب.",
    "وقال إن موسكو لن تتدخل في شؤون سوريا الداخلية.",
    "وأضاف أن الاجتماع سيعقد في 26 تشرين الثاني في اسطنبول.",
    "وكانت وكالة أنباء تركية قد ذكرت أن لافروف سيلتقي المعارضة.",
]


def corpus(n: int) -> Path:
    path = WORK / f"docs-{n}.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            for k in range(n):
                text = f"({k}) {SENTENCES[k % 4]} {SENTENCES[(k + 1) % 4]}"
                fh.write(json.dumps({"id": f"d{k}", "text": text}, ensure_ascii=False) + "\n")
    return path


# A model big enough that translation, not Ray's bookkeeping, dominates (the tiny test model is too cheap).
MEDIUM = {"d_model": 256, "encoder_layers": 3, "decoder_layers": 3, "encoder_attention_heads": 4,
          "decoder_attention_heads": 4, "encoder_ffn_dim": 1024, "decoder_ffn_dim": 1024,
          "max_position_embeddings": 256}


def model(size: str = "tiny") -> Path:
    path = WORK / f"{size}-marian"
    if not (path / "config.json").exists():
        from tests.conftest import seed_text
        from tests.tiny_models import build_marian

        if size == "tiny":
            build_marian(seed_text(), path)
        else:
            build_marian(seed_text(), path, dims=MEDIUM, vocab_size=1000, model_vocab=16000)
    return path


def config(name: str, threads: int = 0, size: str = "tiny") -> Path:
    path = WORK / f"{name}.yaml"
    path.write_text(f"name: {name}\nmodel: {model(size)}\nbeam_size: 2\nmax_new_tokens: 16\nmax_input_tokens: 64\n"
                    f"num_threads: {threads}\noutput_dir: {WORK / 'runs'}\n", encoding="utf-8")
    return path


def run(cfg: Path, source: Path, *extra: str) -> dict:
    clock = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mt.cli", "translate", "--config", str(cfg), "--input",
                           str(source), "--overwrite", *extra], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    wall = time.perf_counter() - clock
    manifest = json.loads((Path(proc.stdout.strip().splitlines()[-1]) / "manifest.json").read_text())
    return {"wall_s": round(wall, 1), "pairs": manifest["counts"]["pairs"],
            "translate_s": manifest["timings"].get("translate_s"),
            "peak_rss_mb": manifest["resources"]["peak_rss_mb"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory-only", action="store_true")
    parser.add_argument("--ray-docs", type=int, default=500)
    parser.add_argument("--ray-only", action="store_true")
    args = parser.parse_args()
    print("| documents | pairs | wall s | peak RSS MB |\n|---|---|---|---|")
    for n in () if args.ray_only else (1000, 10000):
        row = run(config(f"mem-{n}"), corpus(n))
        print(f"| {n} | {row['pairs']} | {row['wall_s']} | {row['peak_rss_mb']} |", flush=True)
    if args.memory_only:
        return
    print(f"\nRay, {args.ray_docs} documents, a d_model-256 3+3-layer Marian (16k vocabulary), local runtime, "
          "1 torch thread per worker:\n")
    print("| workers | pairs | wall s | translate s | pairs/s (translate) |\n|---|---|---|---|---|")
    for workers in (1, 2):
        row = run(config(f"ray-{workers}", threads=1, size="medium"), corpus(args.ray_docs), "--engine", "ray",
                  "--num-workers", str(workers))
        print(f"| {workers} | {row['pairs']} | {row['wall_s']} | {row['translate_s']} | "
              f"{row['pairs'] / row['translate_s']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
