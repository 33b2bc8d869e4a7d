"""`mt score`: forced decoding on the tiny models, dual conditional cross-entropy, files and run folders."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from mt.backends import load_translator
from mt.cli import main
from mt.config import load_config
from mt.pipeline import translate
from mt.score import dual_xent
from tests.conftest import ROOT, SEED_ARTICLE, run_twice_at_once, write_config

AR = ["نفى المتحدث باسم وزارة الخارجية الروسية صحة ما أشيع.", "وقال لوكاشيفيتش للصحفيين في موسكو.", ""]
EN = ["The Foreign Ministry spokesman denied the reports.", "Lukashevich told reporters in Moscow.", "Yes."]


def test_dual_conditional_cross_entropy() -> None:
    # |H_fwd - H_bwd| + (H_fwd + H_bwd) / 2: agreeing directions cost their mean, disagreeing ones more
    assert dual_xent(2.0, 2.0) == 2.0
    assert dual_xent(2.0, 3.0) == 3.5
    assert dual_xent(3.0, 2.0) == 3.5


@pytest.mark.parametrize("model", ["tiny_marian", "tiny_nllb"])
def test_forced_decoding_agrees_with_generate(model: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """score_pairs' one-pass log-probabilities equal those generate() computes step by step (with its cache)
    when it is made to produce the same tokens."""
    import torch

    path = request.getfixturevalue(model)
    config = load_config(write_config(tmp_path / "c.yaml", name="t", model=str(path), backend="hf",
                                      max_new_tokens=32))
    tr = load_translator(config)
    tok, net = tr.tokenizer, tr.model
    if tr.forced_bos is not None:
        tok.tgt_lang = config.tgt_lang
    for source, target in zip(AR[:2], EN[:2]):
        ids = tok(text_target=[target])["input_ids"][0]
        inputs = tok([source], return_tensors="pt")
        out = net.generate(**inputs, num_beams=1, do_sample=False, max_new_tokens=len(ids),
                           prefix_allowed_tokens_fn=lambda _, sent, ids=ids: [ids[min(len(sent) - 1, len(ids) - 1)]],
                           output_logits=True, return_dict_in_generate=True)
        assert out.sequences[0, 1:].tolist() == ids
        steps = [torch.log_softmax(logits[0].float(), dim=-1)[token].item() for logits, token in zip(out.logits, ids)]
        first = 1 if tr.forced_bos is not None else 0  # NLLB's language token is not scored
        total, n = tr.score_pairs([source], [target])[0]
        assert n == len(ids) - first
        assert total == pytest.approx(sum(steps[first:]), abs=1e-4)


def test_forced_decoding_scores_the_models_own_output_as_its_search_did(marian_config: Path) -> None:
    """The mean forced-decoding log-probability of the model's own output is the score translate_batch gave
    it. The tiny model's end token gets a bias so that its searches end (random weights never stop otherwise)."""
    tr = load_translator(load_config(marian_config))
    tr.model.final_logits_bias[0, tr.tokenizer.eos_token_id] += 4.0
    hyps = tr.translate_batch(AR[:2] + ["ذهب الولد إلى المدرسة.", "روسيا"])
    ended = [h for h in hyps if h.n_tokens < tr.config.max_new_tokens]
    assert ended  # the searches stopped at </s>, which they scored
    scored = tr.score_pairs(AR[:2] + ["ذهب الولد إلى المدرسة.", "روسيا"], [h.text for h in hyps])
    same = [(h, total / n) for h, (total, n) in zip(hyps, scored) if h in ended and n == h.n_tokens]
    assert same  # the text tokenizes back to the tokens the search chose
    for hyp, mean in same:
        assert mean == pytest.approx(hyp.score, abs=1e-4)


@pytest.mark.parametrize(("model", "per_token"), [("tiny_nllb", 1e-4), ("tiny_marian", 0.01)])
def test_ct2_forced_decoding_equals_hf(model: str, per_token: float, request: pytest.FixtureRequest,
                                       tmp_path: Path, private_mt_cache: Path) -> None:
    """The same log-probabilities from both backends at float32. CTranslate2's Marian leaves the <pad> token out
    of the softmax (transformers keeps it), log(1 - p(pad)) per token: about 1/300 on the tiny model. The
    conversion goes to the tests' own cache, not the user's ~/.cache/mt."""
    pytest.importorskip("ctranslate2")
    from mt.backends.ct2 import cache_root

    for path in (request.getfixturevalue(model),):
        scores = []
        for backend in ("hf", "ct2"):
            config = load_config(write_config(tmp_path / f"{backend}.yaml", name="t", model=str(path),
                                              backend=backend, compute_type="float32"))
            scores.append(load_translator(config).score_pairs(AR[:2], EN[:2]))
        for (hf_total, hf_n), (ct2_total, ct2_n) in zip(*scores):
            assert ct2_n == hf_n and ct2_total / ct2_n == pytest.approx(hf_total / hf_n, abs=per_token)
    assert cache_root() == private_mt_cache / "ct2" and list(cache_root().glob("*/model.bin"))


def _files(tmp_path: Path) -> tuple[Path, Path]:
    src, tgt = tmp_path / "corpus.ar.txt", tmp_path / "corpus.en.txt"
    src.write_text("\n".join(AR) + "\n", encoding="utf-8")
    tgt.write_text("\n".join(EN) + "\n", encoding="utf-8")
    return src, tgt


def test_score_files_reference_free(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, tgt = _files(tmp_path)
    assert main(["score", "--source", str(src), "--target", str(tgt), "--output", str(tmp_path / "out")]) == 0
    out = Path(capsys.readouterr().out.strip())
    rows = [json.loads(line) for line in (out / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["corpus.ar:0", "corpus.ar:1", "corpus.ar:2"]
    assert [(r["start"], r["end"]) for r in rows] == [(0, len(AR[0])), (len(AR[0]) + 1, len(AR[0]) + 1 + len(AR[1])),
                                                      (len(AR[0]) + len(AR[1]) + 2,) * 2]
    assert rows[0]["score"] is None and rows[0]["scores"]["logprob"] is None and rows[0]["quality"] > 0
    assert rows[2]["flags"] == ["empty_side"] and rows[2]["quality"] is None  # kept, flagged, not dropped
    assert (out / "corpus.ar").read_text(encoding="utf-8").splitlines() == AR
    header = (out / "pairs.tsv").read_text(encoding="utf-8").splitlines()[0].split("\t")
    assert {"xent_fwd", "xent_bwd", "dual_xent", "quality", "flags"} <= set(header)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["pairs"] == 3 and manifest["counts"]["flags"] == {"empty_side": 1}


def test_score_files_with_both_directions(tmp_path: Path, marian_config: Path, nllb_config: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    src, tgt = _files(tmp_path)
    args = ["score", "--source", str(src), "--target", str(tgt), "--config", str(marian_config),
            "--reverse-config", str(nllb_config), "--min-quality", "0.0001"]
    assert main(args) == 0
    out = Path(capsys.readouterr().out.strip())
    assert out.parent == tmp_path / "outputs" and out.name.startswith("score-")  # the config's output_dir
    rows = [json.loads(line) for line in (out / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 2 and [r["id"] for r in rejected] == ["corpus.ar:2"]
    assert rejected[0]["flags"] == ["empty_side", "below_min_quality"]
    for row in rows:
        s = row["scores"]
        assert s["xent_fwd"] > 0 and s["xent_bwd"] > 0 and row["score"] == pytest.approx(-s["xent_fwd"], abs=1e-4)
        assert row["score"] == s["logprob"]  # equal, as the README says (attack 15: -5.470331 against -5.4703)
        assert s["dual_xent"] == pytest.approx(abs(s["xent_fwd"] - s["xent_bwd"]) + (s["xent_fwd"] + s["xent_bwd"]) / 2,
                                               abs=1e-3)
        assert row["quality"] <= math.exp(-s["dual_xent"]) + 1e-4  # the adequacy bounds the quality
    # the same inputs and settings give the same folder
    assert main(args) == 0 and Path(capsys.readouterr().out.strip()) == out


def test_score_a_run_folders_reference_pairs(tmp_path: Path, marian_config: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    article = tmp_path / "a.ar.txt"
    article.write_text("\n".join(AR[:2]) + "\n", encoding="utf-8")
    reference = tmp_path / "a.en.txt"
    reference.write_text(" ".join(EN[:2]) + "\n", encoding="utf-8")
    run_dir = translate(load_config(marian_config), article, reference=reference)
    assert main(["score", "--source", str(run_dir), "--config", str(marian_config)]) == 0
    out = Path(capsys.readouterr().out.strip())
    run = [json.loads(line) for line in (run_dir / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = [json.loads(line) for line in (out / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["ar"], r["en"]) for r in rows] == [(r["id"], r["ar"], r["ref"]) for r in run if r["ref"]]
    assert rows and all(r["scores"]["xent_fwd"] is not None for r in rows)


def test_a_run_whose_text_holds_a_unicode_line_separator_is_read_record_by_record(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # attack 15: pairs.jsonl was split with str.splitlines(), which breaks a record at the U+2028 or U+0085 that
    # json.dumps(ensure_ascii=False) leaves raw
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    refs = ["The spokesman denied\u2028the reports.", "He said\x85Moscow would not intervene."]
    rows = [{"id": f"a:{k}", "doc_id": "a", "index": k, "ar": ar, "en": "x", "start": 0, "end": len(ar), "ref": ref,
             "ref_ids": [k]} for k, (ar, ref) in enumerate(zip(AR[:2], refs))]
    (run_dir / "pairs.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                         encoding="utf-8")
    assert main(["score", "--source", str(run_dir), "--output", str(tmp_path / "s")]) == 0
    capsys.readouterr()
    with open(tmp_path / "s" / "pairs.jsonl", encoding="utf-8", newline="\n") as fh:
        assert [(r["id"], r["ar"], r["en"]) for r in map(json.loads, fh)] == [("a:0", AR[0], refs[0]),
                                                                             ("a:1", AR[1], refs[1])]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "missing.txt", "--target", "x.txt"], "input 'missing.txt' is not a file"),
        (["--source", str(SEED_ARTICLE)], "--target is needed"),
    ],
)
def test_score_errors_are_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mt: error: ") and message in err and err.count("\n") == 1


def test_score_names_a_folder_that_is_not_a_run_as_such(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(AR[0] + "\n", encoding="utf-8")
    (tmp_path / "e.txt").write_text(EN[0] + "\n", encoding="utf-8")
    for extra in ([], ["--target", str(tmp_path / "e.txt")]):
        assert main(["score", "--source", str(folder), *extra]) == 2
        assert capsys.readouterr().err == (
            f"mt: error: --source '{folder}' is a folder but not the run folder of an mt translate (it has no "
            "pairs.jsonl); give a file of Arabic sentences, one per line, with --target\n")


def test_score_output_that_is_a_file_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, tgt = _files(tmp_path)
    taken = tmp_path / "passwd"
    taken.write_text("root:x:0:0::/root:/bin/sh\n", encoding="utf-8")
    assert main(["score", "--source", str(src), "--target", str(tgt), "--output", str(taken)]) == 2
    assert capsys.readouterr().err == (f"mt: error: '{taken}' is a file, not a folder; pick a new or empty folder "
                                       "for the output\n")
    assert main(["score", "--source", str(src), "--target", str(tgt), "--output", str(taken / "scores")]) == 2
    assert capsys.readouterr().err == (f"mt: error: '{taken}' is a file, not a folder, so '{taken / 'scores'}' cannot "
                                       "be made; pick a new or empty folder for the output\n")
    assert taken.read_text(encoding="utf-8") == "root:x:0:0::/root:/bin/sh\n"


@pytest.mark.parametrize(("value", "message"), [
    ("nan", "must be a finite number, got nan"), ("inf", "must be a finite number, got inf"),
    ("5", "must lie between 0 and 1, got 5.0"), ("-1", "must lie between 0 and 1, got -1.0"),
])
def test_score_checks_min_quality_as_translate_does(tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str,
                                                    message: str) -> None:
    # attack 9: nan rejected every pair and wrote "min_quality": NaN (not JSON) into manifest.json
    src, tgt = _files(tmp_path)
    out = tmp_path / "scores"
    assert main(["score", "--source", str(src), "--target", str(tgt), "--output", str(out), "--min-quality",
                 value]) == 2
    assert capsys.readouterr().err == f"mt: error: --min-quality: key 'quality.min_quality' {message}\n"
    assert not out.exists()


@pytest.mark.parametrize("key", ["chars_sd", "words_sd"])
def test_a_length_spread_too_small_to_divide_by_is_refused(tmp_path: Path, marian_config: Path,
                                                           capsys: pytest.CaptureFixture[str], key: str) -> None:
    # attack 11: quality.chars_sd 1e-300 made the length z-score overflow (an internal OverflowError); 1e-320 would
    # have made it infinite, written as Infinity (not JSON)
    src, tgt = _files(tmp_path)
    config = tmp_path / "tiny.yaml"
    config.write_text(marian_config.read_text(encoding="utf-8") + f"quality: {{{key}: 1.0e-300}}\n", encoding="utf-8")
    assert main(["score", "--config", str(config), "--source", str(src), "--target", str(tgt), "--output",
                 str(tmp_path / "s")]) == 2
    fitted = {"chars_sd": "0.165", "words_sd": "0.253"}[key]
    assert capsys.readouterr().err == (f"mt: error: {config}: key 'quality.{key}' must be at least 0.001 (fitted: "
                                       f"{fitted}); a smaller spread can only be a mistake, got 1e-300\n")
    assert not (tmp_path / "s").exists()


def test_score_line_count_mismatch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, tgt = _files(tmp_path)
    tgt.write_text("one line\n", encoding="utf-8")
    assert main(["score", "--source", str(src), "--target", str(tgt)]) == 2
    assert "--source has 3 lines but --target has 1" in capsys.readouterr().err


CORPUS = [
    ("قال المتحدث باسم الوزارة", "The ministry spokesman said"),
    ("نفى المتحدث التقارير", "The spokesman denied the reports"),
    ("أكد المتحدث الخبر", "The spokesman confirmed the news"),
    ("وصلت الطائرة إلى المطار", "The plane arrived at the airport"),
    ("غادرت الطائرة المطار", "The plane left the airport"),
    ("هبطت الطائرة في المطار", "The plane landed at the airport"),
]


def test_corpus_lexicon_learns_which_words_go_together() -> None:
    from mt.lexicon import CorpusLexicon

    lexicon = CorpusLexicon(CORPUS)
    # spokesman/المتحدث: 3 pairs, 2 without this one: Dice 2*2/(2+2); "ministry", "said" occur once: not judged
    assert lexicon.score(*CORPUS[0], own=True) == 1.0
    # plane/الطائرة and airport/المطار: in 2 other pairs each, always together
    assert lexicon.score(*CORPUS[4], own=True) == 1.0
    # an Arabic sentence with another pair's English: none of its words go with them ("the" is everywhere)
    assert lexicon.score(CORPUS[0][0], CORPUS[4][1], own=False) == 0.0
    assert lexicon.score("ذهب", "Nothing here is known", own=False) is None


def test_unrelated_words_flag_in_a_scored_corpus(tmp_path: Path) -> None:
    from mt.config import QualityConfig
    from mt.records import Pair
    from mt.score import Scorers, score_pairs

    rows = CORPUS + [(CORPUS[0][0], CORPUS[4][1])]  # the last pair is misaligned
    pairs = [Pair(id=str(k), doc_id="c", index=k, ar=a, en=e, start=0, end=len(a), score=None)
             for k, (a, e) in enumerate(rows)]
    score_pairs(pairs, QualityConfig(lexicon_min_pairs=5), Scorers())
    assert "unrelated_words" in pairs[-1].flags and pairs[-1].scores["lexical"] == 0.0
    assert all("unrelated_words" not in p.flags for p in pairs[:6])
    assert pairs[-1].quality is not None and pairs[-1].quality < min(p.quality or 0 for p in pairs[:6])


# The output folder of `mt score` follows the run-folder rules of mt.rundir (issue 16).

OTHER_AR = ["وأضاف أن الاجتماع سيعقد في 26 تشرين الثاني في جنيف."]
OTHER_EN = ["He added that the meeting would be held in Geneva on 26 November."]


def _other_files(tmp_path: Path) -> tuple[Path, Path]:
    src, tgt = tmp_path / "other.ar.txt", tmp_path / "other.en.txt"
    src.write_text("\n".join(OTHER_AR) + "\n", encoding="utf-8")
    tgt.write_text("\n".join(OTHER_EN) + "\n", encoding="utf-8")
    return src, tgt


def _rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]


def test_score_two_inputs_keep_both_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)  # the default output_dir, outputs/, is relative
    (src, tgt), (src2, tgt2) = _files(tmp_path), _other_files(tmp_path)
    assert main(["score", "--source", str(src), "--target", str(tgt)]) == 0
    assert main(["score", "--source", str(src2), "--target", str(tgt2)]) == 0
    out, out2 = (Path(line) for line in capsys.readouterr().out.split())
    assert out != out2 and out.parent == out2.parent == Path("outputs") and out.name.startswith("score-")
    assert [r["ar"] for r in _rows(out)] == AR and [r["ar"] for r in _rows(out2)] == OTHER_AR
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["input"] == {
        "kind": "lines", "path": src.resolve().as_posix(), "target": tgt.resolve().as_posix()}
    # the same Arabic with another English is another input too
    tgt3 = tmp_path / "shifted.en.txt"
    tgt3.write_text("\n".join([EN[1], EN[0], EN[2]]) + "\n", encoding="utf-8")
    assert main(["score", "--source", str(src), "--target", str(tgt3)]) == 0
    out3 = Path(capsys.readouterr().out.strip())
    assert out3 not in (out, out2) and [r["en"] for r in _rows(out3)][:2] == [EN[1], EN[0]]
    assert [r["en"] for r in _rows(out)] == EN  # the first scores are still there
    # the same input again, by a relative path, is the same folder
    assert main(["score", "--source", src.name, "--target", tgt.name]) == 0
    assert Path(capsys.readouterr().out.strip()) == out
    assert sorted(p.name for p in Path("outputs").iterdir()) == sorted([out.name, out2.name, out3.name])


def test_score_output_holding_another_inputs_scores_is_refused_then_overwritten(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (src, tgt), (src2, tgt2) = _files(tmp_path), _other_files(tmp_path)
    out = tmp_path / "scores"
    assert main(["score", "--source", str(src), "--target", str(tgt), "--output", str(out)]) == 0
    capsys.readouterr()
    before = (out / "pairs.jsonl").read_bytes()
    assert main(["score", "--source", str(src2), "--target", str(tgt2), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mt: error: run folder '{out}' holds the run of another input ('") and err.count("\n") == 1
    assert "corpus.ar.txt + " in err and err.endswith("corpus.en.txt'); pass --overwrite to replace it\n")
    assert (out / "pairs.jsonl").read_bytes() == before  # nothing lost
    assert main(["score", "--source", str(src2), "--target", str(tgt2), "--output", str(out), "--overwrite"]) == 0
    assert [r["ar"] for r in _rows(out)] == OTHER_AR
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"]["pairs"] == 1
    assert sorted(p.name for p in out.iterdir()) == [".lock", "corpus.ar", "corpus.en", "manifest.json",
                                                     "pairs.jsonl", "pairs.tsv", "run.json"]
    # a folder that holds the inputs is never written into, --overwrite or not
    for extra in ([], ["--overwrite"]):
        assert main(["score", "--source", str(src), "--target", str(tgt), "--output", str(tmp_path), *extra]) == 2
        assert f"the output folder '{tmp_path}' holds the input '{src}'" in capsys.readouterr().err


def test_score_refuses_a_locked_folder_at_once_naming_the_holder(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    src, tgt = _files(tmp_path)
    out = tmp_path / "scores"
    assert main(["score", "--source", str(src), "--target", str(tgt), "--output", str(out)]) == 0
    capsys.readouterr()
    before = (out / "pairs.jsonl").read_bytes()
    holder = subprocess.Popen(  # another process holding the folder, as a running `mt score` does
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from mt.rundir import lock_run; "
         "lock = lock_run(Path(sys.argv[1])); print('locked', flush=True); time.sleep(60)", str(out)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert main(["score", "--source", str(src), "--target", str(tgt), "--output", str(out)]) == 2
        assert capsys.readouterr().err == (f"mt: error: run folder '{out}' is in use by another mt run (process "
                                           f"{holder.pid}); wait for it to finish or stop it\n")
        assert main(["score", "--source", str(src), "--target", str(tgt), "--output", str(out), "--overwrite"]) == 2
        assert "is in use by another mt run" in capsys.readouterr().err  # --overwrite does not break a lock
        assert (out / "pairs.jsonl").read_bytes() == before
    finally:
        holder.kill()
        holder.wait()
    assert main(["score", "--source", str(src), "--target", str(tgt), "--output", str(out)]) == 0


def test_two_concurrent_scores_give_one_clean_folder(tmp_path: Path) -> None:
    src, tgt = tmp_path / "big.ar.txt", tmp_path / "big.en.txt"
    src.write_text("\n".join(AR[:2] * 30) + "\n", encoding="utf-8")
    tgt.write_text("\n".join(EN[:2] * 30) + "\n", encoding="utf-8")
    out = tmp_path / "scores"
    run_twice_at_once(["score", "--source", str(src), "--target", str(tgt), "--output", str(out)], ROOT, out)
    rows = _rows(out)
    assert len(rows) == 60 and [r["ar"] for r in rows[:2]] == AR[:2]
    assert not list(out.glob("*.tmp"))
