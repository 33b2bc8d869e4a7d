"""Corpus mode at scale: the Ray driver's peak memory for 10,000 vs 200,000 short documents (it must not grow
with the corpus: the documents are read by Ray tasks, the driver holds one chunk), and Ray throughput with
1, 2 ... workers of one thread each (the unit of the README's layout for N GPU nodes).

    python benchmarks/corpus.py                          # both tables
    python benchmarks/corpus.py --memory-docs 1000,20000 --workers 1,2,4 --local-memory

Each run is a separate `mt translate` process; its peak RSS is read from its manifest (VmHWM).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
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


def write_corpus(name: str, n: int, text_of: Callable[[int], str]) -> Path:
    """`WORK/name-n.jsonl`: n documents `{"id": "dK", "text": text_of(K)}` (written once, then reused)."""
    path = WORK / f"{name}-{n}.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            for k in range(n):
                fh.write(json.dumps({"id": f"d{k}", "text": text_of(k)}, ensure_ascii=False) + "\n")
    return path


def corpus(n: int) -> Path:
    return write_corpus("docs", n, lambda k: f"({k}) {SENTENCES[k % 4]} {SENTENCES[(k + 1) % 4]}")


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
                           str(source), "--overwrite", *extra], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    wall = time.perf_counter() - clock
    manifest = json.loads((Path(proc.stdout.strip().splitlines()[-1]) / "manifest.json").read_text())
    return {"wall_s": round(wall, 1), "pairs": manifest["counts"]["pairs"],
            "translate_s": manifest["timings"].get("translate_s"),
            "peak_rss_mb": manifest["resources"]["peak_rss_mb"],
            "private_mb": manifest["resources"].get("peak_private_mb"),
            "shared_mb": manifest["resources"].get("peak_object_store_pages_mb")}


def short_corpus(n: int) -> Path:
    """n documents of one short sentence each (numbered, so no two are equal)."""
    return write_corpus("short", n, lambda k: f"({k}) {SHORT[k % 4]}")


SHORT = ["نفى المتحدث الأنباء.", "وقال إن موسكو لن تتدخل.", "وأضاف أن الاجتماع سيعقد.", "وذكرت وكالة أنباء تركية."]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory-docs", default="10000,200000", help="corpus sizes for the Ray driver's memory")
    parser.add_argument("--workers", default="1,2", help="Ray worker counts for the throughput table")
    parser.add_argument("--ray-docs", type=int, default=500, help="documents for the throughput table")
    parser.add_argument("--local-memory", action="store_true", help="also the local engine, 1,000 vs 10,000")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-workers", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the start")
    if args.local_memory:
        print("\nLocal engine, documents of two sentences:\n")
        print("| documents | pairs | wall s | peak RSS MB |\n|---|---|---|---|")
        for n in (1000, 10000):
            row = run(config(f"mem-{n}"), corpus(n))
            print(f"| {n} | {row['pairs']} | {row['wall_s']} | {row['peak_rss_mb']} |", flush=True)
    if not args.skip_memory:
        print("\nRay driver's peak RSS (VmHWM of the `mt translate` process; the readers, segmenters and actors are "
              "other processes), documents of one short sentence, tiny model (beam 1, 4 new tokens), 2 workers:\n")
        print("| documents | pairs | wall s | pairs/s | driver peak RSS MB | of it private (sampled) | "
              "object-store pages (sampled) |\n|---|---|---|---|---|---|---|")
        rss, private = [], []
        cfg = WORK / "ray-mem.yaml"
        cfg.write_text(f"name: ray-mem\nmodel: {model()}\nbeam_size: 1\nmax_new_tokens: 4\nmax_input_tokens: 64\n"
                       f"num_threads: 1\noutput_dir: {WORK / 'runs'}\n", encoding="utf-8")
        for n in (int(x) for x in args.memory_docs.split(",")):
            row = run(cfg, short_corpus(n), "--engine", "ray", "--num-workers", "2")
            rss.append(row["peak_rss_mb"])
            private.append(row["private_mb"])
            print(f"| {n} | {row['pairs']} | {row['wall_s']} | {row['pairs'] / row['wall_s']:.0f} | "
                  f"{row['peak_rss_mb']} | {row['private_mb']} | {row['shared_mb']} |", flush=True)
        growth = 100 * (rss[-1] / rss[0] - 1)
        print(f"\nlargest vs smallest corpus: driver peak RSS {growth:+.1f} % (goal: within 10 %), private memory "
              f"{100 * (private[-1] / private[0] - 1):+.1f} %")
    if args.skip_workers:
        return
    print(f"\nRay throughput, {args.ray_docs} documents, a d_model-256 3+3-layer Marian (16k vocabulary), local "
          "runtime, 1 torch thread per worker:\n")
    print("| workers | pairs | wall s | translate s | pairs/s (translate) | vs 1 worker |\n|---|---|---|---|---|---|")
    base = None
    for workers in (int(x) for x in args.workers.split(",")):
        row = run(config(f"ray-{workers}", threads=1, size="medium"), corpus(args.ray_docs), "--engine", "ray",
                  "--num-workers", str(workers))
        rate = row["pairs"] / row["translate_s"]
        base = base or rate
        print(f"| {workers} | {row['pairs']} | {row['wall_s']} | {row['translate_s']} | {rate:.1f} | "
              f"{rate / base:.2f}x |", flush=True)
    load = os.getloadavg()
    print(f"\nload average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the end")


if __name__ == "__main__":
    main()
