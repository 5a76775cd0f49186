"""The stand-in's data in its own SQLite file.

One connection guarded by one re-entrant lock. A check-then-write sequence
runs inside one ``transaction()`` (the methods below nest in it), so two
clients racing, for example with the same refresh token, are served one after
the other and exactly one of them wins.
"""

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS authorization_codes (
    code TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    expires_at REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS token_pairs (
    refresh_token TEXT PRIMARY KEY,
    access_token TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    issued_at REAL NOT NULL,
    access_expires_at REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    division INTEGER NOT NULL,
    created_at REAL NOT NULL,
    data TEXT NOT NULL,
    timestamp INTEGER NOT NULL DEFAULT 0
);
"""


class Store:
    def __init__(self, db_path: str | Path) -> None:
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(db_path, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self.transaction() as db:
            db.executescript(SCHEMA)
            columns = {row["name"] for row in db.execute("PRAGMA table_info(accounts)")}
            if "timestamp" not in columns:  # A data file from before the sync endpoint existed.
                db.execute("ALTER TABLE accounts ADD COLUMN timestamp INTEGER NOT NULL DEFAULT 0")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except BaseException:
                self._db.rollback()
                raise
            self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def wipe(self) -> None:
        with self.transaction() as db:
            for table in ("authorization_codes", "token_pairs", "accounts"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed table names, no input)

    def add_authorization_code(self, code: str, client_id: str, redirect_uri: str, expires_at: float) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO authorization_codes (code, client_id, redirect_uri, expires_at) VALUES (?, ?, ?, ?)",
                (code, client_id, redirect_uri, expires_at),
            )

    def take_authorization_code(self, code: str) -> sqlite3.Row | None:
        """The code's row, marking it used; None if unknown or used before."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT * FROM authorization_codes WHERE code = ? AND used = 0",
                (code,),
            ).fetchone()
            db.execute("UPDATE authorization_codes SET used = 1 WHERE code = ?", (code,))
        return row

    def add_tokens(self, access_token: str, refresh_token: str, client_id: str, now: float, lifetime: int) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO token_pairs (refresh_token, access_token, client_id, issued_at, access_expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (refresh_token, access_token, client_id, now, now + lifetime),
            )

    def tokens_by_refresh(self, refresh_token: str) -> sqlite3.Row | None:
        with self.transaction() as db:
            return db.execute("SELECT rowid, * FROM token_pairs WHERE refresh_token = ?", (refresh_token,)).fetchone()

    def tokens_by_access(self, access_token: str) -> sqlite3.Row | None:
        with self.transaction() as db:
            return db.execute("SELECT rowid, * FROM token_pairs WHERE access_token = ?", (access_token,)).fetchone()

    def last_issued_at(self, client_id: str) -> float | None:
        with self.transaction() as db:
            return db.execute("SELECT MAX(issued_at) FROM token_pairs WHERE client_id = ?", (client_id,)).fetchone()[0]

    def revoke_refresh_tokens_before(self, row: sqlite3.Row) -> None:
        """`row`'s pair is in use: every refresh token the client was given before it stops working."""
        with self.transaction() as db:
            db.execute(
                "UPDATE token_pairs SET revoked = 1 WHERE client_id = ? AND rowid < ? AND revoked = 0",
                (row["client_id"], row["rowid"]),
            )

    def expire_access_tokens(self, now: float, refresh_interval: int) -> None:
        """Every access token expires now, and refreshing is allowed at once (as if issued long ago)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE token_pairs SET access_expires_at = ? WHERE access_expires_at > ?",
                (now, now),
            )
            db.execute("UPDATE token_pairs SET issued_at = MIN(issued_at, ?)", (now - refresh_interval,))

    # Accounts are stored as the JSON document the API serves, minus metadata.

    def accounts(self, division: int | None = None) -> list[dict]:
        with self.transaction() as db:
            return self._accounts(db, division)

    def account(self, division: int, account_id: str) -> dict | None:
        with self.transaction() as db:
            row = db.execute(
                "SELECT data FROM accounts WHERE division = ? AND id = ?",
                (division, account_id),
            ).fetchone()
        return json.loads(row["data"]) if row else None

    def add_account(self, division: int, now: float, build: Callable[[list[dict]], dict]) -> dict:
        """Store ``build(existing accounts)``; no other write runs in between, so
        generated codes and the duplicate-code check cannot race."""
        with self.transaction() as db:
            account = build(self._accounts(db, division))
            db.execute(
                "INSERT INTO accounts (id, division, created_at, data, timestamp) VALUES (?, ?, ?, ?, ?)",
                (account["ID"], division, now, json.dumps(account), self._next_timestamp(db)),
            )
        return account

    def change_account(self, division: int, account_id: str, change: Callable[[dict, list[dict]], dict]) -> dict | None:
        """Store ``change(account, other accounts)``; None when there is no such
        account in the division."""
        with self.transaction() as db:
            accounts = self._accounts(db, division)
            current = next((a for a in accounts if a["ID"] == account_id), None)
            if current is None:
                return None
            others = [a for a in accounts if a["ID"] != account_id]
            account = change(current, others)
            db.execute(
                "UPDATE accounts SET data = ?, timestamp = ? WHERE id = ?",
                (json.dumps(account), self._next_timestamp(db), account_id),
            )
        return account

    def accounts_changed_since(self, division: int) -> list[dict]:
        """Accounts of a division with their `Timestamp` (a counter that grows with every create and change,
        like Exact's sync API's), oldest change first."""
        with self.transaction() as db:
            rows = db.execute(
                "SELECT data, timestamp FROM accounts WHERE division = ? ORDER BY timestamp", (division,)
            ).fetchall()
        return [json.loads(row["data"]) | {"Timestamp": row["timestamp"]} for row in rows]

    def _next_timestamp(self, db: sqlite3.Connection) -> int:
        return db.execute("SELECT COALESCE(MAX(timestamp), 0) + 1 FROM accounts").fetchone()[0]

    def _accounts(self, db: sqlite3.Connection, division: int | None) -> list[dict]:
        query = "SELECT data FROM accounts"
        params: tuple = ()
        if division is not None:
            query += " WHERE division = ?"
            params = (division,)
        rows = db.execute(query + " ORDER BY created_at, rowid", params).fetchall()
        return [json.loads(row["data"]) for row in rows]
