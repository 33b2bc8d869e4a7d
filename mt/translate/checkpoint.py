"""A run's translations, saved batch by batch so that a killed run resumes where it stopped.

SQLite in the run folder (`checkpoint.sqlite`): one committed transaction per batch, so a crash at any moment
leaves every finished batch and nothing half-written. Keyed by the text the model read; the run folder is
keyed by the config hash, and the checkpoint records that hash too.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from mt.errors import MtError, disk_full
from mt.records import Hypothesis

FILE = "checkpoint.sqlite"


class Checkpoint:
    def __init__(self, run_dir: Path, config_hash: str) -> None:
        self.path = run_dir / FILE
        self.saved = 0  # translations stored by this process
        existed, db = self.path.exists(), None
        try:
            self.db = db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self.db.execute("CREATE TABLE IF NOT EXISTS translations (source TEXT PRIMARY KEY, text TEXT NOT NULL, "
                            "score REAL NOT NULL, n_tokens INTEGER NOT NULL)")
            self.db.execute("CREATE TABLE IF NOT EXISTS workers (run INTEGER NOT NULL, pid INTEGER NOT NULL, "
                            "restarted INTEGER NOT NULL, PRIMARY KEY (run, pid))")
            row = self.db.execute("SELECT value FROM meta WHERE key = 'config_hash'").fetchone()
            columns = {r[1] for r in self.db.execute("PRAGMA table_info(translations)")}
            if "run" not in columns:  # which run stored a row: a checkpoint of an older mt lacks it
                self.db.execute("ALTER TABLE translations ADD COLUMN run INTEGER NOT NULL DEFAULT 0")
            self.run = int(self.db.execute("SELECT COALESCE(MAX(run), 0) + 1 FROM translations").fetchone()[0])
            self.had_rows = self.db.execute("SELECT 1 FROM translations LIMIT 1").fetchone() is not None
        except sqlite3.DatabaseError as exc:
            if db is not None:
                db.close()
            if not existed:  # made just now (on a full disk, say): not left behind
                _remove(run_dir)
            if disk_full(exc, run_dir):
                raise  # the run folder names the full disk
            raise MtError(f"checkpoint '{self.path}' cannot be used ({exc}); run again with --overwrite") from None
        if row is None:
            self.db.execute("INSERT INTO meta VALUES ('config_hash', ?)", (config_hash,))
        elif row[0] != config_hash:
            raise MtError(f"checkpoint '{self.path}' belongs to config {row[0]}, not {config_hash}; "
                          "run again with --overwrite")

    def load(self, sources: Sequence[str] | None = None) -> dict[str, Hypothesis]:
        """The stored translations of `sources` (all of them when None)."""
        if sources is None:
            rows = list(self.db.execute("SELECT source, text, score, n_tokens FROM translations"))
        else:
            distinct = list(dict.fromkeys(sources))
            rows = []
            for k in range(0, len(distinct), 500):
                part = distinct[k : k + 500]
                marks = ",".join("?" * len(part))
                rows += self.db.execute(f"SELECT source, text, score, n_tokens FROM translations WHERE source IN "
                                        f"({marks})", part).fetchall()
        return {source: Hypothesis(text, score, n_tokens) for source, text, score, n_tokens in rows}

    def earlier(self, sources: Sequence[str]) -> set[str]:
        """Those of `sources` whose translation was stored by an earlier run and not redone since: the
        translations a resumed run reused. Duplicates translated earlier in this run are not among them."""
        distinct = list(dict.fromkeys(sources))
        found: set[str] = set()
        for k in range(0, len(distinct), 500):
            part = distinct[k : k + 500]
            marks = ",".join("?" * len(part))
            found.update(row[0] for row in self.db.execute(
                f"SELECT source FROM translations WHERE run < ? AND source IN ({marks})", [self.run, *part]))
        return found

    def count_earlier(self, sources: Sequence[str]) -> int:
        """How many of the distinct `sources` an earlier run translated (see `earlier`)."""
        return len(self.earlier(sources))

    def save(self, sources: Sequence[str], hyps: Iterable[Hypothesis]) -> None:
        """Store one batch in one transaction; failed hypotheses are not stored, so a rerun retries them."""
        rows = [(s, h.text, h.score, h.n_tokens, self.run) for s, h in zip(sources, hyps) if h.error is None
                and math.isfinite(h.score)]
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO translations (source, text, score, n_tokens, run) "
                                "VALUES (?, ?, ?, ?, ?)", rows)
        self.saved += len(rows)

    def note_worker(self, pid: int, restarted: bool) -> None:
        """Record that a worker process of this run started (a restarted one too, even if it never gets a batch)."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO workers VALUES (?, ?, ?)", (self.run, pid, int(restarted)))

    def workers(self) -> dict[int, bool]:
        """The worker processes of this run: pid -> whether it was a restart of a dead one."""
        rows = self.db.execute("SELECT pid, restarted FROM workers WHERE run = ?", (self.run,))
        return {int(pid): bool(restarted) for pid, restarted in rows}

    def close(self) -> None:
        self.db.close()

    def close_or_discard(self) -> None:
        """Close; and remove the checkpoint if no run has stored a translation in it (a run that failed before
        translating anything, on bad input or a full disk, leaves nothing behind)."""
        self.db.close()
        if not self.had_rows and not self.saved:
            _remove(self.path.parent)


def discard_if_empty(run_dir: Path) -> None:
    """`Checkpoint.close_or_discard` for a checkpoint that other processes wrote (the Ray engine's actors): removed
    if it holds no translation; one that cannot be read is kept."""
    path = run_dir / FILE
    if not path.exists():
        return
    try:
        db = sqlite3.connect(path, isolation_level=None)
        try:
            empty = db.execute("SELECT 1 FROM translations LIMIT 1").fetchone() is None
        finally:
            db.close()
    except sqlite3.Error:
        return
    if empty:
        _remove(run_dir)


def _remove(run_dir: Path) -> None:
    for name in (FILE, f"{FILE}-wal", f"{FILE}-shm", f"{FILE}-journal"):
        (run_dir / name).unlink(missing_ok=True)
