"""The pipeline end to end on tiny real models: segments, pieces, order, pairs and every output file."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from mt.batching import token_batches, translate_all
from mt.config import load_config
from mt.pipeline import make_pairs, model_pieces, translate
from mt.quality import SCORE_KEYS
from mt.records import Hypothesis
from mt.rundir import foreign_entries
from tests.conftest import SEED_ARTICLE
from tests.output_files import check_dataset, check_moses, check_tmx, check_tsv, read_pairs


@pytest.mark.parametrize(
    ("lengths", "budget", "expected"),
    [
        ([3, 9, 1, 9, 5], 20, [[1, 3], [4, 0, 2]]),  # 2x9=18; then 5,3,1 padded to 5: 15
        ([3, 9, 1, 9, 5], 9, [[1], [3], [4], [0, 2]]),
        ([50, 2], 10, [[0], [1]]),  # an item over the budget gets a batch of its own
        ([], 10, []),
    ],
)
def test_token_batches_are_length_sorted_under_the_budget(lengths: list[int], budget: int,
                                                          expected: list[list[int]]) -> None:
    assert list(token_batches(lengths, budget)) == expected


@dataclass
class Recorder:
    """Records the batches it is given; its 'translation' is the input reversed, to trace where results go."""

    batches: list[list[str]]

    def translate_batch(self, texts: list[str]) -> list[Hypothesis]:
        self.batches.append(list(texts))
        return [Hypothesis(t[::-1], -float(len(t)), len(t)) for t in texts]

    @staticmethod
    def count_tokens(texts: list[str]) -> list[int]:
        return [len(t.split()) for t in texts]


def test_translate_all_restores_order_and_translates_duplicates_once() -> None:
    texts = ["أ ب", "أ ب ج د", "أ", "أ ب", "أ ب ج"]
    rec = Recorder([])
    hyps = translate_all(texts, rec.translate_batch, rec.count_tokens, max_batch_tokens=8)
    assert [h.text for h in hyps] == [t[::-1] for t in texts]
    assert rec.batches == [["أ ب ج د", "أ ب ج"], ["أ ب", "أ"]]


def test_long_segment_is_cut_translated_in_pieces_and_joined() -> None:
    class Small(Recorder):
        max_input_tokens = 12

    long = ("وقالت الوزارة إن الطرفين بحثا سبل حل الأزمة في أسرع وقت؛ وأكدت أن الطرف الروسي يواصل العمل مع "
            "كافة الفصائل، وأن الحوار هو الطريق الوحيد للحل.")
    pieces = model_pieces(long, Small([]))
    assert pieces == [
        "وقالت الوزارة إن الطرفين بحثا سبل حل الأزمة في أسرع وقت؛",
        "وأكدت أن الطرف الروسي يواصل العمل مع كافة الفصائل،",
        "وأن الحوار هو الطريق الوحيد للحل.",
    ]
    assert model_pieces("قصيرة ـــ جدا.", Small([])) == ["قصيرة جدا."]


def test_pairs_join_pieces_and_weight_scores_by_tokens() -> None:
    from mt.pipeline import Unit
    from mt.records import Segment

    units = [Unit("d", 0, Segment("أ ب", 0, 3), ["أ", "ب"]), Unit("d", 1, Segment("ج", 4, 5), ["ج"])]
    hyps = [Hypothesis("A", -1.0, 1), Hypothesis("B b b", -3.0, 3), Hypothesis("", -0.5, 1)]
    pairs = make_pairs(units, hyps, "m")
    assert [(p.en, p.score, p.pieces, p.flags) for p in pairs] == [
        ("A B b b", -2.5, 2, ["split_for_model"]),
        ("", -0.5, 1, ["empty_output"]),
    ]


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory: pytest.TempPathFactory, tiny_marian: Path) -> Path:
    from tests.conftest import write_config

    tmp = tmp_path_factory.mktemp("run")
    config = write_config(tmp / "tiny.yaml", name="tiny-marian", model=str(tiny_marian), beam_size=2,
                          max_new_tokens=12, max_input_tokens=48, max_batch_tokens=256, output_dir=str(tmp / "out"))
    return translate(load_config(config), SEED_ARTICLE, config_path=str(config))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_run_folder_is_named_after_config_and_hash(seed_run: Path) -> None:
    manifest = json.loads((seed_run / "manifest.json").read_text())
    assert re.fullmatch(r"tiny-marian-[0-9a-f]{8}", seed_run.name)
    assert seed_run.name != f"tiny-marian-{manifest['config_hash']}"  # the input is hashed in too
    assert sorted(p.name for p in seed_run.iterdir()) == [
        ".lock", "README.md", "checkpoint.sqlite", "corpus.ar", "corpus.en", "data", "manifest.json", "pairs.jsonl",
        "pairs.tmx", "pairs.tsv", "report.html", "run.json",
    ]
    assert foreign_entries(seed_run) == []  # all mt's: --overwrite may replace every one of them


def test_pairs_jsonl_has_one_pair_per_segment_with_offsets(seed_run: Path) -> None:
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    pairs = read_jsonl(seed_run / "pairs.jsonl")
    assert len(pairs) == 12
    assert list(pairs[0]) == ["id", "doc_id", "index", "ar", "en", "start", "end", "score", "quality", "flags",
                              "reasons", "scores", "ref", "ref_ids", "pieces", "model"]
    doc = "lavrov-syrian-opposition-2012.ar"
    assert [p["id"] for p in pairs] == [f"{doc}:{i}" for i in range(12)]
    for p in pairs:
        assert text[p["start"] : p["end"]] == p["ar"]
        assert p["en"] and p["score"] < 0
        assert ("split_for_model" in p["flags"]) == (p["pieces"] > 1)
        assert len(p["reasons"]) == len(p["flags"]) and 0 <= p["quality"] <= 1
        assert set(p["scores"]) == set(SCORE_KEYS) and p["scores"]["logprob"] == p["score"]  # equal, as README says
        assert p["ref"] is None and p["ref_ids"] == []
    assert pairs[0]["ar"].startswith("نفى المتحدث") and pairs[-1]["ar"].endswith("من حدودنا\".")
    assert [p["flags"].count("glued_split") for p in pairs][4:6] == [1, 1]
    assert any(p["pieces"] > 1 for p in pairs)  # the longest sentences exceed the 48-token limit


def test_moses_tsv_and_tmx_hold_every_pair(seed_run: Path) -> None:
    pairs = read_pairs(seed_run)
    assert len(pairs) == 12
    check_moses(seed_run, pairs)
    check_tsv(seed_run, pairs)
    check_tmx(seed_run, pairs)


def test_manifest_records_what_makes_the_run_reproducible(seed_run: Path) -> None:
    manifest = json.loads((seed_run / "manifest.json").read_text())
    assert {"config", "config_hash", "model", "packages", "signature", "inputs", "counts", "timings"} <= set(manifest)
    assert manifest["config"]["name"] == "tiny-marian"
    assert manifest["model"]["family"] == "marian" and manifest["model"]["revision"] is None
    assert {"torch", "transformers", "datasets", "sacrebleu", "mt"} <= set(manifest["packages"])
    assert manifest["counts"]["pairs"] == 12 and manifest["counts"]["documents"] == 1
    assert manifest["signature"].startswith("mt:0.1.0|model:") and "|beam:2|" in manifest["signature"]
    assert manifest["inputs"][0]["sha256"] and manifest["timings"]["translate_s"] > 0


def test_load_dataset_on_the_run_folder(seed_run: Path) -> None:
    import mt

    pairs = read_pairs(seed_run)
    check_dataset(seed_run, pairs)  # every row, every column
    assert mt.load_outputs(seed_run)["train"]["id"] == [p["id"] for p in pairs]


def test_nllb_run_writes_pairs(nllb_config: Path) -> None:
    run_dir = translate(load_config(nllb_config), SEED_ARTICLE)
    pairs = read_jsonl(run_dir / "pairs.jsonl")
    assert len(pairs) == 12 and all(p["en"] for p in pairs)


def test_rerun_writes_identical_data_files(marian_config: Path) -> None:
    config = load_config(marian_config)
    first = translate(config, SEED_ARTICLE)
    names = ("pairs.jsonl", "corpus.ar", "corpus.en", "pairs.tsv", "pairs.tmx", "README.md", "report.html",
             "data/train-00000-of-00001.parquet")
    before = {name: (first / name).read_bytes() for name in names}
    second = translate(config, SEED_ARTICLE, overwrite=True)
    assert first == second
    assert {name: (second / name).read_bytes() for name in before} == before


def test_a_segment_without_letters_or_digits_is_kept_flagged_and_not_translated(tmp_path: Path,
                                                                                marian_config: Path) -> None:
    from mt.backends import load_translator

    document = "ذهب الولد إلى المدرسة.\n... !!! ؟؟؟\nـــ\n«» ،\n٣\n"
    path = tmp_path / "punctuation.txt"
    path.write_text(document, encoding="utf-8")
    config = load_config(marian_config)
    real = load_translator(config)
    seen: list[str] = []

    class Recording:
        model_id, revision, max_input_tokens = real.model_id, real.revision, real.max_input_tokens
        count_tokens = staticmethod(real.count_tokens)

        def translate_batch(self, texts: list[str]) -> list[Hypothesis]:
            seen.extend(texts)
            return real.translate_batch(texts)

    run_dir = translate(config, path, translator=Recording())  # type: ignore[arg-type]
    pairs = read_jsonl(run_dir / "pairs.jsonl")
    assert [p["ar"] for p in pairs] == ["ذهب الولد إلى المدرسة.", "... !!!", "؟؟؟", "ـــ", "«» ،", "٣"]
    assert sorted(seen) == ["ذهب الولد إلى المدرسة.", "٣"]  # a digit alone is read
    reason = "the segment holds no letters or digits (only punctuation, symbols or invisible marks)"
    for pair in pairs[1:5]:
        assert (pair["en"], pair["score"], pair["quality"], pair["flags"], pair["reasons"]) == (
            "", None, None, ["nothing_to_translate"], [reason])
    assert "nothing_to_translate" not in pairs[0]["flags"] + pairs[5]["flags"]
    rows = [line.split("\t") for line in (run_dir / "pairs.tsv").read_text(encoding="utf-8").splitlines()]
    assert [row[7] for row in rows[2:6]] == ["nothing_to_translate"] * 4
    assert [row[-3] for row in rows[1:]] == [p["ar"] for p in pairs]
