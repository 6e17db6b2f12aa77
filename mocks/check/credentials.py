"""Where a check's credentials come from: a file, or the standin it is pointed at."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import requests

from standin.check.profiles.base import Credentials


class NoCredentials(Exception):
    """No credentials file, and the target is no standin that would tell its own."""


def origin_of(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def from_file(path: Path, api: str) -> Credentials:
    """A JSON object in the shape of ``GET /_sandbox/credentials`` for ``api``.

    The whole answer of that endpoint (every API, keyed by name) is accepted too.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NoCredentials(f"cannot read credentials from {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise NoCredentials(f"{path} holds no JSON object")
    found = data.get(api)
    if isinstance(found, dict):
        return found
    return data


def control_headers(admin_token: str | None, tenant_token: str | None) -> dict[str, str]:
    """The headers that open a standin's control plane: the admin token, a tenant's token."""
    headers = {}
    if admin_token:
        headers["X-Standin-Admin-Token"] = admin_token
    if tenant_token:
        headers["X-Standin-Tenant-Token"] = tenant_token
    return headers


def from_standin(
    base_url: str, api: str, session: requests.Session, headers: dict[str, str] | None = None
) -> Credentials:
    """The credentials a standin serving ``base_url`` tells: the default tenant's, or with a
    tenant token in ``headers`` that tenant's (``headers`` default: from the environment,
    STANDIN_ADMIN_TOKEN and STANDIN_TENANT_TOKEN)."""
    url = f"{origin_of(base_url)}/_sandbox/credentials"
    if headers is None:
        headers = control_headers(
            os.environ.get("STANDIN_ADMIN_TOKEN"), os.environ.get("STANDIN_TENANT_TOKEN")
        )
    hint = "pass --credentials FILE (JSON in the shape of GET /_sandbox/credentials for the api)"
    try:
        response = session.get(url, headers=headers, timeout=10)
        answer = response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError) as exc:
        raise NoCredentials(f"{url} is unreachable or not a standin ({exc}); {hint}") from exc
    if response.status_code in (401, 403):
        raise NoCredentials(
            f"{url} answered {response.status_code}: this standin's control plane needs "
            "--admin-token (STANDIN_ADMIN_TOKEN) or --tenant-token (STANDIN_TENANT_TOKEN); "
            f"or {hint}"
        )
    if not isinstance(answer, dict):
        raise NoCredentials(
            f"{url} answered {response.status_code}: the target is not a standin; {hint}"
        )
    found = answer.get(api)
    if not isinstance(found, dict):
        raise NoCredentials(f"the standin at {origin_of(base_url)} does not serve {api}; {hint}")
    return found


def load(
    api: str,
    base_url: str,
    path: Path | None,
    session: requests.Session,
    headers: dict[str, str] | None = None,
) -> Credentials:
    if path is not None:
        return from_file(path, api)
    return from_standin(base_url, api, session, headers)
