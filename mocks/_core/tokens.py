"""Access and refresh tokens: opaque or signed JWTs, expiring on their tenant's clock.

General enough for every flow the vendors use: client credentials, password, refresh (with
single-use rotation), login/refresh of a session token, and Azure AD style JWTs whose signing
keys are published as a JWKS.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from standin._core.clock import Clock

TokenKind = Literal["access", "refresh"]
TokenFormat = Literal["opaque", "jwt"]
TokenProblem = Literal["unknown", "expired", "revoked", "malformed", "wrong_kind"]
TenantClocks = Callable[[str], Clock]
"""The clock of a tenant, by its id (``Sandbox.clock_for``)."""


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
        self._revoked: set[str] = set()
        self._issued_since_sweep = 0
        self.log: TokenLog | None = None
        self.directory: TokenDirectory | None = None

    def restore(self, tokens: list[IssuedToken]) -> None:
        """Remember tokens issued before a restart (not told to the log: it holds them)."""
        for token in tokens:
            self._tokens[token.value] = token

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
        if value in self._revoked:
            raise TokenRejected("revoked")
        token = self._tokens.get(value)
        directory = self.directory
        if directory is not None:
            if token is None:
                token = directory.find(value)
                if token is not None:
                    # Kept here too: the next request with it is handed on without a lookup
                    # (it is judged, revoked or not, where its tenant is served).
                    self._tokens[value] = token
            if token is not None:
                directory.claim(token.tenant_id)
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
        if token.expires_at is not None and self._expired(token):
            raise TokenRejected("expired")
        return token

    def redeem_refresh(self, value: str) -> IssuedToken:
        """Consume a refresh token: it is good for one use only."""
        token = self.validate(value, kind="refresh")
        self.revoke(value)
        return token

    def revoke(self, value: str) -> None:
        if self._tokens.pop(value, None) is not None:
            self._revoked.add(value)
            if self.log is not None:
                self.log.forget([value])

    def revoke_tenant(self, tenant_id: str) -> None:
        for value, token in list(self._tokens.items()):
            if token.tenant_id == tenant_id:
                self.revoke(value)

    def forget_tenant(self, tenant_id: str) -> None:
        """Drop a removed tenant's tokens outright (they answer as unknown from now on); unlike
        :meth:`revoke_tenant`, nothing of them is kept."""
        for value, token in list(self._tokens.items()):
            if token.tenant_id == tenant_id:
                del self._tokens[value]

    def active_count(self) -> int:
        return len(self._tokens)

    def _remember(self, token: IssuedToken) -> None:
        self._tokens[token.value] = token
        if self.log is not None:
            self.log.remember(token)
        self._issued_since_sweep += 1
        if self._issued_since_sweep >= 1024:
            self._sweep()

    def _sweep(self) -> None:
        """Forget expired tokens so a long-running sandbox does not grow without bound."""
        self._issued_since_sweep = 0
        directory = self.directory
        if directory is not None:
            # Tokens of tenants another process serves now: judged there, forgotten here.
            for value, token in list(self._tokens.items()):
                if not directory.serves(token.tenant_id):
                    del self._tokens[value]
        expired = [value for value, token in self._tokens.items() if self._expired(token)]
        for value in expired:
            del self._tokens[value]
        if expired and self.log is not None:
            self.log.forget(expired)

    def _expired(self, token: IssuedToken) -> bool:
        if token.expires_at is None:
            return False
        return self._clock_of(token.tenant_id).time() >= token.expires_at
