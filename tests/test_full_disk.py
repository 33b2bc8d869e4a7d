"""A full disk (issue 21): one line naming the folder and saying the disk is full, exit 2, no traceback; nothing
half-written presented as done; the same command finishes the run once there is room, with the same files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, write_config
from tests.test_resume import DATA_FILES, corpus

pytestmark = pytest.mark.slow

# Run inside a private user and mount namespace (no root needed where user namespaces are allowed): a tmpfs of
# $SIZE on $MNT, the command once on it, the tmpfs grown, the command again; the results are copied out.
IN_A_SMALL_TMPFS = r"""
set -u
mount -t tmpfs -o "size=$SIZE" mt-full-disk-test "$MNT" || exit 97
"$PY" -m mt.cli translate --config "$CONFIG" --input "$INPUT" --output-dir "$MNT/o" >"$OUT/first.out" 2>"$OUT/first.err"
echo $? >"$OUT/first.rc"
(cd "$MNT/o" && find . -mindepth 1 | sort) >"$OUT/first.files"
mount -o remount,size=64m "$MNT" || exit 98
"$PY" -m mt.cli translate --config "$CONFIG" --input "$INPUT" --output-dir "$MNT/o" >"$OUT/again.out" 2>"$OUT/again.err"
echo $? >"$OUT/again.rc"
cp -r "$MNT/o" "$OUT/o"
"""


@pytest.fixture(scope="module")
def clean_run(tiny_marian: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The config, the input (48 distinct Arabic sentences) and the folder of an uninterrupted run on a normal
    disk."""
    root = tmp_path_factory.mktemp("full-disk")
    config = write_config(root / "tiny.yaml", name="tiny-marian", model=str(tiny_marian), beam_size=2,
                          max_new_tokens=12, max_input_tokens=48, max_batch_tokens=256,
                          output_dir=str(root / "outputs"))
    source = corpus(root / "article.txt", 4)
    proc = subprocess.run([sys.executable, "-m", "mt.cli", "translate", "--config", str(config), "--input",
                           str(source)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return config, source, Path(proc.stdout.strip())


def pages_kb(folder: Path) -> int:
    """What the folder's files take on a tmpfs (whole 4 KiB pages), in KiB."""
    return sum(-(-p.stat().st_size // 4096) * 4 for p in folder.rglob("*") if p.is_file())


# Where the disk fills up, as measured: claiming the folder (run.json); the checkpoint (SQLite: SQLITE_FULL, or
# SQLITE_IOERR_SHMSIZE while growing its shared memory); the final files (after the shards).
@pytest.mark.parametrize("fraction", [0.0, 0.5, 0.9], ids=["no-room-for-run-json", "half-a-run", "most-of-a-run"])
def test_a_run_on_a_full_disk_says_so_in_one_line_and_the_same_command_resumes(
        clean_run: tuple[Path, Path, Path], tmp_path: Path, fraction: float) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed: no private tmpfs can be mounted")
    config, source, clean = clean_run
    size_kb = max(4, int(pages_kb(clean) * fraction) // 4 * 4)  # a run needs more than its final files at its peak
    mnt, out = tmp_path / "mnt", tmp_path / "out"
    mnt.mkdir()
    out.mkdir()
    env = {**os.environ, "SIZE": f"{size_kb}k", "MNT": str(mnt), "OUT": str(out), "PY": sys.executable,
           "CONFIG": str(config), "INPUT": str(source), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "bash", "-c", IN_A_SMALL_TMPFS],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode == 97 or "unshare failed" in proc.stderr or "unshare:" in proc.stderr:
        pytest.skip(f"cannot mount a tmpfs in a user namespace here: {proc.stderr.strip()[:200]}")
    assert proc.returncode == 0, proc.stderr
    run_dir = mnt / "o" / clean.name

    # the run on the full disk: one line naming the run folder, exit 2, no traceback
    err = (out / "first.err").read_text()
    assert (out / "first.rc").read_text().strip() == "2", err
    assert err == (f"mt: error: the disk is full: '{run_dir}' cannot be written (no space left on the device); "
                   "free some space or pick another output folder, then run the same command again (a run resumes "
                   "where it stopped)\n")
    assert (out / "first.out").read_text() == ""
    # nothing half-written presented as done: no manifest, no temporary file, no final file without its shards
    left = (out / "first.files").read_text().split()
    assert not any(name.endswith(("manifest.json", ".tmp")) for name in left), left

    # the same command, with room: the same files, byte for byte, as the uninterrupted run's
    assert (out / "again.rc").read_text().strip() == "0", (out / "again.err").read_text()
    assert (out / "again.out").read_text().strip() == str(run_dir)
    for name in DATA_FILES:
        assert (out / "o" / clean.name / name).read_bytes() == (clean / name).read_bytes(), name


def test_standard_output_on_a_full_disk_is_one_line(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    text = tmp_path / "article.txt"
    text.write_text("نفى المتحدث باسم الخارجية الروسية الأنباء. وقال إن موسكو لن تتدخل.\n" * 2000, encoding="utf-8")
    with open("/dev/full", "w") as full:  # every write fails with ENOSPC
        proc = subprocess.run([sys.executable, "-m", "mt.cli", "segment", str(text)], cwd=ROOT, stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert proc.returncode == 2
    assert proc.stderr == ("mt: error: the disk is full (no space left on the device); free some space and run the "
                           "command again\n")
