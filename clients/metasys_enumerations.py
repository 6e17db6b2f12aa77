"""The Metasys client's enumerations (a part of ``MetasysClient``): the sets, and creating,
editing, replacing and deleting custom ones (INTERNAL operations)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from standin.clients.metasys_transport import MetasysTransport
from standin.clients.metasys_transport import seg as _seg


@dataclass(frozen=True)
class EnumerationMember:
    id: str
    """The full member id, e.g. ``customEnumSet30001.state0``."""
    member_id: int
    title: str


@dataclass(frozen=True)
class EnumerationSummary:
    id: str
    title: str
    set_id: int
    enum_type: str
    """``twoState``, ``multiState`` or ``custom``."""
    number_of_states: int

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> EnumerationSummary:
        return cls(
            id=raw["id"],
            title=raw["title"],
            set_id=raw["setId"],
            enum_type=raw["enumType"],
            number_of_states=raw["numberOfStates"],
        )


@dataclass(frozen=True)
class Enumeration:
    id: str
    title: str
    set_id: int
    enum_type: str
    members: tuple[EnumerationMember, ...]

    @property
    def is_custom(self) -> bool:
        return self.enum_type == "custom"

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Enumeration:
        return cls(
            id=raw["id"],
            title=raw["title"],
            set_id=raw["setId"],
            enum_type=raw["enumType"],
            members=tuple(
                EnumerationMember(m["id"], m["memberId"], m["title"]) for m in raw["members"]
            ),
        )


def _definition(title: str, members: Sequence[str]) -> dict[str, Any]:
    return {"item": {"title": title, "members": [{"title": member} for member in members]}}


class EnumerationsMixin(MetasysTransport):
    def enumerations(
        self, enum_type: str = "all", min_states: int | None = None
    ) -> list[EnumerationSummary]:
        """The enumeration sets (``enum_type``: all, twoState, multiState or custom)."""
        params: dict[str, Any] = {"enumType": enum_type}
        if min_states is not None:
            params["minNumberOfStates"] = min_states
        body = self._request("GET", "/enumerations", params=params)
        return [EnumerationSummary.of(item) for item in body["items"]]

    def get_enumeration(self, enum_id: str) -> Enumeration:
        body = self._request("GET", f"/enumerations/{_seg(enum_id)}")
        return Enumeration.of(body["item"])

    def create_enumeration(self, title: str, members: Sequence[str]) -> Enumeration:
        """A custom enumeration whose members have these titles, in order."""
        body = self._request("POST", "/enumerations", json=_definition(title, members))
        return Enumeration.of(body["item"])

    def edit_enumeration(
        self,
        enum_id: str,
        *,
        title: str | None = None,
        members: Mapping[int, str] | None = None,
    ) -> Enumeration:
        """A new title and new member strings (by member id); members are never added."""
        item: dict[str, Any] = {}
        if title is not None:
            item["title"] = title
        if members is not None:
            item["members"] = [
                {"memberId": member_id, "title": text} for member_id, text in members.items()
            ]
        body = self._request("PATCH", f"/enumerations/{_seg(enum_id)}", json={"item": item})
        return Enumeration.of(body["item"])

    def replace_enumeration(self, enum_id: str, title: str, members: Sequence[str]) -> Enumeration:
        """A new definition; a two-state enumeration stays two-state (and multi-state stays
        multi-state), else the API answers 400."""
        body = self._request(
            "PUT", f"/enumerations/{_seg(enum_id)}", json=_definition(title, members)
        )
        return Enumeration.of(body["item"])

    def delete_enumeration(self, enum_id: str) -> None:
        """Custom enumerations only (a built-in one is 403)."""
        self._request("DELETE", f"/enumerations/{_seg(enum_id)}")
