"""Shared fixtures: the seed material from ../shared and tiny real models built offline."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_SEED = ROOT.parent / "shared" / "data" / "seed"
SEED_ARTICLE = ROOT / "seeds" / "lavrov-syrian-opposition-2012.ar.txt"


@pytest.fixture(scope="session", autouse=True)
def private_model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Converted (ct2) models go to a folder of this test session, never the user's cache (`~/.cache/mt` or
    `$MT_CACHE`); the commands the tests start inherit it."""
    cache = tmp_path_factory.mktemp("mt-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MT_CACHE", str(cache))
        yield cache


@pytest.fixture(scope="session")
def shared_seed() -> Path:
    """The seed article, its gold split and its reference translation; skips when ../shared is absent."""
    if not (SHARED_SEED / "article-000.ar.txt").exists():
        pytest.skip("../shared/data/seed is not present")
    return SHARED_SEED


def seed_text() -> str:
    """Arabic and English text to train the tiny tokenizers on (the project's own seed, plus ../shared's
    reference translation when present)."""
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    reference = SHARED_SEED / "article-000.en.txt"
    if reference.exists():
        text += "\n" + reference.read_text(encoding="utf-8")
    else:
        text += "\nThe spokesman for the Russian Foreign Ministry denied the reports on Thursday in Moscow."
    return text


@pytest.fixture(scope="session")
def tiny_marian(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.tiny_models import build_marian

    return build_marian(seed_text(), tmp_path_factory.mktemp("models") / "tiny-marian")


@pytest.fixture(scope="session")
def tiny_nllb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.tiny_models import build_nllb

    return build_nllb(seed_text(), tmp_path_factory.mktemp("models") / "tiny-nllb")


def write_config(path: Path, **fields: object) -> Path:
    """A YAML config file with the given fields."""
    import yaml

    path.write_text(yaml.safe_dump(fields, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def marian_config(tiny_marian: Path, tmp_path: Path) -> Path:
    return write_config(tmp_path / "tiny-marian.yaml", name="tiny-marian", model=str(tiny_marian), backend="hf",
                        beam_size=2, max_new_tokens=12, max_input_tokens=48, max_batch_tokens=256,
                        output_dir=str(tmp_path / "outputs"))


@pytest.fixture
def nllb_config(tiny_nllb: Path, tmp_path: Path) -> Path:
    return write_config(tmp_path / "tiny-nllb.yaml", name="tiny-nllb", model=str(tiny_nllb), backend="hf",
                        beam_size=2, max_new_tokens=12, max_input_tokens=48, max_batch_tokens=256,
                        output_dir=str(tmp_path / "outputs"))


def run_twice_at_once(command: list[str], root: Path) -> list[tuple[int, str, str]]:
    """Start the same `mt` command twice at once; both must end well: in turn, or one refused in one line because
    the other holds the run folder's lock. Returns (returncode, stdout, stderr) of each."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    procs = [subprocess.Popen([sys.executable, "-m", "mt.cli", *command], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    assert sorted(rc for rc, _, _ in results) in ([0, 0], [0, 2])  # both in turn, or one refused
    for rc, _, err in results:
        if rc == 2:
            assert err.count("\n") == 1 and "is in use by another mt run (process " in err
    return results
