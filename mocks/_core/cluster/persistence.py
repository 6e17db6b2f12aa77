"""A sandbox kept in Redis and served by several replicas: :class:`RedisPersistence`.

It is the sandbox's persistence (every acknowledged write kept, fenced by the tenant's lease),
its tenants' source (a tenant no replica serves is loaded from Redis by the first replica that
needs it, as :class:`~standin._core.durable.SqlitePersistence` loads from SQLite at start), and
its token issuers' directory and log (a token issued by one replica validates on every other).
"""

from __future__ import annotations

import functools
import logging
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import orjson
import redis

from standin._core.access import token_digest
from standin._core.clock import Clock
from standin._core.cluster import keys
from standin._core.cluster.connection import BULK_TIMEOUT, connect, shown, storage_calls
from standin._core.cluster.lease import LEASE_SECONDS, RENEW_SECONDS, Leases
from standin._core.cluster.scripts import (
    DIGEST_TOKEN,
    REMOVE_TENANT,
    SAVE_TENANT,
    WRITE,
    WRITE_STATE,
)
from standin._core.cluster.signals import (
    Holder,
    StorageUnavailable,
    TenantElsewhere,
    WriteRefused,
)
from standin._core.durable import issuer_of
from standin._core.faults import Fault
from standin._core.logrows import LogWriter, LogWriters, Row
from standin._core.tenants import DEFAULT_TENANT, TENANT_TOKEN_INDEX, Listed
from standin._core.tokens import IssuedToken, TokenIssuer

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from standin._core.api import VendorApi
    from standin._core.sandbox import Sandbox
    from standin._core.tenants import Tenant

log = logging.getLogger("standin.cluster")

LIMIT_SETTINGS = ("limit", "enabled", "window_seconds")
BULK_ROWS = 1_000
"""A write with more log rows than this goes through a client that waits longer for its answer
(:data:`BULK_TIMEOUT`); a write at a log's cap has a row or two."""
HOLDER_SEEN_SECONDS = 1.0
"""How long a replica hands a tenant's requests to the holder it last found without asking
Redis again."""


class RedisPersistence:
    """Keeps a sandbox in Redis at ``url``; this replica answers on ``advertise_url``."""

    storage = "redis"

    def __init__(
        self,
        url: str,
        advertise_url: str,
        *,
        replica_id: str | None = None,
        lease_seconds: float = LEASE_SECONDS,
        renew_seconds: float = RENEW_SECONDS,
    ) -> None:
        self.url = url
        self.advertise_url = advertise_url.rstrip("/")
        self.redis = connect(url)
        self.leases = Leases(
            self.redis,
            replica_id or uuid.uuid4().hex[:12],
            self.advertise_url,
            lease_seconds=lease_seconds,
            renew_seconds=renew_seconds,
        )
        self._write = self.redis.register_script(WRITE)
        self._save_tenant = self.redis.register_script(SAVE_TENANT)
        self._remove_tenant = self.redis.register_script(REMOVE_TENANT)
        self._write_state = self.redis.register_script(WRITE_STATE)
        self._bulk: redis.Redis | None = None
        self._writers = LogWriters()
        self._digest_token = self.redis.register_script(DIGEST_TOKEN)
        self._secret: str | None = None
        self._sandbox: Sandbox | None = None
        self._elsewhere: dict[str, tuple[Holder, float]] = {}
        self.closing: list[Callable[[], None]] = []
        """Called first by :meth:`close` (the buffered journal sends what it has queued)."""
        """Tenants last seen served by another replica, and until when to believe it without
        asking Redis again (a holder that moved on hands the request on, one that is gone is
        taken over)."""

    @property
    def sandbox(self) -> Sandbox:
        if self._sandbox is None:
            raise RuntimeError("restore(sandbox) binds the persistence to its sandbox first")
        return self._sandbox

    def _storage(self) -> Any:
        return storage_calls(self.url)

    # --- start -----------------------------------------------------------------------------

    def restore(self, sandbox: Sandbox) -> bool:
        """Bind to ``sandbox``: its registry and token issuers look tenants and tokens up in
        Redis from now on. Always True: tenants are loaded by the first replica that needs
        them; the default one is made from its fixtures by the first replica to start (or,
        should it be missing later, to need it).
        Raises :class:`StorageUnavailable` when Redis cannot be reached."""
        self._sandbox = sandbox
        sandbox.tenant_dropped.append(self._writers.forget)  # what it wrote goes with it
        with self._storage():
            for key, api in sandbox.apis.items():
                issuer = issuer_of(api)
                if issuer is not None:
                    self._share_signer(key, issuer)
                    tokens = _RedisTokens(self, key)
                    issuer.log = tokens
                    issuer.directory = tokens
            self._digest_plain_tokens()
        sandbox.tenants.source = self
        self.leases.start()
        try:
            with self._storage():
                if self.redis.zscore(keys.TENANTS, DEFAULT_TENANT) is None:
                    sandbox.tenants.get(DEFAULT_TENANT)  # the first replica makes it
        except TenantElsewhere:
            pass  # another replica is making it
        return True

    def _digest_plain_tokens(self) -> None:
        """Tenant tokens an older standin kept in plain text (the ``token`` field) become
        their digests (``token_digest``): only the digest is kept."""
        ids = self.redis.zrange(keys.TENANTS, 0, -1)
        pipe = self.redis.pipeline(transaction=False)
        for tenant_id in ids:
            pipe.hget(keys.tenant(_bytes(tenant_id).decode()), "token")
        for tenant_id, token in zip(ids, pipe.execute(), strict=True):
            if token is not None:
                digest = token_digest(_bytes(token).decode()).hex()
                self._digest_token(
                    keys=[keys.tenant(_bytes(tenant_id).decode())], args=[token, digest]
                )

    def _share_signer(self, key: str, issuer: TokenIssuer) -> None:
        """Every replica signs with the first replica's key, so one JWKS verifies them all."""
        signer = issuer.signer
        if signer is None:
            return
        mine = f"{signer.key_id}\n".encode() + signer.private_pem()
        self.redis.set(keys.signing_key(key), mine, nx=True)
        kept = self.redis.get(keys.signing_key(key))
        if kept is not None and kept != mine:
            key_id, _, pem = _bytes(kept).partition(b"\n")
            signer.restore_pem(key_id.decode(), pem)

    @property
    def secret(self) -> str:
        """The replicas' shared secret (made by the first replica, kept in Redis)."""
        if self._secret is None:
            with self._storage():
                self.redis.set(keys.SECRET, secrets.token_urlsafe(32), nx=True)
                kept = self.redis.get(keys.SECRET)
            assert kept is not None
            self._secret = _bytes(kept).decode()
        return self._secret

    # --- tenants: the registry's source ------------------------------------------------------

    def holds(self, tenant_id: str) -> bool:
        return self.leases.holds(tenant_id)

    def revalidate(self, tenant_id: str) -> bool:
        with self._storage():
            return self.leases.revalidate(tenant_id)

    def load(self, tenant_id: str) -> Tenant | None:
        sandbox = self.sandbox
        seen = self._elsewhere.get(tenant_id)
        if seen is not None:
            holder, until = seen
            if time.monotonic() < until:
                raise TenantElsewhere(tenant_id, holder)
            del self._elsewhere[tenant_id]
        with self._storage():
            if self.redis.zscore(keys.TENANTS, tenant_id) is None:
                return self._create_default() if tenant_id == DEFAULT_TENANT else None
            self._take(tenant_id)
            pipe = self.redis.pipeline(transaction=True)
            pipe.hgetall(keys.tenant(tenant_id))
            pipe.hgetall(keys.rows(tenant_id))
            kept, kept_rows = pipe.execute()
            record = {_bytes(field): _bytes(value) for field, value in kept.items()}
        if b"credentials" not in record:
            with self._storage():
                self.leases.release(tenant_id)  # removed meanwhile
            return None
        credentials = orjson.loads(record[b"credentials"])
        states = {
            field[len(b"state:") :].decode(): value
            for field, value in record.items()
            if field.startswith(b"state:")
        }
        digest = record.get(b"token_digest")
        tenant = sandbox.tenants.restore(
            tenant_id,
            credentials,
            functools.partial(self._load_states, tenant_id, states, _rows_by_api(kept_rows)),
            None if digest is None else bytes.fromhex(digest.decode()),
        )
        _apply_settings(tenant, record)
        try:
            for loaded in sandbox.tenant_loaded:
                loaded(tenant)
        except BaseException:
            # Not taken up whole (Redis went away): the next request loads it again.
            self._let_go(tenant_id)
            raise
        return tenant

    def _create_default(self) -> Tenant | None:
        """The default tenant from its fixtures, by the first replica that needs it."""
        self._take(DEFAULT_TENANT)
        if self.redis.zscore(keys.TENANTS, DEFAULT_TENANT) is not None:
            return self.load(DEFAULT_TENANT)  # created meanwhile
        tenant = self.sandbox.tenants.create_default()
        self.save_tenant(tenant)
        return tenant

    def _take(self, tenant_id: str) -> None:
        """Hold the tenant's lease, or raise :class:`TenantElsewhere` naming its holder."""
        holder = self.leases.acquire(tenant_id)
        if holder.replica != self.leases.replica and holder.url == self.advertise_url:
            # Left by an earlier process at this same address: nobody else answers there.
            holder = self.leases.acquire(tenant_id, stale=holder.value)
        if holder.replica != self.leases.replica:
            self._elsewhere[tenant_id] = (holder, time.monotonic() + HOLDER_SEEN_SECONDS)
            raise TenantElsewhere(tenant_id, holder)

    def take_over(self, tenant_id: str, holder: Holder) -> bool:
        """Take the lease of a holder that does not answer; False if it changed meanwhile."""
        self._elsewhere.pop(tenant_id, None)
        with self._storage():
            return self.leases.acquire(tenant_id, stale=holder.value).replica == (
                self.leases.replica
            )

    def _load_states(
        self, tenant_id: str, blobs: dict[str, bytes], rows: dict[str, list[Row]], clock: Clock
    ) -> dict[str, object]:
        states: dict[str, object] = {}
        for key, blob in blobs.items():
            api = self.sandbox.apis.get(key)
            if api is None:
                continue
            try:
                states[key] = self._writers.load(
                    tenant_id, key, api, blob, rows.get(key, []), clock
                )
            except Exception:
                log.exception("standin: %s state of tenant %s is unreadable", key, tenant_id)
        return states

    def tenant_of(self, api: str, credential: str) -> str | None:
        with self._storage():
            found = self.redis.hget(keys.CREDENTIALS, keys.credential(api, credential))
        return None if found is None else _bytes(found).decode()

    def listing(self) -> list[Listed]:
        with self._storage():
            ids = [_bytes(i).decode() for i in self.redis.zrange(keys.TENANTS, 0, -1)]
            pipe = self.redis.pipeline(transaction=False)
            for tenant_id in ids:
                pipe.hget(keys.tenant(tenant_id), "credentials")
            found = pipe.execute()
        return [
            (tenant_id, orjson.loads(credentials))
            for tenant_id, credentials in zip(ids, found, strict=True)
            if credentials is not None
        ]

    def peek(self, tenant_id: str, api: str) -> object | None:
        vendor = self.sandbox.apis.get(api)
        with self._storage():
            pipe = self.redis.pipeline(transaction=True)
            pipe.hget(keys.tenant(tenant_id), f"state:{api}")
            pipe.hgetall(keys.rows(tenant_id))
            blob, kept_rows = pipe.execute()
        if vendor is None or blob is None:
            return None
        try:
            rows = _rows_by_api(kept_rows).get(api, [])
            return LogWriter(vendor).load(_bytes(blob), rows, Clock())
        except Exception:
            log.exception("standin: %s state of tenant %s is unreadable", api, tenant_id)
            return None

    # --- writes (fenced) ---------------------------------------------------------------------

    def _client_for(self, rows: int) -> redis.Redis:
        """The client for a write of ``rows`` log rows."""
        if rows <= BULK_ROWS:
            return self.redis
        if self._bulk is None:
            self._bulk = connect(self.url, BULK_TIMEOUT)
        return self._bulk

    def _fenced(self, tenant: Tenant) -> tuple[str, int]:
        held = self.leases.held(tenant.id)
        if held is None:
            raise self._refused(tenant.id)
        return held.value, held.fence

    def _let_go(self, tenant_id: str) -> None:
        """Forget a local tenant whose write was not kept: what it holds in memory is no longer
        what Redis acknowledged, so the next request loads it again (here or elsewhere)."""
        self.leases.forget(tenant_id)
        if self._sandbox is not None:
            self._sandbox.tenants.drop(tenant_id)

    @contextmanager
    def _writing(self, tenant_id: str) -> Iterator[None]:
        try:
            with self._storage():
                yield
        except StorageUnavailable:
            self._let_go(tenant_id)
            raise

    def _refused(self, tenant_id: str) -> WriteRefused:
        self._let_go(tenant_id)
        return WriteRefused(
            f"tenant {tenant_id} is now served by another replica; this write was not kept"
        )

    def _write_fields(self, tenant: Tenant, fields: list[tuple[str, bytes | str]]) -> None:
        value, fence = self._fenced(tenant)
        args: list[Any] = [value, self.leases.lease_ms, fence]
        for name, data in fields:
            args += [name, data]
        with self._writing(tenant.id):
            wrote = self._write(keys=[keys.lease(tenant.id), keys.tenant(tenant.id)], args=args)
        if not wrote:
            raise self._refused(tenant.id)

    def save_tenant(self, tenant: Tenant) -> None:
        with self._storage():
            if self.leases.held(tenant.id) is None:
                self._take(tenant.id)  # a new tenant: this replica serves it
        value, fence = self._fenced(tenant)
        apis = self.sandbox.apis
        index = [
            keys.credential(key, credential)
            for key, api in apis.items()
            if key in tenant.credentials
            for credential in api.credential_keys(tenant.credentials[key])
        ]
        if tenant.token_digest is not None:
            index.append(keys.credential(TENANT_TOKEN_INDEX, tenant.token_digest.hex()))
        args: list[Any] = [value, self.leases.lease_ms, fence, tenant.id, time.time(), len(index)]
        args += index
        written = {
            key: self._writers.write_whole(tenant.id, key, apis[key], state)
            for key, state in tenant.states.items()
            if key in apis
        }
        rows = [arg for key, kept in written.items() for arg in _row_args(key, kept.rows)]
        args += [len(rows) // 2, *rows]
        args += ["credentials", orjson.dumps(tenant.credentials)]
        if tenant.token_digest is not None:
            args += ["token_digest", tenant.token_digest.hex()]
        for key, kept in written.items():
            args += [f"state:{key}", kept.blob]
        args += _settings_fields(tenant)
        with self._writing(tenant.id):
            wrote = self._save_tenant(
                client=self._client_for(len(rows) // 2),
                keys=[
                    keys.lease(tenant.id),
                    keys.tenant(tenant.id),
                    keys.TENANTS,
                    keys.CREDENTIALS,
                    keys.rows(tenant.id),
                ],
                args=args,
            )
        if not wrote:
            raise self._refused(tenant.id)

    def save_state(self, tenant: Tenant, api: str) -> None:
        self._save_written(tenant, api, self.sandbox.apis[api])

    def save_api(self, api: str) -> None:
        vendor = self.sandbox.apis[api]
        for tenant in self.sandbox.tenants.all():
            if self.leases.held(tenant.id) is not None:
                self._save_written(tenant, api, vendor)

    def _save_written(self, tenant: Tenant, api: str, vendor: VendorApi) -> None:
        """One API's state: its snapshot and the log rows that changed, in one fenced call."""
        value, fence = self._fenced(tenant)
        written = self._writers.write(tenant.id, api, vendor, tenant.states[api])
        prefix = f"{api}\n"
        cleared = [f"{prefix}{log_id}\n" for log_id in written.cleared]
        removed = [f"{prefix}{log_id}\n{seq}" for log_id, seq in written.removed]
        rows = _row_args(api, written.rows)
        args: list[Any] = [value, self.leases.lease_ms, fence, f"state:{api}", written.blob]
        args += [prefix, "1" if written.full else "0", len(cleared), *cleared]
        args += [len(removed), *removed, len(rows) // 2, *rows]
        with self._writing(tenant.id):
            wrote = self._write_state(
                client=self._client_for(len(rows) // 2),
                keys=[keys.lease(tenant.id), keys.tenant(tenant.id), keys.rows(tenant.id)],
                args=args,
            )
        if not wrote:
            raise self._refused(tenant.id)

    def save_settings(self, tenant: Tenant) -> None:
        fields = _settings_fields(tenant)
        self._write_fields(tenant, list(zip(fields[::2], fields[1::2], strict=True)))

    def save_sandbox_settings(self, api: str, values: dict[str, Any]) -> None:
        """Kept before the control plane answers, so the next request through any replica
        finds them (not fenced: they belong to no tenant; the last change wins)."""
        with self._storage():
            self.redis.hset(keys.SETTINGS, api, orjson.dumps(values))

    def sandbox_settings(self, api: str) -> dict[str, Any] | None:
        with self._storage():
            kept = self.redis.hget(keys.SETTINGS, api)
        if kept is None:
            return None
        values = orjson.loads(kept)
        return values if isinstance(values, dict) else None

    def faults_elsewhere(self, tenant_id: str, api: str, method: str, path: str) -> bool:
        """One read of the tenant's kept faults (its holder keeps them before answering the
        control plane, so a fault just added is seen here)."""
        with self._storage():
            kept = self.redis.hget(keys.tenant(tenant_id), "faults")
        if kept is None:
            return False
        return any(Fault(**spec).matches(api, method, path) for spec in orjson.loads(kept))

    def remove_tenant(self, tenant_id: str) -> None:
        held = self.leases.held(tenant_id)
        if held is None:
            return
        with self._storage():
            kept, digest = self.redis.hmget(keys.tenant(tenant_id), ["credentials", "token_digest"])
            credentials = {} if kept is None else orjson.loads(kept)
            index = [
                keys.credential(key, credential)
                for key, api in self.sandbox.apis.items()
                if key in credentials
                for credential in api.credential_keys(credentials[key])
            ]
            if digest is not None:
                index.append(keys.credential(TENANT_TOKEN_INDEX, _bytes(digest).decode()))
            wrote = self._remove_tenant(
                keys=[
                    keys.lease(tenant_id),
                    keys.tenant(tenant_id),
                    keys.TENANTS,
                    keys.CREDENTIALS,
                    keys.rows(tenant_id),
                ],
                args=[held.value, self.leases.lease_ms, held.fence, tenant_id, *index],
            )
        self.leases.forget(tenant_id)
        self._writers.forget(tenant_id)
        if not wrote:
            raise WriteRefused(f"tenant {tenant_id} is now served by another replica")

    # --- the rest of the protocol ------------------------------------------------------------

    def unavailable(self) -> str | None:
        try:
            self.redis.ping()
        except redis.RedisError as failure:
            return f"Redis at {shown(self.url)} is unreachable ({type(failure).__name__})"
        return None

    def front(self, app: ASGIApp) -> ASGIApp:
        from standin._core.cluster.gateway import Gateway

        return Gateway(app, self)

    def close(self) -> None:
        for close in self.closing:
            try:
                close()
            except redis.RedisError as error:
                log.warning("standin: closing with Redis unreachable: %s", error)
        self.leases.stop()
        self.redis.close()
        if self._bulk is not None:
            self._bulk.close()


def _bytes(value: object) -> bytes:
    """A Redis reply as bytes (the client answers bytes; its types say bytes or str)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    raise TypeError(f"unexpected Redis reply {type(value).__name__}")


def _row_args(api: str, rows: list[Row]) -> list[Any]:
    """Rows as the field/value pairs of the tenant's rows hash."""
    args: list[Any] = []
    for log_id, seq, blob in rows:
        args += [f"{api}\n{log_id}\n{seq}", blob]
    return args


def _rows_by_api(kept: dict[Any, Any]) -> dict[str, list[Row]]:
    """The rows hash read back, by API."""
    found: dict[str, list[Row]] = {}
    for field, blob in kept.items():
        api, log_id, seq = _bytes(field).decode().split("\n")
        found.setdefault(api, []).append((int(log_id), int(seq), _bytes(blob)))
    return found


def _settings_fields(tenant: Tenant) -> list[Any]:
    """A tenant's clock, faults and limit settings as hash fields and values."""
    limits = {
        api: {
            name: {k: v for k, v in described.items() if k in LIMIT_SETTINGS}
            for name, described in named.items()
        }
        for api, named in tenant.limits.describe().items()
    }
    return [
        "clock",
        orjson.dumps(tenant.clock.settings()),
        "faults",
        orjson.dumps([fault.as_dict() for fault in tenant.faults.list()]),
        "limits",
        orjson.dumps(limits),
    ]


def _apply_settings(tenant: Tenant, record: dict[bytes, bytes]) -> None:
    """A loaded tenant's clock, faults and limits as they were kept."""
    if b"clock" in record:
        tenant.clock.apply(orjson.loads(record[b"clock"]))
    if b"faults" in record:
        tenant.faults.clear()
        for spec in orjson.loads(record[b"faults"]):
            tenant.faults.add(Fault(**spec))
    if b"limits" in record:
        try:
            tenant.limits.configure(orjson.loads(record[b"limits"]))
        except ValueError:
            log.warning("standin: kept limits of tenant %s no longer apply", tenant.id)


class _RedisTokens:
    """One API's tokens in Redis: written before a token is answered, deleted when revoked or
    expired, found by any replica; a token is used only where its tenant is served."""

    def __init__(self, persistence: RedisPersistence, api: str) -> None:
        self._persistence = persistence
        self._api = api

    def remember(self, token: IssuedToken) -> None:
        record = orjson.dumps({**asdict(token), "claims": dict(token.claims)})
        with self._persistence._storage():
            self._persistence.redis.set(keys.token(self._api, token.value), record)

    def forget(self, values: list[str]) -> None:
        if not values:
            return
        with self._persistence._storage():
            self._persistence.redis.delete(*(keys.token(self._api, v) for v in values))

    def find(self, value: str) -> IssuedToken | None:
        with self._persistence._storage():
            record = self._persistence.redis.get(keys.token(self._api, value))
        return None if record is None else IssuedToken(**orjson.loads(record))

    def claim(self, tenant_id: str) -> None:
        self._persistence.sandbox.tenants.get(tenant_id)

    def serves(self, tenant_id: str) -> bool:
        return self._persistence.leases.holds(tenant_id)
