"""Shared fixtures: the seed material from ../shared and tiny real models built offline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.register_assert_rewrite("tests.output_files")  # its checks report the values that differ

ROOT = Path(__file__).resolve().parent.parent
SHARED_SEED = ROOT.parent / "shared" / "data" / "seed"
SEED_ARTICLE = ROOT / "seeds" / "lavrov-syrian-opposition-2012.ar.txt"


@pytest.fixture(scope="session", autouse=True)
def private_mt_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Models converted for CTranslate2 go to a temporary `MT_CACHE` (subprocesses inherit it), never to the
    user's ~/.cache/mt."""
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


# `mt` held up before it writes its first output file (the first call of mt.outputs.formats.atomic_lines): it has
# claimed and locked its folder by then, and done its work. argv: the file it creates once held up, the file it
# waits for, then the mt command line.
HELD_UP_MT = """
import sys, time
from pathlib import Path

import mt.outputs.formats
from mt.cli import main

held, go = Path(sys.argv[1]), Path(sys.argv[2])
write = mt.outputs.formats.atomic_lines


def held_up(*args, **kwargs):
    if not held.exists():
        held.touch()
        deadline = time.monotonic() + 300
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    return write(*args, **kwargs)


mt.outputs.formats.atomic_lines = held_up
sys.exit(main(sys.argv[3:]))
"""


def holds_lock(run_dir: Path) -> bool:
    """Whether another process holds `run_dir`'s lock: this process's own flock on its `.lock` is refused."""
    import fcntl

    from mt.outputs.rundir import LOCK_FILE

    try:
        fd = os.open(run_dir / LOCK_FILE, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # drops this process's flock, if it got one
    return False


def run_twice_at_once(command: list[str], root: Path, run_dir: Path) -> list[tuple[int, str, str]]:
    """Start `mt COMMAND`, hold it up once it has done its work and is about to write (it must hold the lock of
    `run_dir` then: this process cannot take it), and run the same command again meanwhile: the second must be
    refused in one line naming the first's PID; then the first goes on and must end well. Two runs that both
    succeed fail this, however they were timed. Returns (returncode, stdout, stderr) of the first and second."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    gate = Path(tempfile.mkdtemp(prefix="mt-held-up-"))
    held, go = gate / "held", gate / "go"
    first = subprocess.Popen([sys.executable, "-c", HELD_UP_MT, str(held), str(go), *command], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 300
        while not held.exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert held.exists(), f"the first run ended (code {first.poll()}) before writing anything"
        assert holds_lock(run_dir), f"the first run does not hold the lock of '{run_dir}' while it writes"
        second = subprocess.run([sys.executable, "-m", "mt.cli", *command], capture_output=True, text=True, env=env,
                                timeout=300, check=False)
    finally:
        go.touch()
        out, err = first.communicate(timeout=300)
        shutil.rmtree(gate)
    assert first.returncode == 0, err
    assert (second.returncode, second.stdout) == (2, ""), second.stderr
    assert second.stderr.count("\n") == 1
    assert f"run folder '{run_dir}' is in use by another mt run (process {first.pid})" in second.stderr
    return [(first.returncode, out, err), (second.returncode, second.stdout, second.stderr)]
