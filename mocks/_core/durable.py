"""Durable state: a sandbox kept in SQLite in a data directory, so a restart loses nothing that
was acknowledged.

A tenant's state for one API is kept as a pickled snapshot (:mod:`standin._core.pickling`)
plus one row per record of each capped log in it (:mod:`standin._core.logrows`: Metasys audits,
alarms and value changes), saved before the answer to every write leaves (the seam, the token
issuers and the control plane call :class:`SqlitePersistence`). The snapshot holds only a
reference to each log, so a write costs the rest of the state (Metasys: some 30 KB, about a
millisecond) and the records it added or dropped, not the whole of a full log; vendor state and
routes stay unaware of storage.

The database runs in WAL mode with ``synchronous=NORMAL``: a committed transaction survives the
process being killed; a power loss or operating-system crash may lose the last moments.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from standin._core.access import token_digest
from standin._core.clock import Clock
from standin._core.logrows import LogWriters, Row, Written
from standin._core.tokens import IssuedToken, TokenIssuer

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from standin._core.api import VendorApi
    from standin._core.sandbox import Sandbox
    from standin._core.tenants import Tenant

log = logging.getLogger("standin.durable")

DATABASE_NAME = "standin.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS tenants (
    id TEXT PRIMARY KEY,
    credentials TEXT NOT NULL,
    created REAL NOT NULL,
    token_digest TEXT
);
CREATE TABLE IF NOT EXISTS states (
    tenant TEXT NOT NULL,
    api TEXT NOT NULL,
    blob BLOB NOT NULL,
    PRIMARY KEY (tenant, api)
);
CREATE TABLE IF NOT EXISTS log_rows (
    tenant TEXT NOT NULL,
    api TEXT NOT NULL,
    log INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    blob BLOB NOT NULL,
    PRIMARY KEY (tenant, api, log, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tokens (
    api TEXT NOT NULL,
    value TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (api, value)
);
CREATE TABLE IF NOT EXISTS signing_keys (
    api TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    pem BLOB NOT NULL
);
"""


class SqliteStore:
    """The tables of one data directory; every method is one committed transaction.

    One connection, shared by whichever thread serves the request, behind a lock.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._keep_token_digests()

    def _keep_token_digests(self) -> None:
        """Tenant tokens are kept as their SHA-256 digest (hex) alone. A data directory kept
        before tenants had tokens gains the column (its tenants stay without one); one that
        kept them in plain text (the ``token`` column) has them replaced by their digests,
        in one transaction, the plain-text column dropped, and the file rewritten (``VACUUM``)
        so that no free page still holds a token."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(tenants)")}
        if "token_digest" in columns and "token" not in columns:
            return
        with self._transaction() as db:
            if "token_digest" not in columns:
                db.execute("ALTER TABLE tenants ADD COLUMN token_digest TEXT")
            if "token" in columns:
                rows = db.execute(
                    "SELECT id, token FROM tenants WHERE token IS NOT NULL"
                ).fetchall()
                db.executemany(
                    "UPDATE tenants SET token_digest = ? WHERE id = ?",
                    [(token_digest(token).hex(), tenant_id) for tenant_id, token in rows],
                )
                db.execute("ALTER TABLE tenants DROP COLUMN token")
        if "token" in columns:
            with self._lock:
                self._db.execute("VACUUM")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # --- tenants and states ----------------------------------------------------------------

    def put_tenant(
        self,
        tenant_id: str,
        credentials: dict[str, Any],
        states: dict[str, bytes | Written],
        digest: bytes | None = None,
    ) -> None:
        """A tenant's row (its credentials and tenant token's digest) and its states."""
        kept_digest = None if digest is None else digest.hex()
        with self._transaction() as db:
            db.execute(
                "INSERT INTO tenants (id, credentials, created, token_digest) "
                "VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET credentials = excluded.credentials, "
                "token_digest = excluded.token_digest",
                (tenant_id, orjson.dumps(credentials).decode(), time.time(), kept_digest),
            )
            for api, state in states.items():
                _put_state(db, tenant_id, api, state)

    def put_states(self, states: list[tuple[str, str, bytes | Written]]) -> None:
        """``(tenant, api, state)`` snapshots, replacing the ones kept: a blob whole, or
        what a :class:`LogWriter` wrote (the snapshot and the changes to its log rows)."""
        with self._transaction() as db:
            for tenant_id, api, state in states:
                _put_state(db, tenant_id, api, state)

    def delete_tenant(self, tenant_id: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM log_rows WHERE tenant = ?", (tenant_id,))
            db.execute("DELETE FROM states WHERE tenant = ?", (tenant_id,))
            db.execute("DELETE FROM tenants WHERE id = ?", (tenant_id,))

    def tenants(self) -> list[tuple[str, dict[str, Any], bytes | None]]:
        """Every kept tenant, its credentials and its tenant token's digest, in the order they
        were created."""
        rows = self._rows("SELECT id, credentials, token_digest FROM tenants ORDER BY rowid")
        return [
            (tenant_id, orjson.loads(creds), None if digest is None else bytes.fromhex(digest))
            for tenant_id, creds, digest in rows
        ]

    def states(self, tenant_id: str) -> dict[str, bytes]:
        rows = self._rows("SELECT api, blob FROM states WHERE tenant = ?", tenant_id)
        return {api: bytes(blob) for api, blob in rows}

    def log_rows(self, tenant_id: str) -> dict[str, list[Row]]:
        """The log rows of a tenant's states, by API."""
        rows = self._rows(
            "SELECT api, log, seq, blob FROM log_rows WHERE tenant = ? ORDER BY api, log, seq",
            tenant_id,
        )
        found: dict[str, list[Row]] = {}
        for api, log_id, seq, blob in rows:
            found.setdefault(api, []).append((log_id, seq, bytes(blob)))
        return found

    # --- tokens and signing keys -----------------------------------------------------------

    def put_token(self, api: str, token: IssuedToken) -> None:
        record = orjson.dumps({**asdict(token), "claims": dict(token.claims)}).decode()
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO tokens (api, value, record) VALUES (?, ?, ?)",
                (api, token.value, record),
            )

    def delete_tokens(self, api: str, values: list[str]) -> None:
        with self._transaction() as db:
            db.executemany(
                "DELETE FROM tokens WHERE api = ? AND value = ?", [(api, v) for v in values]
            )

    def tokens(self, api: str) -> list[IssuedToken]:
        rows = self._rows("SELECT record FROM tokens WHERE api = ? ORDER BY rowid", api)
        return [IssuedToken(**orjson.loads(record)) for (record,) in rows]

    def put_signing_key(self, api: str, key_id: str, pem: bytes) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO signing_keys (api, key_id, pem) VALUES (?, ?, ?)",
                (api, key_id, pem),
            )

    def signing_key(self, api: str) -> tuple[str, bytes] | None:
        rows = self._rows("SELECT key_id, pem FROM signing_keys WHERE api = ?", api)
        return None if not rows else (rows[0][0], bytes(rows[0][1]))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _put_state(db: sqlite3.Connection, tenant_id: str, api: str, state: bytes | Written) -> None:
    written = state if isinstance(state, Written) else Written(state, full=True)
    db.execute(
        "INSERT OR REPLACE INTO states (tenant, api, blob) VALUES (?, ?, ?)",
        (tenant_id, api, written.blob),
    )
    if written.full:
        db.execute("DELETE FROM log_rows WHERE tenant = ? AND api = ?", (tenant_id, api))
    else:
        db.executemany(
            "DELETE FROM log_rows WHERE tenant = ? AND api = ? AND log = ?",
            [(tenant_id, api, log_id) for log_id in written.cleared],
        )
        db.executemany(
            "DELETE FROM log_rows WHERE tenant = ? AND api = ? AND log = ? AND seq = ?",
            [(tenant_id, api, log_id, seq) for log_id, seq in written.removed],
        )
    db.executemany(
        "INSERT OR REPLACE INTO log_rows (tenant, api, log, seq, blob) VALUES (?, ?, ?, ?, ?)",
        [(tenant_id, api, log_id, seq, blob) for log_id, seq, blob in written.rows],
    )


class _IssuerLog:
    """Writes one API's issued tokens through to the store, before the token is answered."""

    def __init__(self, store: SqliteStore, api: str) -> None:
        self._store = store
        self._api = api

    def remember(self, token: IssuedToken) -> None:
        self._store.put_token(self._api, token)

    def forget(self, values: list[str]) -> None:
        self._store.delete_tokens(self._api, values)


def issuer_of(api: VendorApi) -> TokenIssuer | None:
    """The API's token issuer: by convention its ``issuer`` attribute, or a method of that
    name that makes it on first use (BuildingMinds); None for APIs without tokens (Atmotube)."""
    candidate = getattr(api, "issuer", None)
    if candidate is not None and not isinstance(candidate, TokenIssuer) and callable(candidate):
        candidate = candidate()
    return candidate if isinstance(candidate, TokenIssuer) else None


class SqlitePersistence:
    """Keeps a sandbox in ``<data_dir>/standin.sqlite3``."""

    storage = "sqlite"

    def __init__(self, data_dir: Path | str) -> None:
        self.store = SqliteStore(Path(data_dir) / DATABASE_NAME)
        self._sandbox: Sandbox | None = None
        self._writers = LogWriters()

    @property
    def sandbox(self) -> Sandbox:
        if self._sandbox is None:
            raise RuntimeError("restore(sandbox) binds the persistence to its sandbox first")
        return self._sandbox

    def restore(self, sandbox: Sandbox) -> bool:
        self._sandbox = sandbox
        sandbox.tenant_dropped.append(self._writers.forget)  # what it wrote goes with it
        for key, api in sandbox.apis.items():
            issuer = issuer_of(api)
            if issuer is None:
                continue
            self._restore_signer(key, issuer)
            issuer.restore(self.store.tokens(key))
            issuer.log = _IssuerLog(self.store, key)
        kept = self.store.tenants()
        for tenant_id, credentials, digest in kept:
            kept_apis = set(self.store.states(tenant_id))
            tenant = sandbox.tenants.restore(
                tenant_id, credentials, functools.partial(self._load_states, tenant_id), digest
            )
            if tenant.token_digest != digest or not set(sandbox.apis) <= kept_apis & set(
                credentials
            ):
                # An API served now that was not served then: keep its fresh fixtures too.
                self.save_tenant(tenant)
        return bool(kept)

    def _restore_signer(self, key: str, issuer: TokenIssuer) -> None:
        signer = issuer.signer
        if signer is None:
            return
        kept = self.store.signing_key(key)
        if kept is None:
            self.store.put_signing_key(key, signer.key_id, signer.private_pem())
        else:
            signer.restore_pem(*kept)

    def _load_states(self, tenant_id: str, clock: Clock) -> dict[str, object]:
        sandbox = self.sandbox
        states: dict[str, object] = {}
        rows = self.store.log_rows(tenant_id)
        for key, blob in self.store.states(tenant_id).items():
            api = sandbox.apis.get(key)
            if api is None:
                continue  # kept by a server that served more APIs; left in the store
            try:
                states[key] = self._writers.load(
                    tenant_id, key, api, blob, rows.get(key, []), clock
                )
            except Exception:
                # A snapshot this version of standin cannot read: the tenant starts this API
                # again from its fixtures rather than the server refusing to start.
                log.exception("standin: %s state of tenant %s is unreadable", key, tenant_id)
        return states

    def save_tenant(self, tenant: Tenant) -> None:
        apis = self.sandbox.apis
        states: dict[str, bytes | Written] = {
            key: self._writers.write_whole(tenant.id, key, apis[key], state)
            for key, state in tenant.states.items()
            if key in apis
        }
        self.store.put_tenant(tenant.id, tenant.credentials, states, tenant.token_digest)

    def save_state(self, tenant: Tenant, api: str) -> None:
        written = self._writers.write(tenant.id, api, self.sandbox.apis[api], tenant.states[api])
        self._put([(tenant.id, api, written)])

    def save_api(self, api: str) -> None:
        vendor = self.sandbox.apis[api]
        self._put(
            [
                (tenant.id, api, self._writers.write(tenant.id, api, vendor, tenant.states[api]))
                for tenant in self.sandbox.tenants.all()
            ]
        )

    def _put(self, states: list[tuple[str, str, bytes | Written]]) -> None:
        try:
            self.store.put_states(states)
        except BaseException:
            # The writers took changes that were not kept: their next writes are whole.
            for tenant_id, _, _ in states:
                self._writers.forget(tenant_id)
            raise

    def remove_tenant(self, tenant_id: str) -> None:
        self.store.delete_tenant(tenant_id)
        self._writers.forget(tenant_id)

    def save_settings(self, tenant: Tenant) -> None:
        """Clocks, faults and limit settings are not kept in a data directory (as before)."""

    def save_sandbox_settings(self, api: str, values: dict[str, Any]) -> None:
        """Sandbox-wide settings are not kept either: one process serves a data directory."""

    def sandbox_settings(self, api: str) -> dict[str, Any] | None:
        return None

    def faults_elsewhere(self, tenant_id: str, api: str, method: str, path: str) -> bool:
        return False  # one process: every tenant it serves is its own

    def unavailable(self) -> str | None:
        return None

    def front(self, app: ASGIApp) -> ASGIApp:
        return app

    def close(self) -> None:
        self.store.close()
