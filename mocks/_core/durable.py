"""Durable state: a sandbox kept in SQLite in a data directory, so a restart loses nothing that
was acknowledged.

A tenant's state for one API is kept whole, as one pickled snapshot, saved before the answer to
every write leaves (the seam, the token issuers and the control plane call
:class:`SqlitePersistence`). Pickling every vendor's tenant state takes about a millisecond
(Metasys, the largest, is some 28 KB), so a snapshot per write costs less than the bookkeeping a
row per record would need, and vendor state and routes stay unaware of storage.

Objects a state shares with the rest of the sandbox are not copied into a snapshot but kept as
references and bound again at load: clocks (to the tenant's clock) and anything the vendor's
api object holds (Atmotube's reading cache, BuildingMinds' processing times, the fixture).
Keys and certificates (Metasys' BACnet/SC credentials) are kept as PEM.

The database runs in WAL mode with ``synchronous=NORMAL``: a committed transaction survives the
process being killed; a power loss or operating-system crash may lose the last moments.
"""

from __future__ import annotations

import functools
import io
import logging
import pickle
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from standin._core.clock import Clock
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
    token TEXT
);
CREATE TABLE IF NOT EXISTS states (
    tenant TEXT NOT NULL,
    api TEXT NOT NULL,
    blob BLOB NOT NULL,
    PRIMARY KEY (tenant, api)
);
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
_IMMUTABLE = (str, bytes, int, float, complex, bool, type(None), tuple, frozenset)
_IMMUTABLE_TYPES = frozenset(_IMMUTABLE)
_PLAIN = frozenset({*_IMMUTABLE, list, dict, set})
"""Built-in types: never a clock, a key or a certificate, and (immutable ones) never shared. The
pickler asks about every object it writes (hundreds of thousands in a Metasys snapshot with full
logs), so these are answered by one set lookup before any ``isinstance`` against the abstract key
classes."""


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
        self._add_token_column()

    def _add_token_column(self) -> None:
        """A data directory kept before tenants had tokens gains the column (its tenants get
        tokens when they are restored)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(tenants)")}
        if "token" not in columns:
            self._db.execute("ALTER TABLE tenants ADD COLUMN token TEXT")

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
        states: dict[str, bytes],
        token: str | None = None,
    ) -> None:
        """A tenant's row (its credentials and tenant token) and its states."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO tenants (id, credentials, created, token) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET credentials = excluded.credentials, "
                "token = excluded.token",
                (tenant_id, orjson.dumps(credentials).decode(), time.time(), token),
            )
            db.executemany(
                "INSERT OR REPLACE INTO states (tenant, api, blob) VALUES (?, ?, ?)",
                [(tenant_id, api, blob) for api, blob in states.items()],
            )

    def put_states(self, states: list[tuple[str, str, bytes]]) -> None:
        """``(tenant, api, blob)`` snapshots, replacing the ones kept."""
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO states (tenant, api, blob) VALUES (?, ?, ?)", states
            )

    def delete_tenant(self, tenant_id: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM states WHERE tenant = ?", (tenant_id,))
            db.execute("DELETE FROM tenants WHERE id = ?", (tenant_id,))

    def tenants(self) -> list[tuple[str, dict[str, Any], str | None]]:
        """Every kept tenant, its credentials and its tenant token, in the order they were
        created."""
        rows = self._rows("SELECT id, credentials, token FROM tenants ORDER BY rowid")
        return [(tenant_id, orjson.loads(creds), token) for tenant_id, creds, token in rows]

    def states(self, tenant_id: str) -> dict[str, bytes]:
        rows = self._rows("SELECT api, blob FROM states WHERE tenant = ?", tenant_id)
        return {api: bytes(blob) for api, blob in rows}

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


def _shared(api: VendorApi) -> dict[int, str]:
    """What the api object holds, by identity: a state refers to these, never owns them."""
    return {
        id(value): name
        for name, value in vars(api).items()
        if not isinstance(value, _IMMUTABLE) and not isinstance(value, Clock)
    }


class _SnapshotPickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, shared: dict[int, str]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._shared = shared

    def persistent_id(self, obj: Any) -> Any:
        if type(obj) in _IMMUTABLE_TYPES:
            return None
        if isinstance(obj, Clock):
            return ("clock",)
        name = self._shared.get(id(obj))
        return None if name is None else ("api", name)

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) in _PLAIN:
            return NotImplemented
        if isinstance(obj, _PRIVATE_KEYS):
            pem = obj.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            return _load_private_key, (pem,)
        if isinstance(obj, x509.Certificate):
            return _load_certificate, (obj.public_bytes(serialization.Encoding.PEM),)
        if isinstance(obj, x509.CertificateSigningRequest):
            return _load_request, (obj.public_bytes(serialization.Encoding.PEM),)
        return NotImplemented


class _SnapshotUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, bind: Callable[[tuple[str, ...]], object]) -> None:
        super().__init__(file)
        self._bind = bind

    def persistent_load(self, pid: Any) -> object:
        return self._bind(tuple(pid))


_PRIVATE_KEYS = (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)


def _load_private_key(pem: bytes) -> object:
    return serialization.load_pem_private_key(pem, password=None)


def _load_certificate(pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem)


def _load_request(pem: bytes) -> x509.CertificateSigningRequest:
    return x509.load_pem_x509_csr(pem)


def dump_state(state: object, api: VendorApi) -> bytes:
    buffer = io.BytesIO()
    _SnapshotPickler(buffer, _shared(api)).dump(state)
    return buffer.getvalue()


def load_state(blob: bytes, api: VendorApi, clock: Clock) -> object:
    def bind(pid: tuple[str, ...]) -> object:
        if pid == ("clock",):
            return clock
        if len(pid) == 2 and pid[0] == "api":
            return getattr(api, pid[1])
        raise pickle.UnpicklingError(f"unknown reference {pid!r}")

    return _SnapshotUnpickler(io.BytesIO(blob), bind).load()


class SqlitePersistence:
    """Keeps a sandbox in ``<data_dir>/standin.sqlite3``."""

    storage = "sqlite"

    def __init__(self, data_dir: Path | str) -> None:
        self.store = SqliteStore(Path(data_dir) / DATABASE_NAME)
        self._sandbox: Sandbox | None = None

    @property
    def sandbox(self) -> Sandbox:
        if self._sandbox is None:
            raise RuntimeError("restore(sandbox) binds the persistence to its sandbox first")
        return self._sandbox

    def restore(self, sandbox: Sandbox) -> bool:
        self._sandbox = sandbox
        for key, api in sandbox.apis.items():
            issuer = issuer_of(api)
            if issuer is None:
                continue
            self._restore_signer(key, issuer)
            issuer.restore(self.store.tokens(key))
            issuer.log = _IssuerLog(self.store, key)
        kept = self.store.tenants()
        for tenant_id, credentials, token in kept:
            kept_apis = set(self.store.states(tenant_id))
            tenant = sandbox.tenants.restore(
                tenant_id, credentials, functools.partial(self._load_states, tenant_id), token
            )
            if tenant.token != token or not set(sandbox.apis) <= kept_apis & set(credentials):
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
        for key, blob in self.store.states(tenant_id).items():
            api = sandbox.apis.get(key)
            if api is None:
                continue  # kept by a server that served more APIs; left in the store
            try:
                states[key] = load_state(blob, api, clock)
            except Exception:
                # A snapshot this version of standin cannot read: the tenant starts this API
                # again from its fixtures rather than the server refusing to start.
                log.exception("standin: %s state of tenant %s is unreadable", key, tenant_id)
        return states

    def save_tenant(self, tenant: Tenant) -> None:
        apis = self.sandbox.apis
        states = {
            key: dump_state(state, apis[key]) for key, state in tenant.states.items() if key in apis
        }
        self.store.put_tenant(tenant.id, tenant.credentials, states, tenant.token)

    def save_state(self, tenant: Tenant, api: str) -> None:
        blob = dump_state(tenant.states[api], self.sandbox.apis[api])
        self.store.put_states([(tenant.id, api, blob)])

    def save_api(self, api: str) -> None:
        vendor = self.sandbox.apis[api]
        self.store.put_states(
            [
                (tenant.id, api, dump_state(tenant.states[api], vendor))
                for tenant in self.sandbox.tenants.all()
            ]
        )

    def remove_tenant(self, tenant_id: str) -> None:
        self.store.delete_tenant(tenant_id)

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
