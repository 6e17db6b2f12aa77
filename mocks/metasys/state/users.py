"""User accounts as ``GET /users/{userId}`` shows them (PRIVATE), and their edits.

The reference warns that the edit body duplicates the read body without saying what may change.
**Sandbox choice:** the body is the read body, whole or in part; ``profile.fullName``,
``profile.primaryEmail`` and ``profile.sessionTimeoutMinutes`` (the lifetime of the user's
next tokens) change; every other property, if sent, must be as the read body has it (400)."""

from __future__ import annotations

import re
from typing import Any

from standin.metasys import errors
from standin.metasys.state.model import User

TOP_LEVEL = ("id", "self", "userName", "profile", "permissions", "roles", "userViews")
EDITABLE = ("fullName", "primaryEmail", "sessionTimeoutMinutes")
PROFILE = (*EDITABLE, "accessType")
MAX_TEXT = 256
MAX_TIMEOUT = 1440
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def profile(user: User) -> dict[str, Any]:
    return {
        "fullName": user.full_name,
        "primaryEmail": user.email,
        "accessType": "API" if user.is_api_user else "Standard",
        "sessionTimeoutMinutes": user.token_minutes,
    }


def permissions(user: User) -> dict[str, bool]:
    return {"isAdministrator": user.can_write, "canUseApi": user.is_api_user}


def edit(user: User, body: Any, current: dict[str, Any]) -> None:
    """Apply an edit to ``user``, whose read body is ``current`` (validated first, then all or
    nothing)."""
    if not isinstance(body, dict):
        raise errors.bad_request("The request body must be a JSON object.")
    unknown = sorted(set(body) - set(TOP_LEVEL))
    if unknown:
        raise errors.bad_request(f"Unknown property: {unknown[0]}.")
    for name in TOP_LEVEL:
        if name != "profile" and name in body and body[name] != current[name]:
            raise errors.bad_request(f"{name} cannot be changed.")
    changes = body.get("profile", {})
    if not isinstance(changes, dict):
        raise errors.bad_request("profile must be an object.")
    unknown = sorted(set(changes) - set(PROFILE))
    if unknown:
        raise errors.bad_request(f"Unknown property: profile.{unknown[0]}.")
    if "accessType" in changes and changes["accessType"] != current["profile"]["accessType"]:
        raise errors.bad_request("profile.accessType cannot be changed.")
    full_name = changes.get("fullName", user.full_name)
    if not isinstance(full_name, str) or not full_name.strip() or len(full_name) > MAX_TEXT:
        raise errors.bad_request("profile.fullName must hold 1 to 256 characters.")
    email = changes.get("primaryEmail", user.email)
    if not isinstance(email, str) or len(email) > MAX_TEXT or (email and not EMAIL.match(email)):
        raise errors.bad_request("profile.primaryEmail is not an email address.")
    timeout = changes.get("sessionTimeoutMinutes", user.token_minutes)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= MAX_TIMEOUT:
        raise errors.bad_request("profile.sessionTimeoutMinutes must be from 1 to 1440.")
    user.full_name = full_name
    user.email = email
    user.token_minutes = timeout
