"""One run at a time of a job (``flask send-reminders``) across processes and hosts.

PostgreSQL: a session advisory lock held on a connection of its own for the whole run, so it
is released when the run ends, crashes or is killed (the server drops the lock with the
connection). SQLite: ``flock`` on a file next to the database file (released by the kernel
when the process dies; SQLite databases are local to one host). Work done under the lock must
still be safe without it (the reminders also claim each document in its own UPDATE): a lock
connection terminated by an operator frees the lock while the run goes on.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.extensions import db

# Names held by this thread: a caller holding the lock (the command) may call functions that
# take it again (the service), without waiting for itself.
_held = threading.local()
# In-memory SQLite databases live in one process: a process-local lock is enough there.
_memory_locks: dict[str, threading.Lock] = {}


class JobBusy(RuntimeError):
    """Another run holds the job's lock; ``str(error)`` names it (for operators, English)."""

    def __init__(self, name: str, holder: str, waited: float) -> None:
        self.name, self.holder, self.waited = name, holder, waited
        after = f" after waiting {waited:.0f} s" if waited else ""
        super().__init__(f"Another {name} run is active ({holder}){after}; this run did nothing.")


def _who() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()} since {datetime.now():%Y-%m-%d %H:%M:%S}"


def _names() -> set[str]:
    if not hasattr(_held, "names"):
        _held.names = set()
    return _held.names


@contextmanager
def exclusive(
    name: str, *, wait: float = 0.0, on_wait: Callable[[str], None] | None = None, poll: float = 0.5
) -> Iterator[None]:
    """Hold the job lock ``name`` for the block; re-entrant within one thread.

    Guarantees that no other process, host or thread holds ``name`` while the block runs
    (until the lock's own connection is cut, see the module docstring). When another run holds
    it, waits up to ``wait`` seconds (``on_wait(holder)`` is called once), then raises
    ``JobBusy`` naming the holder; nothing in the block has run then.
    """
    names = _names()
    if name in names:
        yield
        return
    if db.engine.dialect.name == "postgresql":
        acquire = _postgresql(name)
    elif db.engine.dialect.name == "sqlite":
        acquire = _sqlite(name)
    else:  # pragma: no cover - the app supports PostgreSQL and SQLite only
        raise RuntimeError(f"no job lock for {db.engine.dialect.name}")
    with acquire as attempt:
        started = time.monotonic()
        told = False
        while not attempt.try_lock():
            waited = time.monotonic() - started
            if waited >= wait:
                raise JobBusy(name, attempt.holder(), waited)
            if not told and on_wait is not None:
                on_wait(attempt.holder())
                told = True
            time.sleep(min(poll, wait - waited))
        names.add(name)
        try:
            yield
        finally:
            names.discard(name)


class _PostgresAttempt:
    def __init__(self, name: str) -> None:
        # Advisory locks take a bigint; CRC-32 of the name is stable across processes and versions.
        self.name, self.key, self.locked = name, zlib.crc32(name.encode()), False
        self.conn = self._connect()

    def _connect(self):
        conn = db.engine.connect()
        # Shown to a run that waits for this one (pg_stat_activity), and to operators.
        conn.execute(text("SELECT set_config('application_name', :who, false)"), {"who": f"{self.name} {_who()}"[:63]})
        conn.commit()
        return conn

    def try_lock(self, *, retry: bool = True) -> bool:
        try:
            self.locked = bool(self.conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}))
        except DBAPIError as exc:
            if not (retry and exc.connection_invalidated):
                raise
            # The connection was cut while asking (an operator, a failover): whatever it was
            # granted died with it, so nothing is held. Ask once more on a fresh connection.
            self.conn.close()
            self.conn = self._connect()
            return self.try_lock(retry=False)
        # End the transaction: the lock is the session's, and an idle-in-transaction connection
        # would hold back vacuum (or be cut by idle_in_transaction_session_timeout).
        self.conn.commit()
        return self.locked

    def holder(self) -> str:
        row = self.conn.execute(
            text(
                "SELECT a.application_name, a.client_addr, a.state_change FROM pg_locks l"
                " JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = :key"
            ),
            {"key": self.key},
        ).first()
        self.conn.commit()
        if row is None:
            return "it has just finished"
        name, address, since = row
        where = f" from {address}" if address else ""
        return f"{name or 'unnamed'}{where}, locked since {since:%Y-%m-%d %H:%M:%S %Z}".strip()


@contextmanager
def _postgresql(name: str) -> Iterator[_PostgresAttempt]:
    attempt = _PostgresAttempt(name)
    try:
        yield attempt
    finally:
        conn = attempt.conn
        if attempt.locked:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": attempt.key})
                conn.execute(text("SELECT set_config('application_name', '', false)"))
                conn.commit()
            except Exception:  # the connection was cut: the server has dropped the lock with it
                conn.invalidate()
        conn.close()


class _FileAttempt:
    def __init__(self, path: Path) -> None:
        self.path, self.file = path, open(path, "a+")  # noqa: SIM115 - closed by _sqlite

    def try_lock(self) -> bool:
        import fcntl

        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self.file.seek(0)
        self.file.truncate()
        self.file.write(_who())
        self.file.flush()
        return True

    def holder(self) -> str:
        return self.path.read_text().strip() or "starting"


class _MemoryAttempt:
    def __init__(self, lock: threading.Lock) -> None:
        self.lock, self.locked = lock, False

    def try_lock(self) -> bool:
        self.locked = self.lock.acquire(blocking=False)
        return self.locked

    def holder(self) -> str:
        return "another thread of this process"


@contextmanager
def _sqlite(name: str) -> Iterator[_FileAttempt | _MemoryAttempt]:
    database = db.engine.url.database
    if not database or database == ":memory:":
        attempt = _MemoryAttempt(_memory_locks.setdefault(name, threading.Lock()))
        try:
            yield attempt
        finally:
            if attempt.locked:
                attempt.lock.release()
        return
    attempt = _FileAttempt(Path(f"{database}.{name}.lock"))
    try:
        yield attempt
    finally:
        attempt.file.close()  # closing drops the flock
