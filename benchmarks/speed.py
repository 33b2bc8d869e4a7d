"""Translation speed on a CPU: the usual per-segment loop against batching, mt's backends and the raw engine.

Builds, offline, a MarianMT with opus-mt-ar-en's dimensions (d_model 512, 6+6 layers, 8 heads, FFN 2048, a
62k vocabulary) and random weights, with the end token disabled so that every system writes exactly
OUTPUT_TOKENS tokens per segment. Each system runs in its own process (so its peak RSS is its own), loads the
model, warms up on a few segments, and is then timed on the same SEGMENTS distinct segments with beam 4.

    python benchmarks/speed.py            # all systems; writes benchmarks/results.json
    python benchmarks/speed.py --quick    # fewer segments, for a smoke test

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
    from mt.segment import split_sentences

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

        from mt.backends.ct2 import CT2Translator

        mt_translator = CT2Translator(config_for(model, "ct2", "int8"))  # type: ignore[arg-type]
        raw = ctranslate2.Translator(str(mt_translator.path), device="cpu", compute_type="int8",
                                     intra_threads=THREADS)
        tokens = mt_translator.tokenize(texts)  # pre-tokenized: the engine alone is timed

        def run_raw(batch: list[str]) -> None:
            index = {t: i for i, t in enumerate(texts)}
            raw.translate_batch([tokens[index[t]] for t in batch], beam_size=BEAM, max_batch_size=4096,
                                batch_type="tokens", max_decoding_length=OUTPUT_TOKENS - 1)

        return run_raw, texts[:4]
    from mt.backends import load_translator
    from mt.batching import translate_all

    backend, compute, dtype = {"mt_hf": ("hf", "auto", "auto"), "mt_hf_int8": ("hf", "auto", "int8"),
                               "mt_ct2_int8": ("ct2", "int8", "auto"),
                               "mt_ct2_float32": ("ct2", "float32", "auto")}[system]
    config = config_for(model, backend, compute, dtype)
    translator = load_translator(config)  # type: ignore[arg-type]

    def run_mt(batch: list[str]) -> None:
        translate_all(batch, translator.translate_batch, translator.count_tokens, 4096)

    return run_mt, texts[:4]


def measure(system: str, n: int) -> dict[str, float | None]:
    from mt.manifest import peak_rss_mb

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
    from mt.backends.ct2 import CT2Translator
    from mt.batching import token_batches, translate_all

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 segments instead of 120")
    parser.add_argument("--system", choices=(*SYSTEMS, "duplicates"), help=argparse.SUPPRESS)
    parser.add_argument("--segments", type=int, default=120)
    args = parser.parse_args()
    n = 40 if args.quick else args.segments
    if args.system == "duplicates":
        print(json.dumps(measure_duplicates(n // 2, 3)))
        return
    if args.system:
        print(json.dumps(measure(args.system, n)))
        return
    WORK.mkdir(parents=True, exist_ok=True)
    build_model(WORK / "opus-mt-sized")
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
    out = {**results, "duplicates": duplicates,
           "settings": {"segments": n, "beam": BEAM, "output_tokens": OUTPUT_TOKENS, "threads": THREADS,
                        "dims": OPUS_DIMS, "vocab": VOCAB}}
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
