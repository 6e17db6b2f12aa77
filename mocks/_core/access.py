"""Who may use the control plane: the locality rule, the two tokens, and what a token opens.

The rule, in one place:

- ``GET /_sandbox/health`` is open to everyone.
- The **admin token** (``X-Standin-Admin-Token``) opens everything.
- A **tenant token** (``X-Standin-Tenant-Token``, ``st_...``, returned when the tenant is
  created) opens that tenant's control plane only.
- Without a token, a request is let in (as the admin would be) only when the sandbox is not
  shared and the request comes from a **local client**: its peer address (``scope["client"]``)
  is loopback, 127.0.0.0/8 or ::1, or there is no peer address at all (in-process, Unix
  socket). Locality is the client's address, never the address the server is bound to.

Vendor credentials are neither token, so they never open it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass

from starlette.types import Scope

ADMIN_HEADER = "X-Standin-Admin-Token"
TENANT_HEADER = "X-Standin-Tenant-Token"
TENANT_TOKEN_PREFIX = "st_"
SCOPE_KEY = "standin.access"
"""Where the guard leaves the request's :class:`Access` in the ASGI scope."""


def client_is_local(scope: Scope) -> bool:
    """Whether the request's client is on this machine: a loopback peer address, or none.

    A server that forwards a request for another (a replica, a proxy) must put the original
    client's address in ``scope["client"]`` before asking this.
    """
    client = scope.get("client")
    if not client:
        return True  # no network peer: in-process transport or a Unix socket
    host = str(client[0]).split("%", 1)[0]  # an IPv6 zone id is not part of the address
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def new_tenant_token() -> str:
    """A tenant token: 256 random bits from :mod:`secrets`, marked so it is recognisable."""
    return TENANT_TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> bytes:
    """What tenants are found by: a lookup by digest tells nothing about the token's bytes."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def same_token(sent: str, kept: str) -> bool:
    """Constant-time comparison of a sent token with a kept one."""
    return hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), kept.encode())


@dataclass(frozen=True)
class Access:
    """What a control-plane request may reach: everything (``tenant`` None: the admin token,
    or a local client of an unshared sandbox), or one tenant (its tenant token)."""

    tenant: str | None = None
    how: str = "local"
    """``admin``, ``tenant`` or ``local``: how the request got in (``GET /_sandbox/access``)."""

    @property
    def is_everything(self) -> bool:
        return self.tenant is None

    def opens(self, tenant_id: str) -> bool:
        return self.tenant is None or self.tenant == tenant_id

    def as_dict(self) -> dict[str, str | None]:
        return {"access": self.how, "tenant": self.tenant}


EVERYTHING = Access()


def access_of(scope: Scope) -> Access:
    """The access the guard granted this request (everything when no guard ran: a trigger
    app used on its own, in tests)."""
    found = scope.get(SCOPE_KEY)
    return found if isinstance(found, Access) else EVERYTHING


def header(scope: Scope, name: str) -> str | None:
    """A request header's value, decoded as latin-1 (as HTTP headers are), or None."""
    wanted = name.lower().encode()
    for key, value in scope.get("headers", ()):
        if key == wanted:
            return bytes(value).decode("latin-1")
    return None
