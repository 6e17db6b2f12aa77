"""A tenant's enumerations: the built-in sets and the custom ones made through the API.

The reference: create a custom enumeration with members of your choice; edit changes the name and
member strings only (never adds or removes members); replace never turns a two-state enumeration
into a multi-state one or back; only custom enumerations may be deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from standin._core.quotas import over_quota
from standin.metasys import errors
from standin.metasys.enums import ENUM_SETS, EnumSet

SET_NAMES = "enumerationSetNamesEnumSet"
FIRST_CUSTOM_SET_ID = 30001
"""The reference's example custom set is ``customEnumSet30001``."""
CUSTOM_PREFIX = "customEnumSet"
MAX_TITLE = 100
MIN_MEMBERS = 2
MAX_MEMBERS = 255
"""**Sandbox choice:** a multi-state value has at most 255 states (BACnet's bound for a set
the sandbox serves as states text); fewer than two members is no enumeration."""
MAX_CUSTOM = 100
"""**Sandbox choice:** a tenant holds at most 100 custom enumerations; creating one more is
refused with 400 and nothing is made. Deleting one makes room (its set id is not reused). The
reference gives no bound."""


def _title(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TITLE:
        raise errors.bad_request(f"{what} must be a text of 1 to {MAX_TITLE} characters.")
    return value


def _item(body: Any, allowed: set[str]) -> dict[str, Any]:
    item = body.get("item") if isinstance(body, dict) else None
    if not isinstance(item, dict) or set(body) != {"item"}:
        raise errors.bad_request('The body must be {"item": {...}}.')
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise errors.bad_request(f"The enumeration has no property {unknown[0]}.")
    return item


def new_members(item: Mapping[str, Any]) -> list[str]:
    """The member titles of a create or replace body (``[{"title": ...}, ...]``)."""
    raw = item.get("members")
    if not isinstance(raw, list) or not MIN_MEMBERS <= len(raw) <= MAX_MEMBERS:
        raise errors.bad_request(
            f"members must be a list of {MIN_MEMBERS} to {MAX_MEMBERS} members."
        )
    titles = []
    for member in raw:
        if not isinstance(member, dict) or set(member) != {"title"}:
            raise errors.bad_request('Each member must be {"title": "..."}.')
        titles.append(_title(member["title"], "A member's title"))
    return titles


class Enumerations:
    """The built-in sets (shared, read only) and this tenant's custom sets."""

    def __init__(self) -> None:
        self.custom: dict[str, EnumSet] = {}
        self.next_set_id = FIRST_CUSTOM_SET_ID

    # --- reading ---------------------------------------------------------------------------

    def get(self, raw_id: str) -> EnumSet | None:
        """The set by id: short, or as a member of ``enumerationSetNamesEnumSet``."""
        set_id = raw_id.removeprefix(f"{SET_NAMES}.")
        if set_id == SET_NAMES:
            return self._set_names()
        return self.custom.get(set_id) or ENUM_SETS.get(set_id)

    def all(self) -> list[EnumSet]:
        return [self.get(set_id) or ENUM_SETS[set_id] for set_id in ENUM_SETS] + list(
            self.custom.values()
        )

    def _set_names(self) -> EnumSet:
        names = ENUM_SETS[SET_NAMES]
        extra = tuple((found.id, found.title) for found in self.custom.values())
        return EnumSet(names.id, names.set_id, names.title, names.members + extra)

    def require(self, raw_id: str) -> EnumSet:
        found = self.get(raw_id)
        if found is None:
            raise errors.not_found(f"The enumeration {raw_id} was not found.")
        return found

    def require_custom(self, raw_id: str, action: str) -> EnumSet:
        found = self.require(raw_id)
        if not found.custom:
            raise errors.forbidden(
                f"The enumeration {found.id} is built in: only custom enumerations may be {action}."
            )
        return found

    # --- writing ---------------------------------------------------------------------------

    def _unique_title(self, title: str, keep: str | None = None) -> None:
        for found in self.all():
            if found.id != keep and found.title.casefold() == title.casefold():
                raise errors.conflict(f"An enumeration named {title} already exists.")

    def create(self, body: Any) -> EnumSet:
        item = _item(body, {"title", "members"})
        title = _title(item.get("title"), "title")
        titles = new_members(item)
        self._unique_title(title)
        if len(self.custom) >= MAX_CUSTOM:
            way_out = "delete one (DELETE /enumerations/{id}) to make room"
            raise errors.bad_request(over_quota("custom enumerations", MAX_CUSTOM, way_out))
        set_id = f"{CUSTOM_PREFIX}{self.next_set_id}"
        created = _custom(set_id, self.next_set_id, title, titles)
        self.next_set_id += 1
        self.custom[set_id] = created
        return created

    def edit(self, raw_id: str, body: Any) -> EnumSet:
        """New title and member strings; every memberId must exist (no member is added)."""
        item = _item(body, {"title", "members"})
        if not item:
            raise errors.bad_request("Nothing to edit: give title or members.")
        raw_members = item.get("members", [])
        if not isinstance(raw_members, list):
            raise errors.bad_request("members must be a list.")
        changes: dict[int, str] = {}
        for member in raw_members:
            member_id = member.get("memberId") if isinstance(member, dict) else None
            if isinstance(member_id, float) and member_id.is_integer():
                member_id = int(member_id)
            if (
                not isinstance(member, dict)
                or set(member) != {"memberId", "title"}
                or isinstance(member_id, bool)
                or not isinstance(member_id, int)
            ):
                raise errors.bad_request('Each member must be {"memberId": n, "title": "..."}.')
            if member_id in changes:
                raise errors.bad_request(f"The member {member_id} is given twice.")
            changes[member_id] = _title(member["title"], "A member's title")
        title = _title(item["title"], "title") if "title" in item else None
        found = self.require_custom(raw_id, "edited")
        missing = sorted(set(changes) - set(range(len(found.members))))
        if missing:
            raise errors.bad_request(
                f"The enumeration has no member {missing[0]}: members cannot be added or removed."
            )
        if title is not None:
            self._unique_title(title, keep=found.id)
        titles = [changes.get(index, old) for index, (_, old) in enumerate(found.members)]
        edited = _custom(found.id, found.set_id, found.title if title is None else title, titles)
        self.custom[found.id] = edited
        return edited

    def replace(self, raw_id: str, body: Any) -> EnumSet:
        item = _item(body, {"title", "members"})
        title = _title(item.get("title"), "title")
        titles = new_members(item)
        found = self.require_custom(raw_id, "replaced")
        if found.is_two_state != (len(titles) == 2):
            kinds = ("a two-state", "a multiple-state")
            old, new = kinds if found.is_two_state else kinds[::-1]
            raise errors.bad_request(f"You can not replace {old} enumeration with {new} one.")
        self._unique_title(title, keep=found.id)
        replaced = _custom(found.id, found.set_id, title, titles)
        self.custom[found.id] = replaced
        return replaced

    def delete(self, raw_id: str) -> None:
        found = self.require_custom(raw_id, "deleted")
        del self.custom[found.id]


def _custom(set_id: str, number: int, title: str, titles: list[str]) -> EnumSet:
    """**Sandbox choice:** custom members are named ``state0``, ``state1``... in order."""
    members = tuple((f"state{index}", member) for index, member in enumerate(titles))
    return EnumSet(set_id, number, title, members, custom=True)


__all__ = ["Enumerations"]
