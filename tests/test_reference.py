"""Scoring against an English reference, filtering by quality, round-trip scores and the TMX round trip."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sacrebleu

from mt.config import load_config
from mt.engines.local import translate
from mt.errors import InputError
from mt.outputs.formats import write_tmx
from mt.quality.reference import attach_references, corpus_reference_scores, sidecar
from mt.records import Hypothesis, Pair
from tests.conftest import SEED_ARTICLE, write_config


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def seed_pairs(shared_seed: Path) -> tuple[list[Pair], list[str]]:
    """Pairs of the 12 gold Arabic sentences with the reference itself as a perfect 'translation'."""
    ar = (shared_seed / "article-000.sentences.ar.txt").read_text(encoding="utf-8").splitlines()
    en = (shared_seed / "article-000.en.txt").read_text(encoding="utf-8").splitlines()
    pairs = [Pair(id=f"d:{i}", doc_id="d", index=i, ar=a, en=e, start=0, end=0, score=-0.5) for i, (a, e)
             in enumerate(zip(ar, en))]
    return pairs, en


def test_every_pair_gets_its_reference_sentence(shared_seed: Path) -> None:
    pairs, en = seed_pairs(shared_seed)
    summary = attach_references(pairs, {"d": ("ref.txt", "\n".join(en))})
    assert [p.ref_ids for p in pairs] == [[i] for i in range(12)]
    assert [p.ref for p in pairs] == en
    assert all(p.scores["ref_bleu"] == 100.0 and p.scores["ref_ter"] == 0.0 for p in pairs)
    assert summary["beads"] == 12 and summary["pairs_without_reference"] == 0
    assert summary["hyps"] == summary["refs"] == en
    corpus = corpus_reference_scores(summary["hyps"], summary["refs"])
    assert corpus["bleu"]["score"] == 100.0
    assert corpus["chrf"]["signature"].startswith("nrefs:1|case:mixed|eff:yes|nc:6|nw:0")


def test_dropped_and_merged_reference_sentences(shared_seed: Path) -> None:
    pairs, en = seed_pairs(shared_seed)
    merged = en[5].rstrip(".") + ", and " + en[6][0].lower() + en[6][1:]
    reference = "\n".join([*en[:2], *en[3:5], merged, *en[7:]])  # sentence 2 dropped, 5 and 6 merged
    summary = attach_references(pairs, {"d": ("ref.txt", reference)})
    assert [p.ref_ids for p in pairs] == [[0], [1], [], [2], [3], [4], [4], [5], [6], [7], [8], [9]]
    assert pairs[2].flags == ["no_reference"] and pairs[2].ref is None
    assert pairs[5].ref == pairs[6].ref == merged and "shared_reference" in pairs[5].flags
    assert summary["pairs_without_reference"] == 1 and summary["beads"] == 10


def test_reference_corpus_scores_equal_sacrebleu_on_the_aligned_text(shared_seed: Path,
                                                                     marian_config: Path) -> None:
    run_dir = translate(load_config(marian_config), SEED_ARTICLE, reference=shared_seed / "article-000.en.txt")
    pairs = read_jsonl(run_dir / "pairs.jsonl")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    ref = manifest["reference"]
    assert ref["paths"] == {"lavrov-syrian-opposition-2012.ar": str(shared_seed / "article-000.en.txt")}
    assert ref["sentences"] == 12
    hyps, refs, seen = [], [], set()
    for p in pairs:
        assert (p["ref"] is None) == ("no_reference" in p["flags"])
        if p["ref"] is not None and tuple(p["ref_ids"]) not in seen:
            seen.add(tuple(p["ref_ids"]))
            group = [q["en"] for q in pairs if q["ref_ids"] == p["ref_ids"]]
            hyps.append(" ".join(group))
            refs.append(p["ref"])
    assert ref["corpus"]["bleu"]["score"] == round(sacrebleu.corpus_bleu(hyps, [refs]).score, 4)
    assert ref["corpus"]["chrf"]["score"] == round(sacrebleu.corpus_chrf(hyps, [refs]).score, 4)
    assert ref["corpus"]["ter"]["score"] == round(sacrebleu.corpus_ter(hyps, [refs]).score, 4)
    scored = [p for p in pairs if p["ref"] is not None]
    assert scored and all(p["scores"]["ref_chrf"] is not None for p in scored)


def test_sidecar_reference_beside_a_folder_article(tmp_path: Path, marian_config: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    shutil.copy(SEED_ARTICLE, folder / "a.ar.txt")
    (folder / "a.en.txt").write_text("The spokesman denied the reports.\nHe said Russia would not interfere.\n")
    assert sidecar(folder / "a.ar.txt") == folder / "a.en.txt" and sidecar(folder / "b.txt") == folder / "b.en.txt"
    run_dir = translate(load_config(marian_config), folder)
    pairs = read_jsonl(run_dir / "pairs.jsonl")
    assert {p["doc_id"] for p in pairs} == {"a.ar"}  # a.en.txt is a reference, not an input
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["reference"]["sentences"] == 2
    assert sorted({j for p in pairs for j in p["ref_ids"]}) == [0, 1]


def test_reference_with_a_folder_of_several_articles_is_an_error(tmp_path: Path, marian_config: Path) -> None:
    for name in ("a.txt", "b.txt"):
        shutil.copy(SEED_ARTICLE, tmp_path / name)
    with pytest.raises(InputError, match="--reference needs a single input document; for the folder"):
        translate(load_config(marian_config), tmp_path, reference=SEED_ARTICLE)


def test_min_quality_moves_low_pairs_to_rejected(marian_config: Path, tmp_path: Path) -> None:
    everything = read_jsonl(translate(load_config(marian_config), SEED_ARTICLE) / "pairs.jsonl")
    distinct = sorted({p["quality"] for p in everything})
    threshold = distinct[len(distinct) // 2] if len(distinct) > 1 else distinct[0] + 1e-4
    expected_kept = sum(p["quality"] >= threshold for p in everything)
    assert 0 < 12 - expected_kept  # something is rejected
    run_dir = translate(load_config(marian_config, **{"quality.min_quality": threshold}), SEED_ARTICLE)
    kept, rejected = read_jsonl(run_dir / "pairs.jsonl"), read_jsonl(run_dir / "rejected.jsonl")
    assert len(kept) == expected_kept and len(rejected) == 12 - expected_kept
    assert sorted(p["id"] for p in kept + rejected) == sorted(p["id"] for p in everything)
    assert all(p["quality"] >= threshold for p in kept)
    assert all(p["quality"] < threshold and p["flags"][-1] == "below_min_quality" for p in rejected)
    assert len((run_dir / "corpus.en").read_text(encoding="utf-8").splitlines()) == expected_kept
    assert json.loads((run_dir / "manifest.json").read_text())["counts"]["rejected"] == 12 - expected_kept


def test_round_trip_scores_with_a_back_translation_config(tmp_path: Path, tiny_marian: Path) -> None:
    # The tiny model stands in for an English→Arabic one: its output is gibberish, the plumbing is real.
    from mt.text.normalize import normalize_for_model
    from mt.translate import load_translator

    back = write_config(tmp_path / "back.yaml", name="back", model=str(tiny_marian), beam_size=1, max_new_tokens=8)
    config = write_config(tmp_path / "fwd.yaml", name="fwd", model=str(tiny_marian), beam_size=1, max_new_tokens=8,
                          output_dir=str(tmp_path / "out"), quality={"round_trip": "back.yaml"})
    run_dir = translate(load_config(config), SEED_ARTICLE)
    pairs = read_jsonl(run_dir / "pairs.jsonl")
    lines = list(dict.fromkeys(normalize_for_model(p["en"]) for p in pairs))  # one batch, as the run's
    back_translation = dict(zip(lines, (h.text for h in load_translator(load_config(back)).translate_batch(lines))))
    chrf = sacrebleu.metrics.CHRF()
    expected = [round(chrf.sentence_score(back_translation[normalize_for_model(p["en"])], [p["ar"]]).score, 4)
                for p in pairs]
    assert [p["scores"]["round_trip_chrf"] for p in pairs] == expected
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["config"]["quality"]["round_trip"] == str(back.resolve())


class Stub:
    """A 'model' that answers from a table: the translations are known, so the scores on them are too."""

    revision, max_input_tokens = None, 512

    def __init__(self, model_id: str, table: dict[str, str]) -> None:
        self.model_id, self.table = model_id, table

    @staticmethod
    def count_tokens(texts: list[str]) -> list[int]:
        return [len(t.split()) + 1 for t in texts]

    def translate_batch(self, texts: list[str]) -> list[Hypothesis]:
        return [Hypothesis(self.table[t], -0.5, len(self.table[t].split()) + 1) for t in texts]


FORWARD = {
    "نفى المتحدث باسم الخارجية الروسية الأنباء.": "The Russian Foreign Ministry spokesman denied the reports.",
    "وقال إن موسكو لن تتدخل.": "He said Moscow would not interfere.",
    "وأضاف أن الاجتماع سيعقد غدا.": "He added that the meeting would be held tomorrow.",
    "ذهب إلى السوق؟": "Did he go to the market?",
    "ذهب الوفد إلى جنيف.": "",  # no output: nothing to back-translate
}
BACKWARD = {
    "The Russian Foreign Ministry spokesman denied the reports.": "نفى المتحدث باسم الخارجية الروسية الأنباء.",
    "He said Moscow would not interfere.": "قال إن موسكو لن تتدخل.",  # the source without its first letter (و)
    "He added that the meeting would be held tomorrow.": "أضاف أن اللقاء سيعقد غدا.",
    "Did he go to the market?": "",
}


def test_round_trip_chrf_is_chrf_of_the_back_translation_against_the_source(tmp_path: Path) -> None:
    """chrF (sacrebleu's, character 6-grams, beta 2) with the back-translation as hypothesis and the Arabic source
    as reference: the source itself scores 100, nothing 0; the numbers are sacrebleu's on these strings."""
    write_config(tmp_path / "back.yaml", name="back", model="stub/en-ar")
    config = write_config(tmp_path / "fwd.yaml", name="fwd", model="stub/ar-en", backend="hf",
                          output_dir=str(tmp_path / "out"), quality={"round_trip": "back.yaml"})
    article = tmp_path / "a.txt"
    article.write_text(" ".join(FORWARD) + "\n", encoding="utf-8")
    run_dir = translate(load_config(config), article, translator=Stub("stub/ar-en", FORWARD),  # type: ignore[arg-type]
                        back_translator=Stub("stub/en-ar", BACKWARD))  # type: ignore[arg-type]
    pairs = read_jsonl(run_dir / "pairs.jsonl")
    assert [p["ar"] for p in pairs] == list(FORWARD)
    # chrF(hypothesis, reference) is not symmetric: the other way round the second and third would be 98.7115
    # and 62.4884
    assert [p["scores"]["round_trip_chrf"] for p in pairs] == [100.0, 95.0378, 57.1666, 0.0, None]


def test_tmx_parses_back_with_translate_toolkit(tmp_path: Path) -> None:
    from lxml import etree
    from translate.storage.tmx import tmxfile

    pairs = [
        Pair(id="d:0", doc_id="d", index=0, ar="قال: <script>alert(1)</script> & \"نعم\"", en="He said: <b>yes</b> &",
             start=0, end=30, score=-0.51, flags=["quotes_mismatch"], reasons=["only the source has quotation marks"],
             quality=0.42, scores={"logprob": -0.51, "chars_z": 0.3, "ref_bleu": None}, model="m"),
        Pair(id="d:1", doc_id="d", index=1, ar="مرحبا\x01", en="Hello", start=31, end=37, score=-0.2, quality=0.8),
    ]
    path = tmp_path / "pairs.tmx"
    write_tmx(path, pairs)
    store = tmxfile(path.read_bytes(), "ar", "en")
    assert [(u.source, u.target) for u in store.units] == [
        ("قال: <script>alert(1)</script> & \"نعم\"", "He said: <b>yes</b> &"), ("مرحبا\ufffd", "Hello"),
    ]
    root = etree.parse(str(path)).getroot()
    header = root.find("header")
    assert root.get("version") == "1.4"
    assert (header.get("srclang"), header.get("segtype"), header.get("creationtool")) == ("ar", "sentence", "mt")
    assert header.get("creationtoolversion") == "0.1.0"
    props = {p.get("type"): p.text for p in root.find("body").find("tu").findall("prop")}
    assert props == {"x-doc-id": "d", "x-index": "0", "x-start": "0", "x-end": "30", "x-quality": "0.42",
                     "x-score": "-0.51", "x-flags": "quotes_mismatch", "x-reasons": "only the source has quotation "
                     "marks", "x-model": "m", "x-logprob": "-0.51", "x-chars_z": "0.3"}
    assert root.find("body").find("tu").get("tuid") == "d:0"


def test_run_writes_a_tmx_with_every_pair(marian_config: Path) -> None:
    from translate.storage.tmx import tmxfile

    run_dir = translate(load_config(marian_config), SEED_ARTICLE)
    pairs = read_jsonl(run_dir / "pairs.jsonl")
    units = tmxfile((run_dir / "pairs.tmx").read_bytes(), "ar", "en").units
    assert [(u.source, u.target) for u in units] == [(p["ar"], p["en"]) for p in pairs]
