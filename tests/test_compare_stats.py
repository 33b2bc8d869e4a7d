"""`mt compare`'s paired bootstrap test (issue 21): systems that score alike on every resample are never
"significantly" different; otherwise the numbers are sacrebleu's own."""

from __future__ import annotations

import pytest
from sacrebleu.significance import PairedTest

from mt.commands.compare import BOOTSTRAP_SAMPLES, METRICS, score_systems
from mt.quality.reference import reference_metrics

REFS = [
    "The spokesman for the Russian Foreign Ministry denied the reports on Thursday.",
    "He said that Moscow would not intervene in the affairs of Syria.",
    "The meeting will be held in Geneva on 26 November.",
    "Lavrov met the Syrian opposition in Moscow.",
]
# Gibberish, as the tiny test models write: no word of the references, so BLEU 0 and TER 100 for both.
GIBBERISH_A = ["xq vv zr", "qq rr kk pp", "ww", "jj ll mm"]
GIBBERISH_B = ["aa bb", "cc dd ee", "ff gg", "hh"]


def test_identical_outputs_are_never_significantly_different() -> None:
    table, _ = score_systems(["a", "b"], [GIBBERISH_A, list(GIBBERISH_A)], REFS)
    assert [table["b"][m]["p_value"] for m in METRICS] == [1.0, 1.0, 1.0, 1.0]
    assert [table["a"][m]["p_value"] for m in METRICS] == [None, None, None, None]  # the baseline
    table, _ = score_systems(["a", "b"], [REFS, list(REFS)], REFS)  # both perfect
    assert [table["b"][m]["score"] for m in METRICS] == [100.0, 100.0, 100.0, 0.0]
    assert [table["b"][m]["p_value"] for m in METRICS] == [1.0, 1.0, 1.0, 1.0]


def test_bleu_zero_against_zero_is_not_significant_while_chrf_keeps_sacrebleus_p_value() -> None:
    table, _ = score_systems(["a", "b"], [GIBBERISH_A, GIBBERISH_B], REFS)
    assert (table["a"]["bleu"]["score"], table["b"]["bleu"]["score"]) == (0.0, 0.0)
    assert (table["a"]["ter"]["score"], table["b"]["ter"]["score"]) == (100.0, 100.0)
    assert table["b"]["bleu"]["p_value"] == 1.0 and table["b"]["ter"]["p_value"] == 1.0
    # where no resample ties, the test is sacrebleu's: the same p-value, mean and interval
    _, theirs = PairedTest([("a", GIBBERISH_A), ("b", GIBBERISH_B)], reference_metrics(), [REFS], test_type="bs",
                           n_samples=BOOTSTRAP_SAMPLES)()
    chrf = theirs["chrF2"][1]
    assert not isinstance(chrf, str)
    assert table["b"]["chrf"]["p_value"] == pytest.approx(round(chrf.p_value, 4))
    assert table["b"]["chrf"]["p_value"] < 1.0
    assert (table["b"]["chrf"]["mean"], table["b"]["chrf"]["ci"]) == (round(chrf.mean, 4), round(chrf.ci, 4))
