"""Behaviour unchanged: this working tree writes the same run folders as a git ref, byte for byte.

The ref (default: where this branch left main, `git merge-base HEAD main`) is checked out in a temporary
`git worktree`. Both sides run `mt translate` on the same files with the same tiny models (tests/tiny_models.py,
built offline once): the seed article, the seed article with its English reference (`--reference`, from
../shared/data/seed; that part is left out when it is absent), and a 300-document JSONL corpus made from the seed
article's sentences; with the tiny Marian and the tiny NLLB model; on the local and the Ray engine; in chunks of
100 documents, so that the corpus is written as three shards. Both sides write into the same output folder in
turn (moved away in between), so that every path they record is the same.

Every file of every run folder is compared byte for byte, except what legitimately differs between two runs:
- `.lock` holds the PID of the run;
- `manifest.json` is compared as JSON without `timings` (seconds), `resources` (memory) and, on Ray,
  `engine.model_translations` (two actors may both translate a sentence that occurs in both their batches, or one
  may find it in the checkpoint: it depends on their timing);
- `checkpoint.sqlite` is compared by its rows (the file's pages depend on when SQLite wrote them), without the
  workers table's PIDs.
One count changed on purpose (issue 23): the Ray engine counts `unique_model_inputs` per chunk as the local engine
does (it counted per batch of 64 segments). On Ray that count is compared with the local run of the same tree,
and so are all the other counts.

    python benchmarks/same_outputs.py [--ref REF] [--engines local,ray]

Exit status 0 when every file is the same, 1 otherwise (the differences are printed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "lavrov-syrian-opposition-2012.ar.txt"
SHARED_REFERENCE = ROOT.parent / "shared" / "data" / "seed" / "article-000.en.txt"
CHUNK_DOCS = 100
DOCUMENTS = 300
VOLATILE_MANIFEST_KEYS = ("timings", "resources", "engine.model_translations")  # see the docstring
RAY_COUNTS_AS_LOCAL = ("counts.unique_model_inputs",)  # compared with the local engine's, not the ref's
# `mt translate` with chunks of CHUNK_DOCS documents (the constant lives in mt.pipeline on both sides).
CLI = (f"import sys, mt.pipeline as p; p.CHUNK_DOCS = {CHUNK_DOCS}; from mt.cli import main; "
       "sys.exit(main(sys.argv[1:]))")


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout.strip()


def seed_text() -> str:
    """The text the tiny models' tokenizers are trained on, as tests/conftest.py makes it."""
    text = SEED.read_text(encoding="utf-8")
    if SHARED_REFERENCE.exists():
        return text + "\n" + SHARED_REFERENCE.read_text(encoding="utf-8")
    return text + "\nThe spokesman for the Russian Foreign Ministry denied the reports on Thursday in Moscow."


def corpus_rows(n: int) -> list[dict[str, str]]:
    """`n` documents of two to four of the seed article's sentences, chosen by a fixed rule; every 50th is empty."""
    sys.path.insert(0, str(ROOT))
    from mt.text.segment import split_sentences

    sentences = [s.text for s in split_sentences(SEED.read_text(encoding="utf-8"))]
    rows = []
    for k in range(n):
        picked = [sentences[(k * step + 3) % len(sentences)] for step in range(1, 2 + k % 3 + 1)]
        rows.append({"id": f"doc-{k:03d}", "text": "" if k % 50 == 49 else " ".join(picked)})
    return rows


def make_inputs(folder: Path) -> dict[str, tuple[Path, Path | None]]:
    """name -> (input, reference)."""
    folder.mkdir(parents=True)
    article = folder / "article.ar.txt"
    shutil.copyfile(SEED, article)
    corpus = folder / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus_rows(DOCUMENTS)),
                      encoding="utf-8")
    inputs: dict[str, tuple[Path, Path | None]] = {"article": (article, None), "corpus": (corpus, None)}
    if SHARED_REFERENCE.exists():
        (folder / "reference").mkdir()  # not beside the article, where it would be its sidecar reference
        reference = folder / "reference" / "article.en.txt"
        shutil.copyfile(SHARED_REFERENCE, reference)
        inputs["article+reference"] = (article, reference)
    else:
        print(f"(no {SHARED_REFERENCE}: the --reference runs are left out)")
    return inputs


def make_configs(folder: Path) -> dict[str, Path]:
    sys.path.insert(0, str(ROOT))
    import yaml

    from tests.tiny_models import build_marian, build_nllb

    folder.mkdir(parents=True)
    text = seed_text()
    configs = {}
    for name, build in (("tiny-marian", build_marian), ("tiny-nllb", build_nllb)):
        model = build(text, folder / name)
        config = {"name": name, "model": str(model), "backend": "hf", "beam_size": 2, "max_new_tokens": 12,
                  "max_input_tokens": 48, "max_batch_tokens": 256}
        configs[name] = folder / f"{name}.yaml"
        configs[name].write_text(yaml.safe_dump(config), encoding="utf-8")
    return configs


def run_side(tree: Path, cases: list[tuple[str, list[str]]], out: Path, env: dict[str, str]) -> dict[str, Path]:
    """Run every case with the code of `tree`; returns case -> its run folder."""
    runs = {}
    for case, args in cases:
        clock = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CLI, "translate", *args, "--output-dir", str(out / case)],
                              cwd=tree, env={**env, "PYTHONPATH": str(tree)}, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"{tree.name}: {case} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        runs[case] = Path(proc.stdout.strip().splitlines()[-1])
        print(f"  {tree.name:>8} {case:<40} {time.perf_counter() - clock:6.1f} s", flush=True)
    return runs


def checkpoint_rows(path: Path) -> dict[str, list[Any]]:
    db = sqlite3.connect(path)
    try:
        return {"meta": sorted(db.execute("SELECT * FROM meta")),
                "translations": sorted(db.execute("SELECT source, text, score, n_tokens, run FROM translations")),
                "workers": sorted(db.execute("SELECT run, restarted FROM workers"))}  # not their PIDs
    finally:
        db.close()


def manifest_without(path: Path, left_out: tuple[str, ...]) -> dict[str, Any]:
    """The manifest as flat keys ("counts.pairs"), without those under `left_out`."""
    manifest = flat(json.loads(path.read_text(encoding="utf-8")))
    return {k: v for k, v in manifest.items() if not any(k == x or k.startswith(x + ".") for x in left_out)}


def flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested mapping as {"a.b.c": value}."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def differences(before: Path, after: Path, left_out: tuple[str, ...] = ()) -> list[str]:
    """What differs between two run folders (empty when they are the same); `left_out`: manifest keys not compared
    beyond the volatile ones."""
    names = sorted({str(p.relative_to(before)) for p in before.rglob("*") if p.is_file()}
                   | {str(p.relative_to(after)) for p in after.rglob("*") if p.is_file()})
    out = []
    for name in names:
        a, b = before / name, after / name
        if not a.is_file() or not b.is_file():
            out.append(f"{name}: only in {'the ref' if a.is_file() else 'the working tree'}")
        elif name == ".lock":
            continue  # the PID of the run that held it
        elif name == "manifest.json":
            old, new = (manifest_without(x, VOLATILE_MANIFEST_KEYS + left_out) for x in (a, b))
            keys = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
            if keys:
                out.append(f"{name}: " + ", ".join(f"{k} {old.get(k)!r:.60} -> {new.get(k)!r:.60}" for k in keys))
        elif name == "checkpoint.sqlite":
            if checkpoint_rows(a) != checkpoint_rows(b):
                out.append(f"{name}: its rows differ")
        elif a.read_bytes() != b.read_bytes():
            out.append(f"{name}: bytes differ")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", help="the git ref to compare with (default: git merge-base HEAD main)")
    parser.add_argument("--engines", default="local,ray", help="comma-separated: local, ray (default: both)")
    parser.add_argument("--only", default="", help="run only the cases whose name holds this text")
    args = parser.parse_args()
    ref = args.ref or git("merge-base", "HEAD", "main")
    engines = args.engines.split(",")
    print(f"ref {ref} ({git('rev-parse', '--short', ref)}) against the working tree of {ROOT}")
    with tempfile.TemporaryDirectory(prefix="mt-same-outputs-") as temp:
        tmp = Path(temp)
        base = tmp / "ref"
        git("worktree", "add", "--detach", str(base), ref)
        try:
            inputs = make_inputs(tmp / "inputs")
            configs = make_configs(tmp / "models")
            cases = []
            for config_name, config in configs.items():
                for input_name, (path, reference) in inputs.items():
                    for engine in engines:
                        args_ = ["--config", str(config), "--input", str(path), "--engine", engine]
                        args_ += ["--reference", str(reference)] if reference else []
                        args_ += ["--num-workers", "2"] if engine == "ray" else []
                        if args.only in f"{config_name}/{input_name}/{engine}":
                            cases.append((f"{config_name}/{input_name}/{engine}", args_))
            env = {**os.environ, "MT_CACHE": str(tmp / "cache"), "RAY_TMPDIR": str(tmp), "TQDM_DISABLE": "1"}
            out = tmp / "out"
            ref_runs = run_side(base, cases, out, env)
            out.rename(tmp / "out-ref")
            new_runs = run_side(ROOT, cases, out, env)
            failed = 0
            print("\n| case | files | same |\n|---|---|---|")
            for case, _ in cases:
                ref_dir = tmp / "out-ref" / ref_runs[case].relative_to(out)
                ray = case.endswith("/ray")
                found = differences(ref_dir, new_runs[case], RAY_COUNTS_AS_LOCAL if ray else ())
                local = case.removesuffix("/ray") + "/local"
                if ray and local in new_runs:
                    counts = [{k: v for k, v in manifest_without(d / "manifest.json", ()).items()
                               if k.startswith("counts.")} for d in (new_runs[local], new_runs[case])]
                    found += [f"{k} on Ray {counts[1].get(k)!r} but {counts[0].get(k)!r} on the local engine"
                              for k in sorted(counts[0].keys() | counts[1].keys())
                              if counts[0].get(k) != counts[1].get(k)]
                files = sum(p.is_file() for p in new_runs[case].rglob("*"))
                print(f"| {case} | {files} | {'yes' if not found else 'NO: ' + '; '.join(found)} |")
                failed += bool(found)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
    print(f"\n{len(cases) - failed} of {len(cases)} run folders the same"
          + (f" (ignored: .lock's PID, manifest {', '.join(VOLATILE_MANIFEST_KEYS)}, checkpoint.sqlite's pages"
             f" and worker PIDs; on Ray {', '.join(RAY_COUNTS_AS_LOCAL)} compared with the local engine's)"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
