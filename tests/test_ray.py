"""The Ray engine at corpus scale: every input kind read by Ray Data's readers gives the local engine's files;
on a real cluster (`ray start --head`), a missing token is one line, a worker killed mid-run changes nothing,
and a driver killed mid-run resumes from its shards and checkpoint with at most one batch per worker redone.

Every Ray process a test starts carries MT_RAY_TEST=<marker> in its environment and is killed by PID at the end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import mt.pipeline
from mt.cli import main
from mt.config import load_config
from mt.engines.local import translate
from mt.engines.ray import BATCH_SEGMENTS
from tests.test_corpus import SENTENCES, read_jsonl, write_jsonl

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
OUTPUTS = ("pairs.jsonl", "corpus.ar", "corpus.en", "pairs.tsv", "pairs.tmx")
# The CLI with chunks of 10 documents, in a process of its own (the tests kill it).
CLI = "import sys, mt.pipeline as p; p.CHUNK_DOCS = 10; from mt.cli import main; sys.exit(main(sys.argv[1:]))"


def marked_pids(marker: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and f"MT_RAY_TEST={marker}".encode() in (proc / "environ").read_bytes():
                pids.append(int(proc.name))
        except OSError:
            continue
    return [p for p in pids if p != os.getpid()]


def kill_marked(marker: str) -> None:
    for pid in marked_pids(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@pytest.fixture
def ray_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A short Ray temp dir (socket paths are limited to 107 bytes) and a marker for the clean-up."""
    marker = uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="mtray-", dir="/tmp") as temp:
        env = {"RAY_TMPDIR": temp, "MT_RAY_TEST": marker, "PYTHONPATH": str(ROOT)}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        try:
            yield {**os.environ, **env}
        finally:
            kill_marked(marker)


def documents(n: int, ids: bool = True) -> list[dict[str, str]]:
    rows = [{"id": f"d{k:03d}", "text": f"({k}) {SENTENCES[k % 3]} {SENTENCES[(k + 1) % 3]}"} for k in range(n)]
    return rows if ids else [{"text": r["text"]} for r in rows]


def local_run(config_path: Path, corpus: Path | str, out: Path, monkeypatch: pytest.MonkeyPatch, **kw: object) -> Path:
    monkeypatch.setattr(mt.pipeline, "CHUNK_DOCS", 10)
    return translate(load_config(config_path, output_dir=str(out)), corpus, **kw)  # type: ignore[arg-type]


def test_ray_reads_each_input_kind_and_gives_the_local_files(tmp_path: Path, marian_config: Path,
                                                            ray_env: dict[str, str],
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mt.inputs.sources import open_source

    rows = documents(23)
    rows[4]["text"] = ""  # an empty document: no pairs, counted
    jsonl = write_jsonl(tmp_path / "corpus.jsonl", rows)
    pq.write_table(pa.Table.from_pylist(documents(12, ids=False)), tmp_path / "corpus.parquet")  # ids: row numbers
    saved = tmp_path / "saved"
    datasets.Dataset.from_list([{"key": r["id"], "content": r["text"]} for r in documents(11)]).save_to_disk(saved)
    (tmp_path / "streamed").mkdir()
    write_jsonl(tmp_path / "streamed" / "part.jsonl", documents(5))
    folder = tmp_path / "articles"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(f"{SENTENCES[0]}\n\n{SENTENCES[1]}", encoding="utf-8")
    (folder / "sub" / "b.ar.txt").write_text(SENTENCES[2], encoding="utf-8")
    inputs = [(jsonl, {}), (tmp_path / "corpus.parquet", {}), (saved, {"text_column": "content", "id_column": "key"}),
              (f"hf:{tmp_path / 'streamed'}", {}), (folder, {})]
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False)
    try:
        for n, (path, columns) in enumerate(inputs):
            source = open_source(path, **columns)  # type: ignore[arg-type]
            local = local_run(marian_config, path, tmp_path / f"local{n}", monkeypatch, source=source)
            args = ["--input-column", columns["text_column"], "--id-column", columns["id_column"]] if columns else []
            out = tmp_path / f"ray{n}"
            assert main(["translate", "--config", str(marian_config), "--input", str(path), "--engine", "ray",
                         "--num-workers", "2" if n == 0 else "1", "--output-dir", str(out), *args]) == 0
            run_dir = next(out.iterdir())
            for name in OUTPUTS:
                assert (run_dir / name).read_bytes() == (local / name).read_bytes(), (path, name)
            ours, theirs = (json.loads((d / "manifest.json").read_text()) for d in (run_dir, local))
            assert ours["model"] == theirs["model"] and ours["inputs"] == theirs["inputs"]
            assert ours["counts"] == theirs["counts"], path  # unique_model_inputs too: distinct per chunk in both
            assert 1 <= ours["engine"]["worker_processes"] <= 2 and ours["engine"]["restarted_workers"] == 0
        pairs = read_jsonl(next((tmp_path / "ray0").iterdir()) / "pairs.jsonl")
        assert len(pairs) == 44 and pairs[8]["id"] == "d005:0"  # d004 is empty
        assert [p["id"] for p in read_jsonl(next((tmp_path / "ray1").iterdir()) / "pairs.jsonl")][:3] == [
            "0:0", "0:1", "1:0"]
        assert [p["id"] for p in read_jsonl(next((tmp_path / "ray4").iterdir()) / "pairs.jsonl")] == [
            "a:0", "a:1", "sub/b.ar:0"]
        manifest = json.loads((next((tmp_path / "ray0").iterdir()) / "manifest.json").read_text())
        assert manifest["counts"]["documents"] == 23 and manifest["counts"]["empty_documents"] == 1
        assert len(list((next((tmp_path / "ray0").iterdir()) / "data").glob("train-*-of-00003.parquet"))) == 3

        dup = write_jsonl(tmp_path / "dup.jsonl", [{"id": 1, "text": SENTENCES[0]}, {"id": 1, "text": SENTENCES[1]}])
        for args, message in (([], "row 2 has the id '1' of row 1; ids must be unique"),
                              (["--input-column", "body"], "row 1 has no 'body' field; name the text column")):
            assert main(["translate", "--config", str(marian_config), "--input", str(dup), "--engine", "ray",
                         "--output-dir", str(tmp_path / "bad"), *args]) == 2
            assert message in capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        ray.shutdown()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(path_glob: tuple[Path, str], proc: subprocess.Popen[str], timeout: float = 180) -> None:
    folder, pattern = path_glob
    end = time.monotonic() + timeout
    while not list(folder.glob(pattern)):
        assert proc.poll() is None, f"finished before {pattern} appeared: {proc.stderr.read() if proc.stderr else ''}"
        assert time.monotonic() < end, f"{pattern} did not appear"
        time.sleep(0.05)


def actor_pids(marker: str) -> list[int]:
    return [p for p in marked_pids(marker)
            if Path(f"/proc/{p}/cmdline").read_bytes().startswith(b"ray::MapWorker(MapBatches(TranslateActor))")]


def test_ray_cluster_survives_a_killed_worker_and_resumes_a_killed_driver(
        tmp_path: Path, marian_config: Path, ray_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = write_jsonl(tmp_path / "corpus.jsonl", documents(300))
    local = local_run(marian_config, corpus, tmp_path / "local", monkeypatch)
    port = free_port()
    head = subprocess.Popen([sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block", "--port",
                             str(port), "--temp-dir", ray_env["RAY_TMPDIR"], "--num-cpus", "3",
                             "--include-dashboard", "false", "--disable-usage-stats"], env=ray_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for((Path(ray_env["RAY_TMPDIR"]), "ray_current_cluster"), head, 120)

        def cli(out: Path, **env: str) -> subprocess.Popen[str]:
            return subprocess.Popen([sys.executable, "-c", CLI, "translate", "--config", str(marian_config),
                                     "--input", str(corpus), "--engine", "ray", "--num-workers", "2",
                                     "--ray-address", f"127.0.0.1:{port}", "--output-dir", str(out)],
                                    env={**ray_env, **env}, cwd=ROOT, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)

        # Token authentication is on (Ray's default since 2.59); refusing the token is one line, not a trace.
        refused = cli(tmp_path / "refused", RAY_AUTH_MODE="disabled", RAY_gcs_rpc_server_connect_timeout_s="3")
        _, err = refused.communicate(timeout=120)
        assert refused.returncode == 2 and err.strip().splitlines() == [
            f"mt: error: the Ray cluster at 127.0.0.1:{port} requires token authentication: set RAY_AUTH_MODE=token "
            "(Ray reads the cluster's token from ~/.ray/auth_token, RAY_AUTH_TOKEN_PATH or RAY_AUTH_TOKEN; "
            "`ray get-auth-token` on the head node prints it), or use --ray-address auto on a machine of the cluster"]

        # With Ray's defaults it joins; one translation worker is SIGKILLed mid-run, Ray restarts it.
        out = tmp_path / "worker-kill"
        run = cli(out)
        wait_for((out, "*/shards/00002.stats.json"), run)
        victims = actor_pids(ray_env["MT_RAY_TEST"])
        assert len(victims) == 2
        os.kill(victims[0], signal.SIGKILL)
        stdout, err = run.communicate(timeout=300)
        assert run.returncode == 0, err[-3000:]
        run_dir = Path(stdout.strip().splitlines()[-1])
        for name in OUTPUTS:
            assert (run_dir / name).read_bytes() == (local / name).read_bytes(), name
        engine = json.loads((run_dir / "manifest.json").read_text())["engine"]
        assert engine["fault_tolerance"] == {"max_restarts": 3, "max_task_retries": 3, "read_task_retries": 3}
        assert engine["worker_processes"] == 3 and engine["restarted_workers"] == 1, engine

        # The driver is SIGKILLed mid-run; the rerun keeps the finished shards and finds the rest translated.
        out = tmp_path / "driver-kill"
        run = cli(out)
        wait_for((out, "*/shards/00002.stats.json"), run)
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=60)
        time.sleep(3)  # the cluster ends the dead driver's actors
        (checkpoint,) = out.glob("*/checkpoint.sqlite")
        with sqlite3.connect(checkpoint) as db:
            before = db.execute("SELECT COUNT(*) FROM translations").fetchone()[0]
        rerun = cli(out)
        stdout, err = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, err[-3000:]
        run_dir = Path(stdout.strip().splitlines()[-1])
        for name in (*OUTPUTS, "data/train-00004-of-00030.parquet"):
            assert (run_dir / name).read_bytes() == (local / name).read_bytes(), name
        with sqlite3.connect(checkpoint) as db:
            total = db.execute("SELECT COUNT(*) FROM translations").fetchone()[0]
        manifest = json.loads((run_dir / "manifest.json").read_text())
        assert manifest["engine"]["reused_shards"] >= 3 and manifest["counts"]["documents"] == 300
        redone = manifest["engine"]["model_translations"] - (total - before)
        assert 0 <= redone <= 2 * BATCH_SEGMENTS, (manifest["engine"], before, total)
    finally:
        head.kill()
        head.wait(timeout=30)
