"""The names of what a sandbox keeps in Redis (all under ``standin:``)."""

from __future__ import annotations

from standin._core.cluster.connection import PREFIX

TENANTS = PREFIX + "tenants"
"""Sorted set: every tenant's id, scored by its creation time (the directory's order)."""
CREDENTIALS = PREFIX + "credentials"
"""Hash: ``<api>\\n<credential>`` -> tenant id, for every credential that names a tenant."""
FENCE = PREFIX + "fence"
"""Counter: each lease taken gets the next number, its fence."""
SETTINGS = PREFIX + "settings"
"""Hash: ``<api>`` -> JSON of that API's sandbox-wide settings (the control plane's, not a
tenant's), read by every replica where it uses them."""
SECRET = PREFIX + "secret"
"""The replicas' shared secret, that marks a request one replica handed to another."""


def tenant(tenant_id: str) -> str:
    """Hash: ``credentials`` (JSON), ``state:<api>`` (snapshots), ``clock``, ``faults``,
    ``limits`` (JSON) and ``fence`` (the fence of the lease that last wrote it)."""
    return f"{PREFIX}tenant:{tenant_id}"


def rows(tenant_id: str) -> str:
    """Hash: ``<api>\n<log>\n<arrival>`` -> one record of a capped log of the tenant's state of
    that API (:mod:`standin._core.logrows`), written with the snapshot that refers to it."""
    return f"{PREFIX}rows:{tenant_id}"


def lease(tenant_id: str) -> str:
    """String with an expiry: ``replica|url|fence`` of the replica serving the tenant."""
    return f"{PREFIX}lease:{tenant_id}"


def credential(api: str, value: str) -> str:
    """The field of :data:`CREDENTIALS` for one credential."""
    return f"{api}\n{value}"


def token(api: str, value: str) -> str:
    """String: the JSON record of an issued token (written before the token is answered)."""
    return f"{PREFIX}token:{api}:{value}"


def signing_key(api: str) -> str:
    """Hash: ``key_id`` and ``pem`` of the key an API signs its JWTs with."""
    return f"{PREFIX}signing-key:{api}"
