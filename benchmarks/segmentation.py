"""Sentence boundary P/R/F1 of mt.text.segment beside pysbd, sentencex, spaCy's sentencizer and a plain regex.

Headline: real text we did not write, with boundaries we did not choose (benchmarks/segmentation_data.py):
paragraphs rebuilt from NTREX-128's Arabic news documents, from TICO-19's Arabic documents (Wikipedia, PubMed,
travel guides, doctor-patient conversations) and from IWSLT17 tst2016's TED talks (transcripts), and single
sentences one by one, scored as wrongly split (theirs and the UN Parallel Corpus test sets': formal, treebank-like
sentences).
Rules are chosen on the dev part; the test part is reported (`--part dev` shows the other). Then the errors per
phenomenon (the kind of site a boundary or a false split is at), the issue's phenomena on written examples, and
the speed.

Regression (self-written, not the headline): `news` = benchmarks/data/segmentation-news.txt paragraphs,
`news-glued` = the same with no space after sentence-final punctuation, `seed` = the seed article with its gold
(from ../shared, when present), `single` = benchmarks/data/segmentation-single.txt sentences that must stay whole.

Run: .venv/bin/python benchmarks/segmentation.py [--data DIR] [--part test|dev]   (DIR or $MT_SEGMENT_DATA)
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import segmentation_data as data  # noqa: E402

from mt.text.segment import CLOSERS, INVISIBLE, QUOTES, TERMINALS, split_sentences  # noqa: E402

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data" / "seed"
Splitter = Callable[[str], list[str]]
Case = tuple[str, list[str]]
_REGEX = re.compile(r"(?<=[.!?؟…])\s+")


LICENCES = {"ntrex-128": "NTREX-128 Arabic, CC BY-SA 4.0", "tico-19": "TICO-19 en-ar, CC0",
            "iwslt17-tst2016-ar-en": "IWSLT17 TED tst2016 ar-en (WIT3), CC BY-NC-ND 3.0",
            "un-v1.0-testsets": "UN Parallel Corpus v1.0 test sets, UN terms (free use, source acknowledged)"}


def regression_paragraphs(glued: bool) -> list[Case]:
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


MARKS = {"<RLM>": "\u200f", "<ALM>": "\u061c", "<ZWJ>": "\u200d"}


def written_phenomena() -> dict[str, list[Case]]:
    """benchmarks/data/segmentation-phenomena.txt: `## name`, then paragraphs of gold sentences."""
    out: dict[str, list[Case]] = {}
    name = ""
    text = (HERE / "data" / "segmentation-phenomena.txt").read_text(encoding="utf-8")
    for mark, char in MARKS.items():
        text = text.replace(mark, char)
    for block in text.split("\n\n"):
        lines = [ln for ln in block.splitlines() if ln.strip() and not ln.startswith("# ")]
        if lines and lines[0].startswith("## "):
            name = lines.pop(0)[3:].strip()
        if lines:
            out.setdefault(name, []).append((" ".join(lines), lines))
    return out


def seed() -> list[Case]:
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


def score(split: Splitter, cases: list[Case]) -> tuple[float, float, float]:
    tp = fp = fn = 0
    for text, gold in cases:
        want, got = ends(text, gold), ends(text, split(text))
        tp += len(want & got)
        fp += len(got - want)
        fn += len(want - got)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def loses_text(split: Splitter, cases: list[Case]) -> int:
    """Paragraphs whose sentences do not hold every visible character of the paragraph, in order."""
    def visible(t: str) -> str:
        return "".join(c for c in t if not c.isspace() and c not in INVISIBLE)

    return sum(1 for text, _ in cases if "".join(visible(x) for x in split(text)) != visible(text))


def wrongly_split(split: Splitter, sentences: list[str]) -> int:
    return sum(1 for s in sentences if len([x for x in split(s) if x.strip()]) > 1)


PHENOMENA = ("period", "ellipsis", "question", "exclamation", "quote", "no punctuation")


def phenomenon(text: str, pos: int) -> str:
    """The kind of site a boundary at `pos` (end of the previous sentence) is."""
    before = text[:pos].rstrip()
    core = before.rstrip(CLOSERS + QUOTES)
    if core != before:
        return "quote" if core[-1:] in TERMINALS else "no punctuation"
    if core.endswith(("...", "…", "..")):
        return "ellipsis"
    last = core[-1:]
    if last in "?؟":
        return "question"
    if last in "!":
        return "exclamation"
    if last in TERMINALS:
        return "period"
    return "no punctuation"


def errors_by_phenomenon(split: Splitter, cases: list[Case]) -> dict[str, tuple[int, int, int]]:
    """For each phenomenon: gold boundaries there, missed ones, false splits."""
    gold_n: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    false: Counter[str] = Counter()
    for text, gold in cases:
        want, got = ends(text, gold), ends(text, split(text))
        for pos in want:
            gold_n[phenomenon(text, pos)] += 1
        for pos in want - got:
            missed[phenomenon(text, pos)] += 1
        for pos in got - want:
            false[phenomenon(text, pos)] += 1
    return {k: (gold_n[k], missed[k], false[k]) for k in PHENOMENA}


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
    try:
        import spacy

        nlp = spacy.blank("ar")
        nlp.add_pipe("sentencizer")
        nlp.max_length = 10**8
        out["spaCy sentencizer"] = lambda t: [s.text for s in nlp(t).sents]
    except ImportError:
        print("spaCy is not installed; pip install spacy", file=sys.stderr)
    out["regex"] = lambda t: _REGEX.split(t)
    return out


def table(title: str, sets: dict[str, list[Case]], singles: dict[str, list[str]],
          splitters: dict[str, Splitter]) -> None:
    sets = {k: v for k, v in sets.items() if v}
    bounds = {k: sum(len(g) - 1 for _, g in v) for k, v in sets.items()}
    cols = [f"{k} P / R / F1 ({bounds[k]} boundaries, {len(v)} paragraphs)" for k, v in sets.items()]
    cols += [f"{k}: wrongly split of {len(v)} (per 1,000)" for k, v in singles.items()]
    print(f"\n{title}\n")
    print(f"| system | {' | '.join(cols)} | paragraphs losing text |")
    print("|---|" + "---|" * (len(cols) + 1))
    for name, split in splitters.items():
        cells = []
        for cases in sets.values():
            p, r, f = score(split, cases)
            cells.append(f"{p:.3f} / {r:.3f} / {f:.3f}")
        for sentences in singles.values():
            wrong = wrongly_split(split, sentences)
            cells.append(f"{wrong} ({1000 * wrong / max(1, len(sentences)):.1f})")
        cells.append(str(sum(loses_text(split, cases) for cases in sets.values())))
        print(f"| {name} | {' | '.join(cells)} |")


def phenomena_table(title: str, cases: list[Case], splitters: dict[str, Splitter]) -> None:
    rows = {name: errors_by_phenomenon(split, cases) for name, split in splitters.items()}
    first = next(iter(rows.values()))
    print(f"\n{title}: missed boundaries / false splits at each kind of site (gold boundaries there)\n")
    print("| system | " + " | ".join(f"{k} ({first[k][0]})" for k in PHENOMENA) + " |")
    print("|---|" + "---|" * len(PHENOMENA))
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(f"{row[k][1]} / {row[k][2]}" for k in PHENOMENA) + " |")


EDGE = " \t\n" + INVISIBLE  # marks at a sentence's edge may lie inside it or between sentences


def written_table(phenomena: dict[str, list[Case]], splitters: dict[str, Splitter]) -> None:
    names = list(phenomena)
    print("\nPhenomena of issues 13 and 21 (self-written examples, benchmarks/data/segmentation-phenomena.txt): "
          "paragraphs split exactly as the gold (invisible marks at a sentence's edge may go either side)\n")
    print("| system | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for name, split in splitters.items():
        cells = []
        for cases in phenomena.values():
            exact = sum(1 for text, gold in cases if [x.strip(EDGE) for x in split(text) if x.strip(EDGE)] ==
                        [g.strip(EDGE) for g in gold])
            cells.append(f"{exact}/{len(cases)}")
        print(f"| {name} | " + " | ".join(cells) + " |")


def speed(splitters: dict[str, Splitter], paragraphs: list[str]) -> None:
    """MB/s of each splitter on one core: mt.text.segment and the regex read the paragraphs repeated past 2 MB, the
    slower peers past 0.2 MB."""
    print("\nSpeed: CPU time of one process on one core, over the paragraphs above, repeated (MB = 10^6 bytes of "
          "UTF-8)\n")
    print("| system | MB | CPU seconds | MB/s |")
    print("|---|---|---|---|")
    size = sum(len(p.encode("utf-8")) + 1 for p in paragraphs)
    for name, split in splitters.items():
        ours = name.startswith("mt.segment") or name == "regex"
        part = paragraphs * (int((2e6 if ours else 2e5) / size) + 1)
        mb = sum(len(p.encode("utf-8")) + 1 for p in part) / 1e6
        t0 = time.process_time()  # CPU time of this process: what one core does, whatever else the machine runs
        for para in part:
            split(para)
        seconds = time.process_time() - t0
        print(f"| {name} | {mb:.2f} | {seconds:.2f} | {mb / seconds:.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help=f"folder holding ntrex-128/ (default ${data.ENV})")
    ap.add_argument("--part", choices=("test", "dev"), default="test")
    args = ap.parse_args()
    splitters = systems()
    root = data.data_root(args.data)
    if root is None:
        print(data.HOW_TO_GET)
        speed_text = [t for t, _ in regression_paragraphs(False)]
    else:
        sources = data.available(root)
        parts = {name: data.split_parts(docs)[args.part] for name, docs in sources.items()}
        news = {f"{name} paragraphs": data.paragraphs(part) for name, part in parts.items()}
        singles_real = {f"{name} single": data.singles(part) for name, part in parts.items()}
        for name, part_sentences in data.available_singles(root).items():
            singles_real[f"{name} single"] = part_sentences[args.part]
        names = [*sources, *data.available_singles(root)]
        table(f"Real text ({args.part} part; {', '.join(LICENCES[n] for n in names)}; from {root})", news,
              singles_real, splitters)
        for name, cases in news.items():
            phenomena_table(f"{name} ({args.part})", cases, splitters)
        speed_text = [t for docs in sources.values() for t, _ in data.paragraphs(docs)]
    singles = [s for s in (HERE / "data" / "segmentation-single.txt").read_text(encoding="utf-8").splitlines() if s]
    written_table(written_phenomena(), splitters)
    table("Regression (self-written sets, not the headline)",
          {"news": regression_paragraphs(False), "news-glued": regression_paragraphs(True), "seed": seed()},
          {"single": singles}, splitters)
    speed(splitters, speed_text)


if __name__ == "__main__":
    main()
