"""Sentence alignment: beads found on a gold set made from the seed article, the ladder format, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sacrebleu

from benchmarks.alignment import cases, noisy
from mt.align import Bead, align, chrf, gale_church, lax_f1, numbers, parse_ladder, strict_f1
from mt.cli import main


@pytest.fixture(scope="module")
def seed_pair(shared_seed: Path) -> tuple[list[str], list[str]]:
    ar = (shared_seed / "article-000.sentences.ar.txt").read_text(encoding="utf-8").splitlines()
    en = (shared_seed / "article-000.en.txt").read_text(encoding="utf-8").splitlines()
    return ar, en


def test_gold_cases_are_aligned_exactly(seed_pair: tuple[list[str], list[str]]) -> None:
    for name, src, tgt, mt, gold in cases(*seed_pair):
        found = align(src, tgt, mt)
        assert [(b.src, b.tgt) for b in found] == [(b.src, b.tgt) for b in gold], name


def test_aligner_beats_the_length_only_baseline(seed_pair: tuple[list[str], list[str]]) -> None:
    from mt.align import AlignWeights

    ours, baseline = [], []
    for _, src, tgt, mt, gold in cases(*seed_pair):
        ours.append(strict_f1(gold, align(src, tgt, mt))[2])
        baseline.append(strict_f1(gold, align(src, tgt, mt, use_similarity=False,
                                              weights=AlignWeights(numbers=0.0)))[2])
    assert sum(ours) / len(ours) >= 0.95
    assert sum(ours) > sum(baseline)


def test_a_shuffled_pair_of_sentences_is_not_forced_into_1_1(seed_pair: tuple[list[str], list[str]]) -> None:
    ar, en = seed_pair
    tgt = [*en[:3], en[4], en[3], *en[5:]]  # two English sentences swapped
    beads = align(ar, tgt, [noisy(s) for s in en])
    pairs = {(b.src, b.tgt) for b in beads}
    assert ((0,), (0,)) in pairs and ((11,), (11,)) in pairs
    assert ((3,), (3,)) not in pairs  # Arabic 3 is never paired with the wrong sentence


def test_chrf_matches_sacrebleu() -> None:
    from sacrebleu.metrics.helpers import extract_all_char_ngrams

    hyp, ref = "the minister denied the reports on thursday", "The Minister denied reports on Thursday."
    ours = chrf(extract_all_char_ngrams(hyp, 6), extract_all_char_ngrams(ref, 6))
    assert ours == pytest.approx(sacrebleu.sentence_chrf(hyp, [ref]).score, abs=1e-9)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("في 26 تشرين الثاني/نوفمبر", {"26"}),
        ("في ٢٦ تشرين الثاني عام ٢٠١٢", {"26", "2012"}),
        ("بنسبة ٣٫٥ بالمئة و1,250 حالة", {"3.5", "1250"}),
        ("لا أرقام هنا", set()),
    ],
)
def test_numbers_are_normalised(text: str, expected: set[str]) -> None:
    assert numbers(text) == expected


def test_gale_church_prefers_expected_lengths() -> None:
    assert gale_church(100, 110, 1.1) == pytest.approx(0.0, abs=1e-6)
    assert gale_church(100, 300, 1.1) > gale_church(100, 150, 1.1) > gale_church(100, 112, 1.1)


def test_ladder_round_trip_and_scores() -> None:
    beads = [Bead((0, 1), (0,), 0.8312), Bead((2,), (), 0.0), Bead((), (1,), 0.0), Bead((3,), (2, 3), 0.5)]
    text = "\n".join(b.ladder() for b in beads)
    assert text.splitlines() == ["[0, 1]:[0]:0.8312", "[2]:[]:0.0000", "[]:[1]:0.0000", "[3]:[2, 3]:0.5000"]
    assert parse_ladder(text) == beads
    gold = [Bead((0,), (0,), 0), Bead((1,), (0,), 0), Bead((2,), (), 0)]
    found = [Bead((0, 1), (0,), 0), Bead((2,), (), 0)]
    assert strict_f1(gold, found) == pytest.approx((0.5, 1 / 3, 0.4))
    assert lax_f1(gold, found) == pytest.approx((1.0, 1.0, 1.0))


def test_align_cli_writes_ladder_tsv_and_jsonl(tmp_path: Path, seed_pair: tuple[list[str], list[str]],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    ar, en = seed_pair
    tgt = [en[0] + " " + en[1], *en[2:]]
    (tmp_path / "ar.txt").write_text("\n".join(ar) + "\n", encoding="utf-8")
    (tmp_path / "en.txt").write_text("\n".join(tgt) + "\n", encoding="utf-8")
    (tmp_path / "mt.txt").write_text("\n".join(noisy(s) for s in en) + "\n", encoding="utf-8")
    base = ["align", "--source", str(tmp_path / "ar.txt"), "--target", str(tmp_path / "en.txt"),
            "--translation", str(tmp_path / "mt.txt")]
    assert main(base) == 0
    ladder = capsys.readouterr().out.splitlines()
    assert len(ladder) == 11 and ladder[0].startswith("[0, 1]:[0]:") and ladder[1].startswith("[2]:[1]:")
    assert main([*base, "--format", "tsv"]) == 0
    rows = [r.split("\t") for r in capsys.readouterr().out.splitlines()]
    assert rows[0][:2] == ["0,1", "0"] and rows[0][4] == tgt[0]
    assert main([*base, "--format", "jsonl", "--output", str(tmp_path / "out.jsonl")]) == 0
    records = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert records[1]["src"] == [2] and records[1]["ar"] == ar[2]


def test_align_cli_rejects_a_translation_that_is_not_line_aligned(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    for name, text in (("ar.txt", "أ\nب\n"), ("en.txt", "a\nb\n"), ("mt.txt", "a\n")):
        (tmp_path / name).write_text(text, encoding="utf-8")
    code = main(["align", "--source", str(tmp_path / "ar.txt"), "--target", str(tmp_path / "en.txt"),
                 "--translation", str(tmp_path / "mt.txt")])
    assert code == 2 and "--translation has 1 lines but --source has 2" in capsys.readouterr().err


def test_align_cli_translates_the_source_with_the_config_model(tmp_path: Path, marian_config: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ar.txt").write_text("نفى المتحدث ذلك.\nوقال إن اللقاء لن يتم.\n", encoding="utf-8")
    (tmp_path / "en.txt").write_text("The spokesman denied it.\nHe said the meeting will not happen.\n")
    code = main(["align", "--source", str(tmp_path / "ar.txt"), "--target", str(tmp_path / "en.txt"),
                 "--config", str(marian_config)])
    assert code == 0
    beads = parse_ladder(capsys.readouterr().out)
    assert sorted(i for b in beads for i in b.src) == [0, 1] and sorted(j for b in beads for j in b.tgt) == [0, 1]
