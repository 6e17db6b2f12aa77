"""Access and refresh tokens: opaque or signed JWTs, expiring on their tenant's clock.

General enough for every flow the vendors use: client credentials, password, refresh (with
single-use rotation), login/refresh of a session token, and Azure AD style JWTs whose signing
keys are published as a JWKS.
"""

from __future__ import annotations

import base64
import heapq
import secrets
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from standin._core.clock import Clock, TenantClocks

TokenKind = Literal["access", "refresh"]
TokenFormat = Literal["opaque", "jwt"]
TokenProblem = Literal["unknown", "expired", "revoked", "malformed", "wrong_kind"]


class TokenRejected(Exception):
    """A presented token cannot be used; ``problem`` says why."""

    def __init__(self, problem: TokenProblem) -> None:
        super().__init__(problem)
        self.problem: TokenProblem = problem


@dataclass(frozen=True)
class IssuedToken:
    value: str
    kind: TokenKind
    tenant_id: str
    subject: str
    issued_at: float
    expires_at: float | None
    client_id: str | None = None
    scope: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)

    def expires_in(self) -> int | None:
        if self.expires_at is None:
            return None
        return round(self.expires_at - self.issued_at)


class JwtSigner:
    """An RSA key pair that signs JWTs and publishes its public half as a JWKS."""

    def __init__(self, key_id: str | None = None, key_size: int = 2048) -> None:
        self._private = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        self.key_id = key_id or uuid.uuid4().hex
        self.algorithm = "RS256"

    def sign(self, claims: Mapping[str, Any]) -> str:
        # The header in the issuers' order, typ then alg then kid (PyJWT sorts it unless told
        # not to): so a token begins "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIs" as the Azure AD
        # and Metasys tokens the guides show do.
        return jwt.encode(
            dict(claims),
            self._private,
            algorithm=self.algorithm,
            headers={"typ": "JWT", "kid": self.key_id},
            sort_headers=False,
        )

    def decode(self, token: str) -> dict[str, Any]:
        """Verify the signature only: expiry is judged on the sandbox clock, not the machine's."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._private.public_key(),
                algorithms=[self.algorithm],
                options={
                    "verify_exp": False,
                    "verify_aud": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as error:
            raise TokenRejected("malformed") from error
        return claims

    def private_pem(self) -> bytes:
        """The private key as PKCS#8 PEM, to keep it across a restart (standin: durable)."""
        return self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def restore_pem(self, key_id: str, pem: bytes) -> None:
        """Sign with a kept key again, so tokens signed before a restart still verify."""
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("a JwtSigner key is an RSA key")
        self._private = key
        self.key_id = key_id

    def jwks(self) -> dict[str, Any]:
        numbers = self._private.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": self.algorithm,
                    "kid": self.key_id,
                    "n": _b64uint(numbers.n),
                    "e": _b64uint(numbers.e),
                }
            ]
        }


def _b64uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class TokenLog(Protocol):
    """Told of every token an issuer starts or stops remembering (standin: durable state)."""

    def remember(self, token: IssuedToken) -> None: ...

    def forget(self, values: list[str]) -> None: ...


MAX_REVOKED_WITHOUT_EXPIRY = 10_000
"""Revoked tokens that never expire (refresh tokens of an API without a refresh lifetime) are
told apart from unknown ones for the newest this many; older ones answer as unknown (the same
401 either way)."""


class TokenDirectory(Protocol):
    """Tokens issued by other processes serving the same sandbox (``standin serve --redis``)."""

    def find(self, value: str) -> IssuedToken | None:
        """A token this process did not issue, if another one did and still keeps it."""
        ...

    def claim(self, tenant_id: str) -> None:
        """Before a token is used here: raises when its tenant is served by another process
        (the request goes there, and the token is judged and used there)."""
        ...

    def serves(self, tenant_id: str) -> bool:
        """Whether this process serves the tenant now (only then does it judge expiry)."""
        ...


class TokenIssuer:
    """Issues, validates, refreshes and revokes the tokens of one API.

    Every issued token is remembered until it expires, so revocation and single-use refresh
    tokens work for JWTs as well as opaque strings. ``clock`` is one clock for every token, or
    how to find the clock of a token's tenant: each token is issued and judged on its own
    tenant's clock, so moving one tenant's clock expires that tenant's tokens only.

    Expired tokens are forgotten as they expire, not in occasional sweeps: each tenant has a
    heap of its tokens' expiry times (on that tenant's clock, so one heap's order never mixes
    clocks), and every issue or validation pops what is due from the heap of the tenant it
    concerns and of one other tenant in turn, so the cost is the number of tokens that expired
    and an idle tenant's expired tokens go within as many calls as there are tenants.
    A revoked token is remembered as revoked until it would have expired, then forgotten.
    """

    def __init__(
        self,
        clock: Clock | TenantClocks,
        *,
        lifetime_seconds: float,
        refresh_lifetime_seconds: float | None = None,
        token_format: TokenFormat = "opaque",
        signer: JwtSigner | None = None,
        opaque_bytes: int = 32,
    ) -> None:
        if token_format == "jwt" and signer is None:
            signer = JwtSigner()
        self._clock_of: TenantClocks = (
            (lambda tenant_id: clock) if isinstance(clock, Clock) else clock
        )
        self.lifetime_seconds = lifetime_seconds
        self.refresh_lifetime_seconds = refresh_lifetime_seconds
        self._format: TokenFormat = token_format
        self.signer = signer
        self._opaque_bytes = opaque_bytes
        self._tokens: dict[str, IssuedToken] = {}
        self._by_tenant: dict[str, set[str]] = {}
        """Tenant id -> the values of its remembered tokens (forgetting a tenant costs its own)."""
        self._expiries: dict[str, list[tuple[float, str]]] = {}
        """Tenant id -> heap of (expiry on that tenant's clock, token value) of its expiring
        tokens, remembered and revoked. An entry whose token is gone is skipped when popped."""
        self._turns: OrderedDict[str, None] = OrderedDict()
        """Tenants with a non-empty heap, in the order one more of them is swept per call."""
        self._revoked: dict[str, float | None] = {}
        """Revoked token value -> when it would have expired (None: never)."""
        self._revoked_forever: OrderedDict[str, None] = OrderedDict()
        self.log: TokenLog | None = None
        self.directory: TokenDirectory | None = None

    def restore(self, tokens: list[IssuedToken]) -> None:
        """Remember tokens issued before a restart (not told to the log: it holds them)."""
        for token in tokens:
            self._index(token)

    def issue(
        self,
        *,
        tenant_id: str,
        subject: str,
        client_id: str | None = None,
        scope: str | None = None,
        claims: Mapping[str, Any] | None = None,
        lifetime_seconds: float | None = None,
    ) -> IssuedToken:
        now = self._clock_of(tenant_id).time()
        lifetime = self.lifetime_seconds if lifetime_seconds is None else lifetime_seconds
        expires_at = now + lifetime
        extra = dict(claims or {})
        if self._format == "jwt":
            assert self.signer is not None
            body = {
                **extra,
                "sub": subject,
                "iat": int(now),
                "nbf": int(now),
                "exp": int(expires_at),
                "jti": uuid.uuid4().hex,
            }
            value = self.signer.sign(body)
            extra = body
        else:
            value = secrets.token_urlsafe(self._opaque_bytes)
        token = IssuedToken(
            value=value,
            kind="access",
            tenant_id=tenant_id,
            subject=subject,
            issued_at=now,
            expires_at=expires_at,
            client_id=client_id,
            scope=scope,
            claims=extra,
        )
        self._remember(token)
        return token

    def issue_refresh(self, access: IssuedToken) -> IssuedToken:
        now = self._clock_of(access.tenant_id).time()
        lifetime = self.refresh_lifetime_seconds
        token = replace(
            access,
            value=secrets.token_urlsafe(self._opaque_bytes),
            kind="refresh",
            issued_at=now,
            expires_at=None if lifetime is None else now + lifetime,
            claims={},
        )
        self._remember(token)
        return token

    def validate(self, value: str, kind: TokenKind = "access") -> IssuedToken:
        if not value or not value.isascii():
            raise TokenRejected("malformed")
        if value in self._revoked or value in self._revoked_forever:
            raise TokenRejected("revoked")
        token = self._tokens.get(value)
        directory = self.directory
        if directory is not None:
            if token is None:
                token = directory.find(value)
                if token is not None:
                    # Kept here too: the next request with it is handed on without a lookup
                    # (it is judged, revoked or not, where its tenant is served).
                    self._index(token)
            if token is not None:
                directory.claim(token.tenant_id)
        now = 0.0
        if token is not None:
            # Judged before the sweep, so a token is told expired (not unknown) when it is the
            # one presented; the sweep then forgets it with the rest. Both on one reading of
            # its tenant's clock.
            now = self._clock_of(token.tenant_id).time()
            self._sweep(token.tenant_id, now)
        if token is None:
            # Only a value this issuer never handed out needs its signature checked (to tell a
            # forged or mangled JWT from an unknown one): one it remembers is, letter for letter,
            # a token it signed, so verifying RSA again on every request would buy nothing.
            if self._format == "jwt" and kind == "access":
                assert self.signer is not None
                self.signer.decode(value)
            raise TokenRejected("unknown")
        if token.kind != kind:
            raise TokenRejected("wrong_kind")
        if token.expires_at is not None and now >= token.expires_at:
            raise TokenRejected("expired")
        return token

    def still_valid(self, token: IssuedToken) -> bool:
        """Whether ``token``, which :meth:`validate` accepted before, would be accepted again
        now, judged as :meth:`validate` judges it: still remembered by this issuer (not
        revoked, not forgotten with its tenant, not swept away expired) and not expired on its
        tenant's clock. False whenever another process may judge it (a token directory): the
        caller then asks :meth:`validate`, which also answers why not.

        Unlike :meth:`validate`, it sweeps nothing: a caller that remembers what a token
        stands for checks it here on every use and goes back to :meth:`validate` (which
        sweeps) when it answers False."""
        if self.directory is not None or self._tokens.get(token.value) is not token:
            return False
        expires_at = token.expires_at
        return expires_at is None or self._clock_of(token.tenant_id).time() < expires_at

    def redeem_refresh(self, value: str) -> IssuedToken:
        """Consume a refresh token: it is good for one use only."""
        token = self.validate(value, kind="refresh")
        self.revoke(value)
        return token

    def revoke(self, value: str) -> None:
        token = self._unindex(value)
        if token is not None:
            if token.expires_at is None:
                self._revoked_forever[value] = None
                while len(self._revoked_forever) > MAX_REVOKED_WITHOUT_EXPIRY:
                    self._revoked_forever.popitem(last=False)
            else:
                # Kept as revoked until it would have expired (its heap entry stays to end it).
                self._revoked[value] = token.expires_at
            if self.log is not None:
                self.log.forget([value])

    def revoke_tenant(self, tenant_id: str) -> None:
        for value in list(self._by_tenant.get(tenant_id, ())):
            self.revoke(value)

    def forget_tenant(self, tenant_id: str) -> None:
        """Drop a removed tenant's tokens outright (they answer as unknown from now on); unlike
        :meth:`revoke_tenant`, nothing of them is kept."""
        for value in self._by_tenant.pop(tenant_id, set()):
            self._tokens.pop(value, None)
        for _, value in self._expiries.pop(tenant_id, []):
            self._revoked.pop(value, None)
        self._turns.pop(tenant_id, None)

    def active_count(self) -> int:
        return len(self._tokens)

    def remembered_count(self) -> int:
        """Every token value held: active tokens and those remembered as revoked."""
        return len(self._tokens) + len(self._revoked) + len(self._revoked_forever)

    def _remember(self, token: IssuedToken) -> None:
        self._index(token)
        if self.log is not None:
            self.log.remember(token)
        self._sweep(token.tenant_id)

    def _index(self, token: IssuedToken) -> None:
        self._tokens[token.value] = token
        self._by_tenant.setdefault(token.tenant_id, set()).add(token.value)
        if token.expires_at is not None:
            heapq.heappush(
                self._expiries.setdefault(token.tenant_id, []), (token.expires_at, token.value)
            )
            self._turns[token.tenant_id] = None

    def _unindex(self, value: str) -> IssuedToken | None:
        token = self._tokens.pop(value, None)
        if token is not None:
            mine = self._by_tenant.get(token.tenant_id)
            if mine is not None:
                mine.discard(value)
                if not mine:
                    del self._by_tenant[token.tenant_id]
        return token

    def _sweep(self, tenant_id: str, now: float | None = None) -> None:
        """Forget what has expired of ``tenant_id``'s tokens (at ``now`` on its clock, read
        here if not given) and of the next tenant's in turn."""
        expired = self._sweep_tenant(tenant_id, now)
        if self._turns:
            other, _ = self._turns.popitem(last=False)
            if other != tenant_id:
                expired += self._sweep_tenant(other)
            if other in self._expiries:
                self._turns[other] = None
        if expired and self.log is not None:
            self.log.forget(expired)

    def _sweep_tenant(self, tenant_id: str, now: float | None = None) -> list[str]:
        directory = self.directory
        if directory is not None and not directory.serves(tenant_id):
            # A tenant another process serves now: its tokens are judged there, and kept in
            # the shared store by it; here they are only forgotten.
            self.forget_tenant(tenant_id)
            return []
        heap = self._expiries.get(tenant_id)
        if not heap:
            return []
        if now is None:
            now = self._clock_of(tenant_id).time()
        expired: list[str] = []
        while heap and heap[0][0] <= now:
            at, value = heapq.heappop(heap)
            token = self._tokens.get(value)
            if token is not None and token.expires_at == at and token.tenant_id == tenant_id:
                self._unindex(value)
                expired.append(value)
            elif self._revoked.get(value) == at:
                del self._revoked[value]
        if not heap:
            del self._expiries[tenant_id]
            self._turns.pop(tenant_id, None)
        return expired
