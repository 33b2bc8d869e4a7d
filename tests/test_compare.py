"""`mt compare` on two tiny models: numbers equal sacrebleu called directly, runs reused, text escaped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sacrebleu

from mt.cli import main
from mt.outputs.rundir import foreign_entries
from tests.conftest import SEED_ARTICLE, write_config

pytestmark = pytest.mark.slow


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def systems(tmp_path: Path, tiny_marian: Path, tiny_nllb: Path) -> list[str]:
    common = {"beam_size": 2, "max_new_tokens": 12, "max_input_tokens": 48, "output_dir": str(tmp_path / "out")}
    a = write_config(tmp_path / "a.yaml", name="tiny-marian", model=str(tiny_marian), **common)
    b = write_config(tmp_path / "b.yaml", name="tiny-nllb", model=str(tiny_nllb), **common)
    return [str(a), str(b)]


def test_compare_with_a_line_aligned_reference(tmp_path: Path, systems: list[str], shared_seed: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    reference = shared_seed / "article-000.en.txt"
    assert main(["compare", *systems, "--input", str(SEED_ARTICLE), "--reference", str(reference),
                 "--name", "tiny"]) == 0
    printed = capsys.readouterr().out
    out = Path(printed.splitlines()[-1])  # <output_dir>/compare-<name>-<hash of the systems, input and reference>
    assert printed.startswith("# Comparison: tiny") and out.parent == tmp_path / "out"
    assert re.fullmatch(r"compare-tiny-[0-9a-f]{8}", out.name)
    assert sorted(p.name for p in out.iterdir()) == [".lock", "report.html", "run.json", "side_by_side.jsonl",
                                                     "table.json", "table.md"]
    assert foreign_entries(out) == []  # all mt's: --overwrite may replace every one of them
    table = json.loads((out / "table.json").read_text())
    refs = reference.read_text(encoding="utf-8").splitlines()
    assert table["reference_groups"] == 12  # one reference line per segment: no alignment needed
    for row in table["systems"]:
        hyps = [p["en"] for p in read_jsonl(Path(row["run_dir"]) / "pairs.jsonl")]
        assert row["metrics"]["bleu"]["score"] == round(sacrebleu.corpus_bleu(hyps, [refs]).score, 4)
        assert row["metrics"]["chrf"]["score"] == round(sacrebleu.corpus_chrf(hyps, [refs]).score, 4)
        assert row["metrics"]["chrf++"]["score"] == round(sacrebleu.corpus_chrf(hyps, [refs], word_order=2).score, 4)
        assert row["metrics"]["ter"]["score"] == round(sacrebleu.corpus_ter(hyps, [refs]).score, 4)
        assert row["metrics"]["chrf"]["ci"] > 0 and row["segments_per_s"] > 0 and row["tokens_per_s"] > 0
        assert row["peak_rss_mb"] > 0 and row["model_size_mb"] > 0 and row["reused"] is False
    baseline, other = table["systems"]
    assert baseline["metrics"]["bleu"]["p_value"] is None and 0 <= other["metrics"]["bleu"]["p_value"] <= 1
    assert table["signatures"]["bleu"].startswith("nrefs:1|bs:1000|seed:12345|case:mixed|eff:no|tok:13a")
    side = read_jsonl(out / "side_by_side.jsonl")
    assert len(side) == 12 and side[3]["ref"] == refs[3]
    assert set(side[3]["systems"]) == {"tiny-marian", "tiny-nllb"}
    assert "| tiny-marian (baseline) |" in (out / "table.md").read_text()

    # the same configs on the same input: both runs are reused, not recomputed
    stamp = (Path(baseline["run_dir"]) / "pairs.jsonl").stat().st_mtime_ns
    assert main(["compare", *systems, "--input", str(SEED_ARTICLE), "--reference", str(reference),
                 "--name", "tiny"]) == 0
    again = json.loads((out / "table.json").read_text())
    assert [r["reused"] for r in again["systems"]] == [True, True]
    assert (Path(baseline["run_dir"]) / "pairs.jsonl").stat().st_mtime_ns == stamp
    assert again["systems"][0]["metrics"] == baseline["metrics"]
    capsys.readouterr()
    assert main(["compare", systems[0], "--input", str(SEED_ARTICLE), "--name", "tiny", "--overwrite"]) == 0
    alone = Path(capsys.readouterr().out.splitlines()[-1])  # one system is another comparison: another folder
    assert alone != out and json.loads((alone / "table.json").read_text())["systems"][0]["reused"] is False
    assert json.loads((out / "table.json").read_text()) == again  # the first comparison is still there


def test_compare_aligns_a_free_reference_document(tmp_path: Path, systems: list[str], shared_seed: Path) -> None:
    lines = (shared_seed / "article-000.en.txt").read_text(encoding="utf-8").splitlines()
    free = tmp_path / "free.en.txt"
    free.write_text(" ".join(lines[:6]) + "\n\n" + " ".join(lines[6:]) + "\n", encoding="utf-8")  # two paragraphs
    assert main(["compare", *systems, "--input", str(SEED_ARTICLE), "--reference", str(free),
                 "--output", str(tmp_path / "cmp")]) == 0
    table = json.loads((tmp_path / "cmp" / "table.json").read_text())
    assert table["reference_groups"] >= 8 and table["aligned_segments"] >= 10
    # the groups, as side_by_side.jsonl shows them: consecutive segments given the same reference text
    side = read_jsonl(tmp_path / "cmp" / "side_by_side.jsonl")
    groups: list[list[int]] = []
    for k, segment in enumerate(side):
        if segment["ref"] is None:
            continue
        if groups and side[groups[-1][-1]]["ref"] == segment["ref"] and groups[-1][-1] == k - 1:
            groups[-1].append(k)
        else:
            groups.append([k])
    assert len(groups) == table["reference_groups"] and sum(map(len, groups)) == table["aligned_segments"]
    refs = [side[g[0]]["ref"] for g in groups]
    for row in table["systems"]:
        en = [s["systems"][row["system"]]["en"] for s in side]
        hyps = [" ".join(en[k] for k in g if en[k]) for g in groups]
        assert row["metrics"]["bleu"]["score"] == round(sacrebleu.corpus_bleu(hyps, [refs]).score, 4)
        assert row["metrics"]["chrf"]["score"] == round(sacrebleu.corpus_chrf(hyps, [refs]).score, 4)


def test_compare_without_reference_reports_agreement_and_escapes_text(tmp_path: Path, systems: list[str]) -> None:
    article = tmp_path / "html.ar.txt"
    article.write_text('قال المتحدث <script>window.pwned = 1</script> إن <b>موسكو</b> لن تتدخل & "لن تشارك".\n'
                       "وأضاف أن الاجتماع سيعقد غدا.\n", encoding="utf-8")
    assert main(["compare", *systems, "--input", str(article), "--output", str(tmp_path / "cmp")]) == 0
    table = json.loads((tmp_path / "cmp" / "table.json").read_text())
    assert table["reference"] is None and set(table["agreement"]) == {"tiny-marian", "tiny-nllb"}
    marian, nllb = ([p["en"] for p in read_jsonl(Path(r["run_dir"]) / "pairs.jsonl")] for r in table["systems"])
    assert table["agreement"] == {  # corpus chrF of the row's output with the column's as the reference
        "tiny-marian": {"tiny-nllb": round(sacrebleu.corpus_chrf(marian, [nllb]).score, 2)},
        "tiny-nllb": {"tiny-marian": round(sacrebleu.corpus_chrf(nllb, [marian]).score, 2)},
    }
    page = (tmp_path / "cmp" / "report.html").read_text(encoding="utf-8")
    assert page.count("<script>") == 1  # ours; the article's is text
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in page and "&lt;b&gt;موسكو&lt;/b&gt;" in page
    assert "Agreement" in (tmp_path / "cmp" / "table.md").read_text()


def test_compare_file_and_bad_arguments(tmp_path: Path, systems: list[str],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    bad = write_config(tmp_path / "cmp.yaml", name="x", systems="a.yaml")
    assert main(["compare", str(bad), "--input", str(SEED_ARTICLE)]) == 2
    assert "key 'systems' must be a non-empty list of config files" in capsys.readouterr().err
    assert main(["compare", systems[0], systems[0], "--input", str(SEED_ARTICLE)]) == 2
    assert "two configs have the same name" in capsys.readouterr().err
    assert main(["compare", *systems, "--input", str(SEED_ARTICLE), "--reference", str(tmp_path / "no")]) == 2
    assert "reference" in capsys.readouterr().err


def test_read_pairs_reads_a_record_holding_a_unicode_line_separator_whole(tmp_path: Path) -> None:
    # attack 15: str.splitlines() broke a record at a raw U+2028 (json.dumps with ensure_ascii=False writes it raw)
    from mt.commands.compare import read_pairs

    rows = [{"id": "a:0", "en": "The spokesman denied\u2028the reports."}, {"id": "a:1", "en": "Yes\x85no."}]
    (tmp_path / "pairs.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                          encoding="utf-8")
    assert read_pairs(tmp_path) == [{"id": "a:0", "en": "The spokesman denied\u2028the reports."},
                                    {"id": "a:1", "en": "Yes\x85no."}]
