"""Boundary precision/recall/F1 of mt.segment next to pysbd and sentencex on a small Arabic test set.

Sets: `news` = paragraphs in benchmarks/data/segmentation-news.txt (one gold sentence per line, blank line between
paragraphs) joined with spaces; `news-glued` = the same with no space after sentence-final punctuation, as scraped
news often is; `seed` = the seed article with its gold split (from ../shared, when present); `single` = sentences
that must not be split (benchmarks/data/segmentation-single.txt), scored as the number wrongly split.

Run: .venv/bin/python benchmarks/segmentation.py
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from mt.segment import TERMINALS, split_sentences

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data" / "seed"
Splitter = Callable[[str], list[str]]


def paragraphs(glued: bool) -> list[tuple[str, list[str]]]:
    blocks = (HERE / "data" / "segmentation-news.txt").read_text(encoding="utf-8").strip().split("\n\n")
    cases = []
    for block in blocks:
        sents = [s.strip() for s in block.splitlines() if s.strip()]
        text = sents[0]
        for s in sents[1:]:
            ends_punct = text.rstrip("\"»”)")[-1:] in TERMINALS
            text += ("" if glued and ends_punct else " ") + s
        cases.append((text, sents))
    return cases


def seed() -> list[tuple[str, list[str]]]:
    if not SHARED.exists():
        return []
    text = (SHARED / "article-000.ar.txt").read_text(encoding="utf-8")
    gold = (SHARED / "article-000.sentences.ar.txt").read_text(encoding="utf-8").splitlines()
    return [(text, gold)]


def ends(text: str, sentences: list[str]) -> set[int]:
    """Boundary offsets: where each sentence but the last ends in `text`."""
    out, pos = [], 0
    for s in sentences:
        s = s.strip()
        if not s:
            continue
        at = text.find(s, pos)
        if at < 0:  # the splitter changed the text: locate by its first characters
            at = text.find(s[:10], pos)
            if at < 0:
                continue
        pos = at + len(s)
        out.append(pos)
    return set(out[:-1])


def score(split: Splitter, cases: list[tuple[str, list[str]]]) -> tuple[float, float, float]:
    tp = fp = fn = 0
    for text, gold in cases:
        want, got = ends(text, gold), ends(text, split(text))
        tp += len(want & got)
        fp += len(got - want)
        fn += len(want - got)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def systems() -> dict[str, Splitter]:
    out: dict[str, Splitter] = {
        "mt.segment": lambda t: [s.text for s in split_sentences(t)],
        "mt.segment (repair_glued)": lambda t: [s.text for s in split_sentences(t, repair_glued=True)],
    }
    try:
        import pysbd

        seg = pysbd.Segmenter(language="ar", clean=False)
        out["pysbd"] = lambda t: seg.segment(t)
    except ImportError:
        print("pysbd is not installed; pip install pysbd", file=sys.stderr)
    try:
        from sentencex import segment

        out["sentencex"] = lambda t: list(segment("ar", t))
    except ImportError:
        print("sentencex is not installed; pip install sentencex", file=sys.stderr)
    return out


def main() -> None:
    sets = {"news": paragraphs(False), "news-glued": paragraphs(True), "seed": seed()}
    singles = [s for s in (HERE / "data" / "segmentation-single.txt").read_text(encoding="utf-8").splitlines() if s]
    n_bounds = {k: sum(len(g) - 1 for _, g in v) for k, v in sets.items()}
    head = " | ".join(f"{k} P / R / F1 ({n_bounds[k]} boundaries)" for k in sets if sets[k])
    print(f"| system | {head} | single: wrongly split of {len(singles)} |")
    print("|---|" + "---|" * (sum(1 for v in sets.values() if v) + 1))
    for name, split in systems().items():
        cells = []
        for cases in sets.values():
            if cases:
                p, r, f = score(split, cases)
                cells.append(f"{p:.3f} / {r:.3f} / {f:.3f}")
        wrong = sum(1 for s in singles if len([x for x in split(s) if x.strip()]) > 1)
        print(f"| {name} | {' | '.join(cells)} | {wrong} |")


if __name__ == "__main__":
    main()
