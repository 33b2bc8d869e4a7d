"""Every output file of a run holds every field of every pair of `pairs.jsonl`, converted only as README.md's
"Output files" table says, on an input with a tab inside a sentence, U+2028, a BOM, CRLF, markup, an English
line, a segment with nothing to translate and a sentence cut for the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from mt.config import load_config
from mt.engines.local import translate
from mt.records import Hypothesis
from tests.conftest import write_config
from tests.output_files import check_every_file, check_offsets, read_pairs

ARTICLE = (
    "\ufeffنفى المتحدث باسم الخارجية الروسية\tالأنباء عن تدخل موسكو.\r\n"  # a tab inside the sentence; BOM, CRLF
    "قال المتحدث\u2028إن موسكو لن تتدخل في شؤون سوريا.\n"  # U+2028 is a line break: two segments
    'وأضاف أن <b>الاجتماع</b> سيعقد في 26 تشرين الثاني & "بعده".\n'
    "The spokesman spoke in English here.\n"
    "ـــــ\n"  # tatweel only: nothing for the model to read
    "وقالت الوزارة إن الطرفين بحثا سبل حل الأزمة في أسرع وقت؛ وأكدت أن الطرف الروسي يواصل العمل مع كافة "
    "الفصائل، وأن الحوار هو الطريق الوحيد للحل.\n"
)
REFERENCE = "The spokesman\tdenied the reports.\nHe said Moscow would not interfere.\nThe meeting is on 26 November.\n"
BACK = "نفى المتحدث الأنباء."  # what the stub English→Arabic model returns for every line


class StubBack:
    """An English→Arabic 'model' that answers every line with BACK: round_trip_chrf gets a value in every file."""

    model_id, revision, max_input_tokens = "stub-back", None, 512

    @staticmethod
    def count_tokens(texts: list[str]) -> list[int]:
        return [len(t.split()) + 1 for t in texts]

    def translate_batch(self, texts: list[str]) -> list[Hypothesis]:
        return [Hypothesis(BACK, -0.25, 4) for _ in texts]


def test_every_output_file_holds_every_field_of_every_pair(tmp_path: Path, tiny_marian: Path) -> None:
    article, reference = tmp_path / "article.ar.txt", tmp_path / "ref.en.txt"
    article.write_bytes(ARTICLE.encode("utf-8"))
    reference.write_text(REFERENCE, encoding="utf-8")
    write_config(tmp_path / "back.yaml", name="back", model=str(tiny_marian))  # read for its settings only
    config = write_config(tmp_path / "tiny.yaml", name="tiny-marian", model=str(tiny_marian), beam_size=2,
                          max_new_tokens=12, max_input_tokens=48, max_batch_tokens=256,
                          output_dir=str(tmp_path / "out"), quality={"round_trip": "back.yaml"})
    run_dir = translate(load_config(config), article, reference=reference, back_translator=StubBack())  # type: ignore[arg-type]
    pairs = read_pairs(run_dir)
    # README: a BOM is dropped and CRLF becomes LF; offsets refer to the text after that
    document = article.read_bytes().decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
    check_offsets(document, pairs, "article.ar")
    assert [p["ar"] for p in pairs] == [
        "نفى المتحدث باسم الخارجية الروسية\tالأنباء عن تدخل موسكو.",
        "قال المتحدث",
        "إن موسكو لن تتدخل في شؤون سوريا.",
        'وأضاف أن <b>الاجتماع</b> سيعقد في 26 تشرين الثاني & "بعده".',
        "The spokesman spoke in English here.",
        "ـــــ",
        "وقالت الوزارة إن الطرفين بحثا سبل حل الأزمة في أسرع وقت؛ وأكدت أن الطرف الروسي يواصل العمل مع كافة "
        "الفصائل، وأن الحوار هو الطريق الوحيد للحل.",
    ]
    # what the files must show: nulls (nothing to translate), a reference with a tab, a cut sentence, flags
    empty = pairs[5]
    assert (empty["en"], empty["score"], empty["quality"], empty["flags"][0]) == ("", None, None,
                                                                                 "nothing_to_translate")
    assert any("\t" in (p["ref"] or "") for p in pairs) and pairs[6]["pieces"] > 1
    assert all(p["scores"]["round_trip_chrf"] is not None for p in pairs if p["en"])
    assert "markup" in pairs[3]["flags"] and "not_arabic" in pairs[4]["flags"]
    check_every_file(run_dir, pairs)


def test_a_report_that_holds_only_the_first_pairs_says_so_and_charts_them_all(
        tmp_path: Path, marian_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # attack 14: on a 10,060-pair run the page read "5000 of 5000 pairs shown", its chart of those 5,000 only
    import lxml.html

    import mt.outputs.shards

    monkeypatch.setattr(mt.outputs.shards, "REPORT_ROWS", 2)  # 5,000 in a real run
    text = tmp_path / "a.txt"
    text.write_text("نفى المتحدث الأنباء. وقال إن موسكو لن تتدخل. وأضاف أن الاجتماع سيعقد في جنيف. وانتهى المؤتمر.\n",
                    encoding="utf-8")
    run_dir = translate(load_config(marian_config), text)
    assert len(read_pairs(run_dir)) == 4
    page = lxml.html.fromstring((run_dir / "report.html").read_bytes())
    assert [row.get("id") for row in page.xpath('//table[@id="pairs"]/tbody/tr')] == ["a:0", "a:1"]
    assert page.xpath('//div[@class="controls"]/span')[0].text_content() == (
        "2 of 2 pairs shown (this page holds the first 2 of 4 pairs; all are in pairs.jsonl); click a column to sort")
    bars = [title.text_content() for title in page.xpath('//svg//rect[@class="bar"]/title')]
    assert sum(int(bar.rpartition(": ")[2]) for bar in bars) == 4  # the chart counts every pair
