"""Metasys writes for ``--allow-writes`` runs: what they go to, and bodies that obey the rules a
schema cannot say.

A check never writes to the site's own objects or devices: it creates analog value objects of
its own (``STANDIN-CHECK-<run>-<n>``, under the first supervisory device that takes them),
edits, commands and deletes only those, and deletes what is left of them when it finishes. A
network device delete goes to an id no site has (answered 404), since deleting a real engine
would take it off the site.
"""

from __future__ import annotations

import re
import secrets
import uuid
import zlib
from collections.abc import Callable
from typing import Any

V4 = "/api/v4"
ANALOG_VALUE = "objectTypeEnumSet.avClass"
ADJUST = "commandIdEnumSet.adjustCommand"
NO_DEVICE = uuid.UUID("5e7a6d1c-0000-4000-8000-00000000c4ec")
"""A network device id no site has: a delete of it is answered 404."""


def crc(seed: object) -> int:
    return zlib.crc32(repr(seed).encode("utf-8", "surrogatepass"))


def unknown_device(seed: object) -> str:
    return str(uuid.uuid5(NO_DEVICE, repr(seed)))


def takes_analog_values(child_types: Any) -> bool:
    """Whether a ``supportedChildTypes`` answer (a list, or ``{"items": [...]}``) lists the
    analog value type (with or without its enumeration set's prefix)."""
    items = child_types.get("items") if isinstance(child_types, dict) else child_types
    if not isinstance(items, list):
        return False
    kinds = [item.get("objectType") for item in items if isinstance(item, dict)]
    return any(isinstance(k, str) and k.rsplit(".", 1)[-1] == "avClass" for k in kinds)


def description(seed: object) -> dict[str, Any]:
    """A PATCH body: a new description, the one attribute every object lets its user write."""
    return {"item": {"description": f"standin check {crc(seed) % 100000}"}}


def unique_ids(body: Any) -> None:
    """Each of a batch's ``requests`` with an id of its own (the API refuses a repeated one)."""
    requests = body.get("requests") if isinstance(body, dict) else None
    seen: set[object] = set()
    for index, request in enumerate(requests if isinstance(requests, list) else []):
        if not isinstance(request, dict):
            continue
        if request.get("id") in seen:
            request["id"] = f"{request['id']}~{index}"
        seen.add(request.get("id"))


def fix_batch(body: Any, scratch_id: str | None, seed: object) -> None:
    """A batch the API takes: request ids used once each, bodies only on PATCH requests, each
    ``{"item": {...}}`` for the check's own object; GET requests without a body."""
    if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
        return
    patch = body.get("method") == "PATCH"
    unique_ids(body)
    for index, request in enumerate(body["requests"]):
        if not isinstance(request, dict):
            continue
        if not patch:
            request.pop("body", None)
            continue
        request["body"] = description((seed, index))
        if scratch_id is not None:
            request["relativeUrl"] = scratch_id


def tree_items(answer: Any) -> list[dict[str, Any]]:
    """Every object of a listing, whether flat or nested (the parent first, its children in
    its ``items``)."""
    found: list[dict[str, Any]] = []
    items = answer.get("items") if isinstance(answer, dict) else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            found.append(item)
            found.extend(tree_items(item))
    return found


Request = Callable[..., Any]
"""``(method, path, **requests_kwargs) -> requests.Response`` on the target, authenticated."""


class Scratch:
    """The check's own objects: made on first need, under a parent found on the target."""

    def __init__(self, request: Request, candidates: Callable[[], list[str]]) -> None:
        self._request = request
        self._candidates = candidates
        self._run = secrets.token_hex(3)
        self._made = 0
        self._parent: str | None = None
        self._parent_sought = False
        self._kept: str | None = None

    def parent(self) -> str | None:
        """The first candidate (a supervisory device) that takes analog values, asked once."""
        if not self._parent_sought:
            self._parent_sought = True
            for candidate in self._candidates():
                response = self._request("GET", f"{V4}/objects/{candidate}/supportedChildTypes")
                if response.status_code == 200 and takes_analog_values(response.json()):
                    self._parent = candidate
                    break
        return self._parent

    def new_body(self) -> dict[str, Any] | None:
        """A ``POST /objects`` body for a new object of the check's own, or None (no parent)."""
        parent = self.parent()
        if parent is None:
            return None
        self._made += 1
        name = f"STANDIN-CHECK-{self._run}-{self._made}"
        return {
            "parentId": parent,
            "localUniqueIdentifier": name,
            "objectType": ANALOG_VALUE,
            "item": {"name": name, "description": "made by standin check; safe to delete"},
        }

    def new_object(self) -> str | None:
        """A new object of the check's own (its id), or None when the target made none."""
        body = self.new_body()
        if body is None:
            return None
        response = self._request("POST", f"{V4}/objects", json=body)
        location = response.headers.get("Location", "")
        if response.status_code not in (200, 201) or not location:
            return None
        return str(location.rstrip("/").rsplit("/", 1)[-1])

    def clean_up(self) -> None:
        """Delete the objects this run made that are still there (best effort)."""
        if self._parent is None or not self._made:
            return
        mine = re.compile(rf"STANDIN-CHECK-{self._run}-[0-9]+$")
        try:
            response = self._request(
                "GET", f"{V4}/objects/{self._parent}/objects", params={"pageSize": "1000"}
            )
            answer = response.json() if response.status_code == 200 else {}
            for item in tree_items(answer):
                if mine.search(str(item.get("itemReference", ""))) and "id" in item:
                    self._request("DELETE", f"{V4}/objects/{item['id']}")
        except Exception:  # a clean-up that fails must not fail the check
            return

    def kept(self) -> str | None:
        """The object the check edits and commands (made once)."""
        if self._kept is None:
            self._kept = self.new_object()
        return self._kept
