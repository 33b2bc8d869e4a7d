"""Configs a mistake or an attacker wrote: bounded loading, short errors, upper bounds, flags blamed by name."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from mt.cli import main
from mt.config import load_config
from mt.errors import ConfigError
from tests.conftest import write_config


def alias_bomb(key: str) -> str:
    """About 600 bytes that expand to 10**9 strings: the "billion laughs" attack as the value of a real key."""
    lines = ['a0: &a0 "lol"']
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    return "\n".join([*lines, "name: x", "model: org/m", f"{key}: *a9", ""])


@pytest.mark.parametrize("key", ["beam_size", "quality", "src_lang"])
def test_alias_bomb_is_refused_fast_and_small(tmp_path: Path, key: str) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb(key), encoding="utf-8")
    assert 550 < path.stat().st_size < 700
    tracemalloc.start()
    clock = time.perf_counter()
    with pytest.raises(ConfigError) as err:
        load_config(path)
    seconds = time.perf_counter() - clock
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert seconds < 1.0 and peak < 100 * 2**20
    assert str(err.value) == (f"config file '{path}' uses a YAML alias at line 2; aliases (*name) are not allowed "
                              "in configs: write the value out")


def test_an_anchor_without_alias_is_plain_yaml(tmp_path: Path) -> None:
    path = tmp_path / "anchor.yaml"
    path.write_text("name: x\nmodel: &m org/model\n", encoding="utf-8")
    assert load_config(path).model == "org/model"


def test_huge_and_deep_files_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("name: x\nmodel: org/m\n# " + "x" * 1_000_000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is larger than 1000000 bytes; it cannot be a config"):
        load_config(big)
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: x\nmodel: org/m\nbeam_size: " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is nested too deeply to be a config"):
        load_config(deep)
    digits = tmp_path / "digits.yaml"
    digits.write_text("name: x\nmodel: org/m\nbeam_size: " + "9" * 10_000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="holds a value that cannot be read"):
        load_config(digits)


LONG = "ب" * 100_000


@pytest.mark.parametrize(("change", "start"), [
    ({"src_lang": LONG}, "key 'src_lang' has unknown language code 'بببب"),
    ({"beam_size": LONG}, "key 'beam_size' must be of type int, got str 'بببب"),
    ({"backend": LONG}, "key 'backend' has bad value 'بببب"),
    ({"name": LONG}, "key 'name' has bad value 'بببب"),
    ({LONG: 1}, "unknown key 'بببب"),
    ({"quality": {"round_trip": LONG}}, "key 'quality.round_trip' names a config file 'بببب"),
    ({"model": "./" + LONG}, "key 'model' names a local folder './بببب"),
    ({"encoding": LONG}, "key 'encoding' has unknown encoding 'بببب"),
    ({"beam_size": 10**1000}, "key 'beam_size' must be at most 128, got 1000000000"),
])
def test_errors_show_at_most_80_characters_of_a_value(tmp_path: Path, change: dict, start: str) -> None:
    path = write_config(tmp_path / "long.yaml", **{"name": "x", "model": "org/m", **change})
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert start in message and "ب" * 80 not in message and "\n" not in message and len(message) < 700
    assert "characters)" in message  # the cut says how long the value was


@pytest.mark.parametrize(("key", "value", "bound"), [
    ("beam_size", 1_000_000_000, 128), ("max_new_tokens", 100_000, 4096), ("max_input_tokens", 100_000, 8192),
    ("max_batch_tokens", 10**9, 10_000_000), ("num_threads", 100_000, 1024), ("inter_threads", 5000, 1024),
    ("intra_threads", 5000, 1024),
])
def test_values_that_can_only_be_mistakes_are_refused(tmp_path: Path, key: str, value: int, bound: int) -> None:
    path = write_config(tmp_path / "c.yaml", name="x", model="org/m", **{key: value})
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == (f"{path}: key '{key}' must be at most {bound}, got {value}: a larger value can only be "
                              "a mistake")


def test_the_bounds_themselves_are_allowed(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.yaml", name="x", model="org/m", beam_size=128, max_new_tokens=4096,
                        max_input_tokens=8192, max_batch_tokens=10_000_000)
    assert load_config(path).beam_size == 128


def test_non_finite_thresholds_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "nan.yaml"
    path.write_text("name: x\nmodel: org/m\nquality:\n  chars_sd: .nan\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"key 'quality.chars_sd' must be a finite number, got nan"):
        load_config(path)


@pytest.mark.parametrize(("args", "message"), [
    (["--encoding", "klingon"], "mt: error: --encoding: key 'encoding' has unknown encoding 'klingon'; use a Python "
                                "codec name such as utf-8 or cp1256\n"),
    (["--min-quality", "5"], "mt: error: --min-quality: key 'quality.min_quality' must lie between 0 and 1, got "
                             "5.0\n"),
])
def test_flag_errors_blame_the_flag(tmp_path: Path, marian_config: Path, capsys: pytest.CaptureFixture[str],
                                    args: list[str], message: str) -> None:
    text = tmp_path / "a.txt"
    text.write_text("نص قصير.\n", encoding="utf-8")
    assert main(["translate", "--config", str(marian_config), "--input", str(text), *args]) == 2
    err = capsys.readouterr().err
    assert err == message and str(marian_config) not in err
