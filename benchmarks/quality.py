"""Reference-free quality checks on real Arabic–English pairs: correct pairs against misaligned ones.

A misaligned pair is an Arabic sentence with the English of the pair three further on. For each set the table
gives the share of correct and of misaligned pairs that get a flag, the flags that fire most on correct pairs,
and the AUC of `quality` (correct above misaligned), with the model score left out (logprob 0), before (the
formula of commit 36ecdc8, read with git) and after (this checkout's configs/default.yaml). `--fit` prints the
length constants fitted on the calibration parts (what configs/default.yaml holds). `--config C` adds the model
score of `mt score` (forced decoding; `--reverse-config C2` for the dual cross-entropy).

Data: MT_QUALITY_DATA (or --data) is a folder with
  un-v1.0-testsets/devset.{ar,en}, testset.{ar,en}   UN Parallel Corpus v1.0 dev and test sets
  rasaif/calibration.{ar,en}, evaluation.{ar,en}     Rasāʾif classical Arabic with published translations
(their SOURCE.md files say where they come from). Calibration parts: devset, calibration; evaluation parts:
testset, evaluation.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import time
import types
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mt.config import QualityConfig, load_config  # noqa: E402
from mt.quality.checks import assess, text_length  # noqa: E402
from mt.quality.corpus import corpus_quality  # noqa: E402
from mt.quality.lexicon import CorpusLexicon  # noqa: E402

SETS = {  # name: (relative path prefix, role)
    "UN dev": ("un-v1.0-testsets/devset", "calibration"),
    "Rasaif calibration": ("rasaif/calibration", "calibration"),
    "UN test": ("un-v1.0-testsets/testset", "evaluation"),
    "Rasaif evaluation": ("rasaif/evaluation", "evaluation"),
}
SHIFT = 3
BEFORE_COMMIT = "36ecdc8"
HOW_TO_GET = ("set MT_QUALITY_DATA to a folder with un-v1.0-testsets/ (the UN Parallel Corpus v1.0 testsets, e.g. "
              "from github.com/WillSkywalker/verbos-direccionales testsets/) and rasaif/ (made from "
              "github.com/ahmedhsalghamdi/arabic-english-rasaif-corpus); see the SOURCE.md files in /work/data")

Pair = tuple[str, str]
Scorer = Callable[[str, str], tuple[float, list[str]]]


def read_pairs(prefix: Path) -> list[Pair]:
    ar = prefix.with_name(prefix.name + ".ar").read_text(encoding="utf-8").splitlines()
    en = prefix.with_name(prefix.name + ".en").read_text(encoding="utf-8").splitlines()
    if len(ar) != len(en):
        raise SystemExit(f"{prefix}: {len(ar)} Arabic lines but {len(en)} English lines")
    return [(a, e) for a, e in zip(ar, en) if a.strip() and e.strip()]


def shifted(pairs: Sequence[Pair]) -> list[Pair]:
    return [(pairs[i][0], pairs[i + SHIFT][1]) for i in range(len(pairs) - SHIFT)]


def auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """Probability that a correct pair scores above a misaligned one (ties count half): Mann–Whitney."""
    ranked = sorted([(v, 1) for v in positive] + [(v, 0) for v in negative])
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and ranked[j + 1][0] == ranked[i][0]:
            j += 1
        rank_sum += sum(label for _, label in ranked[i : j + 1]) * ((i + j) / 2 + 1)
        i = j + 1
    n_pos, n_neg = len(positive), len(negative)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def old_scorer() -> Scorer | None:
    """The quality formula of commit 36ecdc8 with its own constants, loaded from git."""
    try:
        source = subprocess.run(["git", "-C", str(ROOT), "show", f"{BEFORE_COMMIT}:mt/quality.py"],
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType("quality_before")
    sys.modules[module.__name__] = module
    exec(compile(source, f"{BEFORE_COMMIT}:mt/quality.py", "exec"), module.__dict__)  # noqa: S102
    q = QualityConfig(chars_ratio=1.25, chars_sd=0.25, words_ratio=1.25, words_sd=0.3, max_length_z=3.0)

    def score(ar: str, en: str) -> tuple[float, list[str]]:
        result = module.assess(ar, en, 0.0, q)
        return result.quality, result.flags

    return score


def new_scorer(q: QualityConfig) -> Scorer:
    def score(ar: str, en: str) -> tuple[float, list[str]]:
        result = assess(ar, en, 0.0, q)
        return result.quality or 0.0, result.flags

    return score


def lexicon_scorers(q: QualityConfig, pairs: Sequence[Pair]) -> tuple[Scorer, Scorer]:
    """As `mt score` scores a corpus: length ratios and word associations learnt from the set's pairs, each
    correct pair scored leaving itself out; the misaligned pairs are not part of the corpus."""
    lexicon = CorpusLexicon(pairs)
    q = corpus_quality(q, pairs)

    def scorer(own: bool) -> Scorer:
        def score(ar: str, en: str) -> tuple[float, list[str]]:
            result = assess(ar, en, 0.0, q, lexical=lexicon.score(ar, en, own=own))
            return result.quality or 0.0, result.flags

        return score

    return scorer(True), scorer(False)


def measure(scorer: Scorer | tuple[Scorer, Scorer], pairs: Sequence[Pair], model: Sequence[float] | None = None,
            model_shifted: Sequence[float] | None = None) -> dict:
    good_scorer, bad_scorer = scorer if isinstance(scorer, tuple) else (scorer, scorer)
    good = [good_scorer(a, e) for a, e in pairs]
    bad = [bad_scorer(a, e) for a, e in shifted(pairs)]
    out = {
        "n": len(good),
        "correct_flagged": sum(bool(f) for _, f in good) / len(good),
        "shifted_flagged": sum(bool(f) for _, f in bad) / len(bad),
        "flags": Counter(flag for _, flags in good for flag in set(flags)),
        "flags_shifted": Counter(flag for _, flags in bad for flag in set(flags)),
        "auc": auc([q for q, _ in good], [q for q, _ in bad]),
    }
    if model is not None and model_shifted is not None:
        out["auc_model"] = auc([q * m for (q, _), m in zip(good, model)],
                               [q * m for (q, _), m in zip(bad, model_shifted)])
    return out


def fit_lengths(sets: dict[str, list[Pair]]) -> dict[str, float]:
    """Expected ratio and spread per unit: the centre is the mean of each set's median log ratio (so each
    genre weighs the same); the spread is a robust sd (1.4826 × median absolute deviation from that centre) in
    length bins, fitted as sd² (1 + scale / n)."""
    fitted = {}
    for unit in ("chars", "words"):
        per_set = []
        for pairs in sets.values():
            rows = [(text_length(a, unit), text_length(e, unit)) for a, e in pairs]
            per_set.append([(n, math.log(m / n)) for n, m in rows if n and m])
        centre = statistics.fmean(statistics.median(r for _, r in rows) for rows in per_set)
        pooled = sorted(row for rows in per_set for row in rows)
        bins = 8
        xs, ys = [], []
        for k in range(bins):
            part = pooled[k * len(pooled) // bins : (k + 1) * len(pooled) // bins]
            xs.append(1 / statistics.fmean(n for n, _ in part))
            ys.append((1.4826 * statistics.median(abs(r - centre) for _, r in part)) ** 2)
        slope, intercept = statistics.linear_regression(xs, ys)
        fitted[f"{unit}_ratio"] = round(math.exp(centre), 3)
        fitted[f"{unit}_sd"] = round(math.sqrt(max(intercept, 1e-4)), 3)
        fitted[f"{unit}_scale"] = round(max(slope, 0.0) / max(intercept, 1e-4), 1)
    return fitted


def top_flags(counter: Counter, n: int, k: int = 3) -> str:
    return ", ".join(f"`{flag}` {count / n:.1%}" for flag, count in counter.most_common(k)) or "none"


def model_scores(pairs: Sequence[Pair], config: str, reverse: str | None) -> tuple[list[float], list[float]]:
    from mt.quality.corpus import load_scorers, model_adequacy

    scorers = load_scorers(config, reverse)
    good = model_adequacy([a for a, _ in pairs], [e for _, e in pairs], scorers)
    bad_pairs = shifted(pairs)
    bad = model_adequacy([a for a, _ in bad_pairs], [e for _, e in bad_pairs], scorers)
    return [g or 0.0 for g in good], [b or 0.0 for b in bad]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=os.environ.get("MT_QUALITY_DATA"), help="data folder (MT_QUALITY_DATA)")
    parser.add_argument("--config", default=str(ROOT / "configs" / "default.yaml"),
                        help="the config whose quality section is measured (default: configs/default.yaml)")
    parser.add_argument("--model-config", help="also score with this model (forced decoding, like mt score)")
    parser.add_argument("--reverse-config", help="an English→Arabic config for the dual cross-entropy")
    parser.add_argument("--fit", action="store_true", help="print the length constants fitted on calibration")
    parser.add_argument("--limit", type=int, default=0, help="at most this many pairs per set (0: all)")
    args = parser.parse_args(argv)
    if not args.data or not Path(args.data).is_dir():
        print(f"quality benchmark skipped: {HOW_TO_GET}")
        return 0
    data = Path(args.data)
    sets: dict[str, list[Pair]] = {}
    for name, (prefix, _) in SETS.items():
        path = data / prefix
        if path.with_name(path.name + ".ar").exists():
            pairs = read_pairs(path)
            sets[name] = pairs[: args.limit] if args.limit else pairs
    if not sets:
        print(f"quality benchmark skipped: no set found under {data}; {HOW_TO_GET}")
        return 0
    calibration = {k: v for k, v in sets.items() if SETS[k][1] == "calibration"}
    if args.fit and calibration:
        print("Length constants fitted on", ", ".join(calibration), "(quality section of configs/default.yaml):")
        for key, value in fit_lengths(calibration).items():
            print(f"  {key}: {value}")
        print()

    q = load_config(args.config).quality
    scorers: dict[str, object] = {"before": old_scorer(), "after": new_scorer(q), "mt score (corpus)": None}
    if scorers["before"] is None:
        print(f"(no git history: the 'before' rows need commit {BEFORE_COMMIT})")
    print("Reference-free quality (logprob 0); misaligned = Arabic with the English of the pair "
          f"{SHIFT} further on. uptime: {os.getloadavg()[0]:.1f} load")
    print()
    print("| set | part | pairs | formula | correct pairs flagged (top flags) | misaligned flagged | AUC |"
          + (" AUC with model |" if args.model_config else ""))
    print("|---|---|---|---|---|---|---|" + ("---|" if args.model_config else ""))
    results: dict[tuple[str, str], dict] = {}
    for name, pairs in sets.items():
        model = bad_model = None
        if args.model_config:
            model, bad_model = model_scores(pairs, args.model_config, args.reverse_config)
        for label, scorer in scorers.items():
            if label == "mt score (corpus)":
                scorer = lexicon_scorers(q, pairs)
            if scorer is None:
                continue
            clock = time.perf_counter()
            r = measure(scorer, pairs, model if label != "before" else None,  # type: ignore[arg-type]
                        bad_model if label != "before" else None)
            results[(name, label)] = r
            extra = f" {r['auc_model']:.3f} |" if "auc_model" in r else (" |" if args.model_config else "")
            print(f"| {name} | {SETS[name][1]} | {r['n']} | {label} | {r['correct_flagged']:.1%} "
                  f"({top_flags(r['flags'], r['n'])}) | {r['shifted_flagged']:.1%} | {r['auc']:.3f} |{extra}"
                  f"  <!-- {time.perf_counter() - clock:.1f}s -->")
    print()
    print("False alarms per flag (share of correct pairs with it; misaligned in brackets), mt score on "
          "the set as a corpus (its own length ratios and word associations; pair by pair, unrelated_words never "
          "fires):")
    print()
    names = [n for n in sets if (n, "mt score (corpus)") in results]
    print("| flag | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    last = {n: results[(n, "mt score (corpus)")] for n in names}
    flags = sorted({f for r in last.values() for f in r["flags"] | r["flags_shifted"]})
    for flag in flags:
        cells = []
        for n in names:
            r = results[(n, "mt score (corpus)")]
            cells.append(f"{r['flags'][flag] / r['n']:.1%} ({r['flags_shifted'][flag] / (r['n'] - SHIFT):.1%})")
        print(f"| `{flag}` | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
