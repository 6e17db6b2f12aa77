"""The vendor lists the Metasys contract carries (enum sets and their members, object types, the
bounds of diagrams and custom enumerations) are the fake's: the contract is their source
(``contracts/metasys.yaml``, edited by hand like every contract), and the fake is checked against
it. What the
contract lists the fake serves, and what the fake serves or accepts the contract lists."""

from __future__ import annotations

import re
from typing import Any

import pytest

from standin import contracts
from standin.metasys.enums import ENUM_SETS
from standin.metasys.state.controls import MAX_IO_BLOCKS, PRIORITIES_ALLOWED
from standin.metasys.state.palette import BLOCK_TYPES, LCT_PALETTE_ID
from standin.metasys.types import OBJECT_TYPES

CONTRACT = contracts.load("metasys")
SCHEMAS = CONTRACT["components"]["schemas"]
MEDIA = "application/vnd.metasysapi.v4+json"
HOST = "https://metasys.standin.example/api/v4"
MEMBER = re.compile(r"^(\w+EnumSet)\.\w+$")


def enum_lists(node: Any, where: str = "") -> list[tuple[str, str, list[str]]]:
    """Every `enum` of the contract whose values are members of a Metasys enum set (full names,
    perhaps with the short names beside them): where it is, the set, and its string values."""
    found: list[tuple[str, str, list[str]]] = []
    if isinstance(node, dict):
        values = [v for v in node.get("enum") or [] if isinstance(v, str)]
        sets = {match.group(1) for match in map(MEMBER.match, values) if match}
        if sets:
            assert len(sets) == 1, f"{where} mixes enum sets: {sorted(sets)}"
            found.append((where, sets.pop(), values))
        for key, value in node.items():
            found += enum_lists(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += enum_lists(value, f"{where}[{index}]")
    return found


ENUM_LISTS = enum_lists(CONTRACT)
SUBSETS = {"objectTypeEnumSet"}
"""Sets the contract lists only in part (the types `POST /objects` creates), checked below."""


def served_members(api: Any, set_id: str) -> set[str]:
    response = api.get(f"/enumerations/{set_id}")
    assert response.status_code == 200, response.text
    return {member["id"] for member in response.json()["item"]["members"]}


def parameter(path: str, method: str, name: str) -> dict[str, Any]:
    found = [p for p in CONTRACT["paths"][path][method]["parameters"] if p["name"] == name]
    assert len(found) == 1, (path, method, name)
    return found[0]


def test_the_contract_lists_the_members_of_every_set_the_fake_holds_with_members() -> None:
    listed = {set_id for _, set_id, _ in ENUM_LISTS}
    assert listed == {found.id for found in ENUM_SETS.values() if found.members}


def test_each_set_is_a_schema_of_the_contract_named_after_it() -> None:
    for found in ENUM_SETS.values():
        if found.members:
            assert set(SCHEMAS[found.id]["enum"]) == set(found.ids()), found.id


def test_the_fake_titles_members_as_the_documents_do() -> None:
    """The display titles the scan found beside a member in the vendor's documents."""
    for found in ENUM_SETS.values():
        documented = SCHEMAS.get(found.id, {}).get("x-titles", {})
        served = {found.member(short): title for short, title in found.members}
        assert {member: served[member] for member in documented} == documented, found.id


def test_the_set_of_sets_titles_each_set_as_the_set_titles_itself(api: Any) -> None:
    names = api.get("/enumerations/enumerationSetNamesEnumSet").json()["item"]["members"]
    for member in names:
        found = api.get(f"/enumerations/{member['id']}")
        assert found.status_code == 200, member
        assert found.json()["item"]["title"] == member["title"]


@pytest.mark.parametrize("set_id", sorted({set_id for _, set_id, _ in ENUM_LISTS} - SUBSETS))
def test_each_enum_list_of_a_set_is_exactly_the_set_the_fake_serves(api: Any, set_id: str) -> None:
    served = served_members(api, set_id)
    short = {member.split(".", 1)[1] for member in served}
    for where, listed_set, values in ENUM_LISTS:
        if listed_set == set_id:
            assert {v for v in values if "." in v} == served, where
            assert {v for v in values if "." not in v} <= short, where


def test_the_attribute_read_lists_every_attribute_the_fake_serves_by_short_name(api: Any) -> None:
    attribute = parameter(
        "/api/v4/objects/{objectId}/attributes/{attributeId}", "get", "attributeId"
    )
    served = served_members(api, "attributeEnumSet")
    assert set(attribute["schema"]["enum"]) == {member.split(".", 1)[1] for member in served}


def test_the_object_types_of_the_contract_are_those_the_fake_holds(api: Any) -> None:
    listed = SCHEMAS["SandboxFixtureObject"]["properties"]["type"]["enum"]
    assert listed == list(OBJECT_TYPES)
    assert {f"objectTypeEnumSet.{t}" for t in listed} <= served_members(api, "objectTypeEnumSet")


def test_post_objects_lists_exactly_the_types_the_fake_creates() -> None:
    listed = SCHEMAS["post-objects-request"]["properties"]["objectType"]["enum"]
    creates = [f"objectTypeEnumSet.{t}" for t, kind in OBJECT_TYPES.items() if kind.createable]
    assert listed == creates


def test_the_custom_enumeration_bounds_are_those_the_fake_enforces(api: Any) -> None:
    item = SCHEMAS["NewEnumeration"]["properties"]["item"]
    members = item["properties"]["members"]
    longest = item["properties"]["title"]["maxLength"]
    assert members["items"]["properties"]["title"]["maxLength"] == longest

    def create(title: str, count: int, member_title: str = "state") -> int:
        body = {"item": {"title": title, "members": [{"title": member_title}] * count}}
        status: int = api.post("/enumerations", json=body).status_code
        return status

    assert create("x" * (longest + 1), members["minItems"]) == 400
    assert create("Too few", members["minItems"] - 1) == 400
    assert create("Too many", members["maxItems"] + 1) == 400
    assert create("Long member", members["minItems"], "m" * (longest + 1)) == 400
    assert create("y" * longest, members["minItems"], "m" * longest) == 201
    assert create("Most members", members["maxItems"]) == 201


def test_the_palette_and_its_block_types_are_the_fakes(api: Any) -> None:
    palette = parameter("/api/v4/controls/palettes/{paletteId}", "get", "paletteId")
    assert palette["example"] == LCT_PALETTE_ID
    described = SCHEMAS["DiagramBlock"]["description"]
    named = re.search(r"The blocks are ((?:`\w+`(?:, )?)+);", described)
    assert named is not None
    assert re.findall(r"`(\w+)`", named.group(1)) == list(BLOCK_TYPES)
    listing = api.get(f"/controls/palettes/{LCT_PALETTE_ID}")
    assert listing.status_code == 200, listing.text
    assert [block["$id"].rsplit("/", 1)[1] for block in listing.json()["items"]] == list(
        BLOCK_TYPES
    )


def test_the_text_block_of_the_contract_is_the_fakes() -> None:
    answer = CONTRACT["paths"]["/api/v4/controls/palettes/{paletteId}/{blockDefinitionId}"]["get"]
    example = answer["responses"]["200"]["content"][MEDIA]["example"]
    assert example == BLOCK_TYPES["text"].schema(HOST)


def test_the_diagram_bounds_of_the_contract_are_the_fakes() -> None:
    connection = SCHEMAS["DiagramConnection"]["description"]
    allowed = re.search(
        r"is one of ((?:`writePriorityEnumSet\.\w+`(?:,\s*(?:or\s+)?)?)+)", connection
    )
    assert allowed is not None, connection
    assert tuple(re.findall(r"`([\w.]+)`", allowed.group(1))) == PRIORITIES_ALLOWED
    replace = CONTRACT["paths"]["/api/v4/controls/{controlId}/diagram"]["put"]["description"]
    assert f"more than {MAX_IO_BLOCKS} Input and Output References" in replace
