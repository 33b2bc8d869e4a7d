"""The HTML reports in a real browser: headless Chromium through Selenium.

Chromium and its driver come from the Debian packages `chromium` and `chromium-driver` (`.ci/run` installs them).
Without them these tests fail rather than skip, so a CI machine cannot pass them by accident.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from mt.config import load_config
from mt.engines.local import translate
from mt.outputs.report import compare_report, run_report
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
SCREENSHOTS = ROOT / "outputs" / "screenshots"
ARTICLE = (
    'نفى المتحدث باسم الخارجية الروسية الأنباء. وقال: "لن نتدخل في شؤون سوريا". '
    "وأضاف أن <script>window.pwned = true</script> الاجتماع سيعقد في 26 تشرين الثاني/نوفمبر.\n"
    "The talks failed.\n"
)


def chromium_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        pytest.fail("Chromium and chromedriver are needed for the report tests: "
                    "apt-get install chromium chromium-driver (.ci/run does this)")
    return browser, driver


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = chromium_paths()
    options = Options()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--lang=en-US"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    yield driver
    driver.quit()


def test_run_report_in_chromium(browser: object, tmp_path: Path, marian_config: Path) -> None:
    from selenium.webdriver.common.by import By

    article = tmp_path / "article.ar.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    run_dir = translate(load_config(marian_config), article)
    pairs = [json.loads(x) for x in (run_dir / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    driver = browser
    driver.get((run_dir / "report.html").as_uri())  # type: ignore[attr-defined]

    rows = driver.find_elements(By.CSS_SELECTOR, "#pairs tbody tr")  # type: ignore[attr-defined]
    assert len(rows) == len(pairs) == 4
    arabic = driver.find_elements(By.CSS_SELECTOR, "#pairs td.ar")  # type: ignore[attr-defined]
    assert all(cell.get_attribute("dir") == "rtl" and cell.get_attribute("lang") == "ar" for cell in arabic[:3])
    assert all(cell.value_of_css_property("direction") == "rtl" for cell in arabic[:3])
    assert arabic[0].text == pairs[0]["ar"]
    # the English line (not_arabic) keeps its own direction: left to right, its full stop at the end
    assert arabic[3].get_attribute("dir") == "auto" and arabic[3].get_dom_attribute("lang") is None
    assert arabic[3].value_of_css_property("direction") == "ltr" and arabic[3].text == "The talks failed."
    bars = driver.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar")  # type: ignore[attr-defined]
    assert len(bars) == 10
    # the article's <script> is shown as text and never runs
    assert driver.execute_script("return window.pwned === undefined")  # type: ignore[attr-defined]
    assert "<script>window.pwned = true</script>" in arabic[2].text
    flags = [f.text for f in driver.find_elements(By.CSS_SELECTOR, "#pairs tr:nth-child(4) .flag")]  # type: ignore
    assert "not_arabic" in flags and "the text is mostly Latin script, not Arabic" in rows[3].text

    # filter by text, then by "flagged only", then sort by quality
    box = driver.find_element(By.ID, "filter-text")  # type: ignore[attr-defined]
    box.send_keys("not_arabic")
    visible = [r for r in rows if r.is_displayed()]
    assert len(visible) == 1 and driver.find_element(By.ID, "shown").text == "1"  # type: ignore[attr-defined]
    box.clear()
    box.send_keys(" ")
    driver.find_element(By.CSS_SELECTOR, 'th[data-key="quality"]').click()  # type: ignore[attr-defined]
    ordered = [r.get_attribute("data-quality") for r in
               driver.find_elements(By.CSS_SELECTOR, "#pairs tbody tr")]  # type: ignore[attr-defined]
    numbers = [float(q) for q in ordered if q]
    assert numbers == sorted(numbers)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(SCREENSHOTS / "run-report.png"))  # type: ignore[attr-defined]


def test_compare_report_in_chromium(browser: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    systems = ["opus-mt", "nllb"]
    table = {
        "name": "demo", "input": "seeds", "reference": "ref.en.txt",
        "signatures": {"bleu": "nrefs:1|bs:1000|seed:12345|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"},
        "systems": [
            {"system": name, "metrics": {m: {"score": s, "ci": 1.5, "p_value": p} for m in ("bleu", "chrf",
                                                                                             "chrf++", "ter")},
             "mean_quality": q, "flagged": f, "segments_per_s": v, "tokens_per_s": v * 30, "peak_rss_mb": 900,
             "model_size_mb": 300}
            for name, s, p, q, f, v in (("opus-mt", 30.0, None, 0.61, 2, 8.5), ("nllb", 33.0, 0.04, 0.7, 1, 2.5))
        ],
    }
    side = [{"id": f"d:{k}", "ar": "قال المتحدث <b>إن</b> موسكو لن تتدخل", "ref": "He said Moscow would not.",
             "systems": {n: {"en": f"{n} output {k} <i>x</i>", "quality": 0.1 * k, "score": -1.0,
                             "flags": ["numbers_missing"] if k == 2 else [],
                             "reasons": ["source numbers not in the output: 26"] if k == 2 else []}
                         for n in systems}} for k in range(6)]
    page = tmp_path / "report.html"
    page.write_text(compare_report(table, side), encoding="utf-8")
    driver = browser
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    assert len(driver.find_elements(By.CSS_SELECTOR, "#systems tbody tr")) == 2  # type: ignore[attr-defined]
    assert len(driver.find_elements(By.CSS_SELECTOR, "#pairs tbody tr")) == 6  # type: ignore[attr-defined]
    speed_bars = driver.find_elements(By.CSS_SELECTOR, 'svg[aria-label="speed"] rect.bar')  # type: ignore
    assert len(speed_bars) == 2
    widths = [float(b.get_attribute("width")) for b in speed_bars]
    assert widths[0] > widths[1] > 0  # 8.5 vs 2.5 segments/s
    cell = driver.find_element(By.CSS_SELECTOR, "#pairs td.ar")  # type: ignore[attr-defined]
    assert cell.value_of_css_property("direction") == "rtl" and "<b>إن</b>" in cell.text
    assert "source numbers not in the output: 26" in driver.page_source  # type: ignore[attr-defined]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(SCREENSHOTS / "compare-report.png"))  # type: ignore[attr-defined]


def url_id(k: int) -> str:
    """A corpus id as web crawls have them: a URL of about 110 characters."""
    return (f"https://www.example-news.com/ar/politics/2012/11/27/{k:04d}/"
            "%D9%84%D8%A7%D9%81%D8%B1%D9%88%D9%81-%D9%8A%D9%86%D9%81%D9%8A?ref=rss")


def test_run_report_with_url_ids_keeps_columns_readable(browser: object, tmp_path: Path,
                                                        marian_config: Path) -> None:
    from selenium.webdriver.common.by import By

    texts = ['نفى المتحدث باسم الخارجية الروسية الأنباء. وقال: "لن نتدخل في شؤون سوريا".',
             "وأضاف أن الاجتماع سيعقد في 26 تشرين الثاني/نوفمبر في جنيف."]
    corpus = tmp_path / "crawl.jsonl"
    corpus.write_text("".join(json.dumps({"id": url_id(k), "text": texts[k % 2]}, ensure_ascii=False) + "\n"
                              for k in range(6)), encoding="utf-8")
    assert len(url_id(0)) > 100
    run_dir = translate(load_config(marian_config), corpus)
    pairs = [json.loads(x) for x in (run_dir / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    driver = browser
    driver.set_window_size(1100, 900)  # type: ignore[attr-defined]
    try:
        driver.get((run_dir / "report.html").as_uri())  # type: ignore[attr-defined]
        ids = driver.find_elements(By.CSS_SELECTOR, "#pairs td.id")  # type: ignore[attr-defined]
        assert [c.get_attribute("title") for c in ids] == [p["id"] for p in pairs]  # the full id on hover
        assert ids[0].text == "https://www.…D9%8A?ref=rss:0" and len(ids[0].text) == 28
        px = driver.execute_script("return parseFloat(getComputedStyle(document.body).fontSize)")  # type: ignore
        for selector, least in (("td.en", 14), ("td.flags", 10), ("td.ar", 16)):
            widths = [c.size["width"] for c in driver.find_elements(By.CSS_SELECTOR, f"#pairs {selector}")]  # type: ignore
            assert len(widths) == len(pairs) == 9 and min(widths) >= least * px - 1, (selector, widths)
        assert max(c.size["width"] for c in ids) <= 16 * px  # a long id no longer takes the table's width
        lines = "const r = document.createRange(); r.selectNodeContents(arguments[0]); return r.getClientRects().length"
        assert all(driver.execute_script(lines, c) == 1 for c in ids)  # type: ignore[attr-defined]  # one line each
        box = driver.find_element(By.ID, "filter-text")  # type: ignore[attr-defined]
        box.send_keys("0003/")  # the filter still finds a row by its full id
        assert driver.find_element(By.ID, "shown").text == "1"  # type: ignore[attr-defined]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(SCREENSHOTS / "run-report-url-ids.png"))  # type: ignore[attr-defined]
    finally:
        driver.set_window_size(1400, 1000)  # type: ignore[attr-defined]


# The x of a character of a cell's text as laid out (the first text node), to see where its full stop went.
CHAR_X = ("const n = arguments[0].firstChild, r = document.createRange(); r.setStart(n, arguments[1]); "
          "r.setEnd(n, arguments[1] + 1); return r.getBoundingClientRect().left")


def test_source_cells_take_their_own_direction_and_the_filter_reads_presentation_forms(browser: object,
                                                                                     tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    pairs = [
        {"id": "d:0", "ar": "ذهب الولد إلى المدرسة.", "en": "The boy went to school.", "quality": 0.8,
         "score": -0.5, "flags": [], "reasons": []},
        {"id": "d:1", "ar": "ﺑﺴﻢ ﷲ ﺍﻟﺮﺣﻤﻦ ﺍﻟﺮﺣﻴﻢ.", "en": "In the name of God, the Merciful.", "quality": 0.7,
         "score": -0.6, "flags": ["presentation_forms"], "reasons": ["16 Arabic presentation-form character(s)"]},
        {"id": "d:2", "ar": "This is entirely English text.", "en": "This is entirely English text.",
         "quality": 0.0, "score": -0.2, "flags": ["not_arabic"],
         "reasons": ["the text is mostly Latin script, not Arabic"]},
        {"id": "d:3", "ar": "BBC: وصل الوفد إلى جنيف.", "en": "BBC: the delegation arrived in Geneva.", "quality": 0.6,
         "score": -0.7, "flags": [], "reasons": []},
    ]
    page = tmp_path / "report.html"
    page.write_text(run_report(pairs, {"run": "directions"}), encoding="utf-8")
    driver = browser
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    cells = driver.find_elements(By.CSS_SELECTOR, "#pairs td.ar")  # type: ignore[attr-defined]
    assert [c.value_of_css_property("direction") for c in cells] == ["rtl", "rtl", "ltr", "rtl"]
    english = cells[2]
    assert english.value_of_css_property("text-align") == "start"
    # laid out left to right: the full stop is right of the first letter (".This is entirely English text" before)
    first, stop = (driver.execute_script(CHAR_X, english, k) for k in (0, len(pairs[2]["ar"]) - 1))  # type: ignore
    assert stop > first
    # the filter finds the presentation-form row by its normalised text, and by the text as written
    box = driver.find_element(By.ID, "filter-text")  # type: ignore[attr-defined]
    for needle, row in (("بسم الله الرحمن", "d:1"), ("ﺑﺴﻢ ﷲ", "d:1"), ("ﺍﻟﻮﻟﺪ", "d:0"), ("bbc", "d:3")):
        box.clear()
        box.send_keys(needle)
        shown = [r.get_attribute("data-id") for r in driver.find_elements(By.CSS_SELECTOR, "#pairs tbody tr")
                 if r.is_displayed()]  # type: ignore[attr-defined]
        assert shown == [row], needle
        assert driver.find_element(By.ID, "shown").text == "1"  # type: ignore[attr-defined]


def test_compare_speed_chart_shows_whole_labels(browser: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    systems = ["opus-mt-ar-en-ct2-int8-beam4-greedy-rescored", "nllb-200-distilled-600M-ct2-int8", "m"]
    table = {
        "name": "long names", "input": "seeds", "reference": None, "signatures": {},
        "systems": [{"system": name, "metrics": {}, "mean_quality": 0.5, "flagged": 0, "segments_per_s": v,
                     "tokens_per_s": v * 30, "peak_rss_mb": 900, "model_size_mb": 300}
                    for name, v in zip(systems, (11.2, 123.45, 0.5))],
    }
    side = [{"id": "d:0", "ar": "قال المتحدث إن موسكو لن تتدخل.",
             "systems": {n: {"en": "He said.", "quality": 0.5, "score": -1.0, "flags": [], "reasons": []}
                         for n in systems}}]
    page = tmp_path / "compare.html"
    page.write_text(compare_report(table, side), encoding="utf-8")
    driver = browser
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    chart = driver.find_element(By.CSS_SELECTOR, 'svg[aria-label="speed"]')  # type: ignore[attr-defined]
    labels = chart.find_elements(By.CSS_SELECTOR, "text.label")
    assert [t.text for t in labels] == systems  # whole, not cut to 24 characters
    box = "const b = arguments[0].getBBox(); return [b.x, b.x + b.width]"
    width = float(chart.get_attribute("width"))
    bars = chart.find_elements(By.CSS_SELECTOR, "rect.bar")
    for label, bar, value in zip(labels, bars, chart.find_elements(By.CSS_SELECTOR, "text.value")):
        left, right = driver.execute_script(box, label)  # type: ignore[attr-defined]
        assert 0 <= left and right <= float(bar.get_attribute("x")), label.text  # the bar does not hide it
        assert driver.execute_script(box, value)[1] <= width  # type: ignore[attr-defined]
    title = chart.find_element(By.CSS_SELECTOR, "text:not(.label):not(.value)")
    assert title.text == "speed (segments/s)" and driver.execute_script(box, title)[1] <= width  # type: ignore
