"""SQLite persistence for sandbox records, one JSON document per record.

A single connection guarded by one re-entrant lock: requests are served by many threads, and a
composite request must read its own uncommitted writes and roll them all back together. Nested
atomic blocks are savepoints, so an all-or-none collection inside a composite rolls back alone.
"""

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from . import ids

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    sobject TEXT NOT NULL,
    data TEXT NOT NULL,
    is_deleted INTEGER NOT NULL DEFAULT 0,
    sequence INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_sobject ON records (sobject, sequence);
CREATE TABLE IF NOT EXISTS sequences (key_prefix TEXT PRIMARY KEY, last INTEGER NOT NULL);
"""


class Transaction:
    def __init__(self) -> None:
        self.rollback = False

    def set_rollback(self) -> None:
        """Discard every write of this transaction when it ends, without raising."""
        self.rollback = True


class RecordStore:
    def __init__(self, db_path: str) -> None:
        self._lock = threading.RLock()
        self._connection = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self._connection.executescript(SCHEMA)
        self._depth = 0

    @contextmanager
    def atomic(self) -> Iterator[Transaction]:
        """A transaction; a nested call is a savepoint that can roll back on its own."""
        with self._lock:
            transaction = Transaction()
            self._depth += 1
            savepoint = f"level_{self._depth}"
            self._connection.execute(f"SAVEPOINT {savepoint}" if self._depth > 1 else "BEGIN IMMEDIATE")
            try:
                yield transaction
            except BaseException:
                self._end(savepoint, rollback=True)
                raise
            else:
                self._end(savepoint, rollback=transaction.rollback)
            finally:
                self._depth -= 1

    def _end(self, savepoint: str, *, rollback: bool) -> None:
        if self._depth > 1:
            if rollback:
                self._connection.execute(f"ROLLBACK TO {savepoint}")
            self._connection.execute(f"RELEASE {savepoint}")
        else:
            self._connection.execute("ROLLBACK" if rollback else "COMMIT")

    def insert(self, sobject: str, key_prefix: str, data: dict) -> str:
        with self.atomic():
            sequence = self._next_sequence(key_prefix)
            record_id = ids.new_id(key_prefix, sequence)
            document = {"Id": record_id, **data}
            self._connection.execute(
                "INSERT INTO records (id, sobject, data, sequence) VALUES (?, ?, ?, ?)",
                (record_id, sobject, json.dumps(document), sequence),
            )
            return record_id

    def _next_sequence(self, key_prefix: str) -> int:
        row = self._connection.execute(
            "INSERT INTO sequences (key_prefix, last) VALUES (?, 1) "
            "ON CONFLICT (key_prefix) DO UPDATE SET last = last + 1 RETURNING last",
            (key_prefix,),
        ).fetchone()
        return row[0]

    def get(self, record_id: str) -> tuple[str, dict, bool] | None:
        """(sobject, data, is_deleted) of a record by its 18-character id."""
        with self._lock:
            row = self._connection.execute(
                "SELECT sobject, data, is_deleted FROM records WHERE id = ?",
                (record_id,),
            ).fetchone()
        return (row[0], json.loads(row[1]), bool(row[2])) if row else None

    def replace(self, record_id: str, data: dict, *, is_deleted: bool = False) -> None:
        with self.atomic():
            self._connection.execute(
                "UPDATE records SET data = ?, is_deleted = ? WHERE id = ?",
                (json.dumps(data), int(is_deleted), record_id),
            )

    def all(self, sobject: str, *, include_deleted: bool = False) -> list[dict]:
        """Records of one sObject in creation order."""
        sql = "SELECT data FROM records WHERE sobject = ?"
        if not include_deleted:
            sql += " AND is_deleted = 0"
        with self._lock:
            rows = self._connection.execute(sql + " ORDER BY sequence", (sobject,)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def clear(self) -> None:
        with self.atomic():
            self._connection.execute("DELETE FROM records")

    def close(self) -> None:
        with self._lock:
            self._connection.close()
