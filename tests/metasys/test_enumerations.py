"""Custom enumerations (INTERNAL): create, edit (names and member strings only), replace (never
two-state <-> multi-state), delete (custom only); the reads show every change."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from standin import Sandbox
from tests.metasys import shared_sandbox
from tests.metasys.conftest import BASE, login

# One sandbox for the module, reset before each test.
module_sandbox = shared_sandbox.module_sandbox
sandbox = shared_sandbox.sandbox

HOST = "http://standin.test/metasys/api/v4"
FAN_MODES = {"item": {"title": "Fan Modes", "members": [{"title": "Off"}, {"title": "Low"}]}}
MEDIA = "application/vnd.metasysapi.v4+json"


def members(enum_id: str, *titles: str) -> list[dict[str, Any]]:
    return [
        {"id": f"{enum_id}.state{index}", "memberId": index, "title": title}
        for index, title in enumerate(titles)
    ]


def create(api: Any, title: str = "Fan Modes", *titles: str) -> str:
    body = {"item": {"title": title, "members": [{"title": t} for t in titles or ("Off", "On")]}}
    response = api.post("/enumerations", json=body)
    assert response.status_code == 201, response.text
    created: str = response.json()["item"]["id"]
    return created


def test_a_created_enumeration_is_custom_numbered_from_30001_and_readable(api: Any) -> None:
    body = {
        "item": {
            "title": "Fan Modes",
            "members": [{"title": "Off"}, {"title": "Low"}, {"title": "High"}],
        }
    }
    response = api.post("/enumerations", json=body)
    assert response.status_code == 201
    assert response.headers["content-type"] == MEDIA
    assert response.headers["location"] == f"{HOST}/enumerations/customEnumSet30001"
    item = {
        "id": "customEnumSet30001",
        "title": "Fan Modes",
        "setId": 30001,
        "enumType": "custom",
        "numberOfStates": 3,
        "self": f"{HOST}/enumerations/customEnumSet30001",
        "members": members("customEnumSet30001", "Off", "Low", "High"),
    }
    assert response.json() == {"item": item}
    assert api.get("/enumerations/customEnumSet30001").json() == {"item": item}
    assert create(api, "Damper Modes") == "customEnumSet30002"


def test_the_list_shows_custom_enumerations_under_custom_and_all_only(api: Any) -> None:
    create(api, "Fan Modes", "Off", "Low", "High")
    custom = api.get("/enumerations", params={"enumType": "custom"}).json()
    assert custom["total"] == 1
    assert custom["items"][0]["id"] == "customEnumSet30001"
    everything = [e["id"] for e in api.get("/enumerations").json()["items"]]
    assert everything[-1] == "customEnumSet30001"
    for kind in ("twoState", "multiState"):
        listed = api.get("/enumerations", params={"enumType": kind}).json()["items"]
        assert "customEnumSet30001" not in [e["id"] for e in listed]
    assert (
        api.get("/enumerations", params={"enumType": "custom", "minNumberOfStates": 4}).json()[
            "items"
        ]
        == []
    )


def test_a_custom_enumeration_is_named_in_the_set_names_and_has_a_schema(api: Any) -> None:
    enum_id = create(api)
    names = api.get("/enumerations/enumerationSetNamesEnumSet").json()["item"]["members"]
    assert names[-1]["id"] == f"enumerationSetNamesEnumSet.{enum_id}"
    assert names[-1]["title"] == "Fan Modes"
    schema = api.get(f"/schemas/enums/{enum_id}").json()
    assert schema["$id"] == f"{HOST}/schemas/enums/{enum_id}"
    assert schema["allOf"][0]["oneOf"][1] == {
        "const": f"{enum_id}.state1",
        "title": "On",
        "memberId": 1,
    }


def test_include_schema_and_permissions_say_custom_members_are_editable(api: Any) -> None:
    enum_id = create(api)
    params = {"includeSchema": "true", "includePermissions": "true"}
    custom = api.get(f"/enumerations/{enum_id}", params=params).json()
    assert custom["effectivePermissions"] == {"canModify": True, "canDelete": True}
    assert [m["readOnly"] for m in custom["schema"]["allOf"][0]["oneOf"]] == [False, False]
    built_in = api.get("/enumerations/binarypvEnumSet", params=params).json()
    assert built_in["effectivePermissions"] == {"canModify": False, "canDelete": False}
    assert [m["readOnly"] for m in built_in["schema"]["allOf"][0]["oneOf"]] == [True, True]
    listing = api.get("/enumerations", params={"includePermissions": "true"}).json()
    assert listing["effectivePermissions"] == {"canCreate": True}


def test_edit_renames_the_enumeration_and_member_strings_only(api: Any) -> None:
    enum_id = create(api, "Fan Modes", "Off", "Low", "High")
    body = {"item": {"title": "Fan Speeds", "members": [{"memberId": 1, "title": "Slow"}]}}
    response = api.patch(f"/enumerations/{enum_id}", json=body)
    assert response.status_code == 200
    item = response.json()["item"]
    assert item["title"] == "Fan Speeds"
    assert item["members"] == members(enum_id, "Off", "Slow", "High")
    assert api.get(f"/enumerations/{enum_id}").json()["item"] == item


def test_edit_cannot_add_a_member(api: Any) -> None:
    enum_id = create(api)
    body = {"item": {"members": [{"memberId": 2, "title": "Turbo"}]}}
    response = api.patch(f"/enumerations/{enum_id}", json=body)
    assert response.status_code == 400
    assert response.json() == {
        "Message": "The enumeration has no member 2: members cannot be added or removed."
    }
    assert api.get(f"/enumerations/{enum_id}").json()["item"]["numberOfStates"] == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"item": {}}, "Nothing to edit: give title or members."),
        (
            {"item": {"members": [{"title": "x"}]}},
            'Each member must be {"memberId": n, "title": "..."}.',
        ),
        ({"item": {"title": " "}}, "title must be a text of 1 to 100 characters."),
        ({"item": {"numberOfStates": 3}}, "The enumeration has no property numberOfStates."),
        ({"title": "x"}, 'The body must be {"item": {...}}.'),
    ],
)
def test_a_malformed_edit_is_400(api: Any, body: Any, message: str) -> None:
    enum_id = create(api)
    response = api.patch(f"/enumerations/{enum_id}", json=body)
    assert response.status_code == 400
    assert response.json() == {"Message": message}


def test_replace_keeps_the_id_and_may_change_a_multi_state_member_count(api: Any) -> None:
    enum_id = create(api, "Fan Modes", "Off", "Low", "High")
    body = {"item": {"title": "Fan Speeds", "members": [{"title": t} for t in "ABCD"]}}
    response = api.put(f"/enumerations/{enum_id}", json=body)
    assert response.status_code == 200
    assert response.json()["item"]["members"] == members(enum_id, "A", "B", "C", "D")
    assert response.json()["item"]["setId"] == 30001


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        (
            ("Off", "On"),
            ("Off", "Low", "High"),
            "You can not replace a two-state enumeration with a multiple-state one.",
        ),
        (
            ("Off", "Low", "High"),
            ("Off", "On"),
            "You can not replace a multiple-state enumeration with a two-state one.",
        ),
    ],
)
def test_replace_never_crosses_two_state_and_multi_state(
    api: Any, before: tuple[str, ...], after: tuple[str, ...], message: str
) -> None:
    enum_id = create(api, "Fan Modes", *before)
    body = {"item": {"title": "Fan Modes", "members": [{"title": t} for t in after]}}
    response = api.put(f"/enumerations/{enum_id}", json=body)
    assert response.status_code == 400
    assert response.json() == {"Message": message}
    assert api.get(f"/enumerations/{enum_id}").json()["item"]["numberOfStates"] == len(before)


def test_a_deleted_enumeration_is_gone_and_its_id_not_reused(api: Any) -> None:
    enum_id = create(api)
    response = api.delete(f"/enumerations/{enum_id}")
    assert response.status_code == 204
    assert response.content == b""
    gone = api.get(f"/enumerations/{enum_id}")
    assert gone.status_code == 404
    assert gone.json() == {"Message": f"The enumeration {enum_id} was not found."}
    assert api.delete(f"/enumerations/{enum_id}").status_code == 404
    assert create(api, "Fan Modes") == "customEnumSet30002"


@pytest.mark.parametrize(
    ("method", "body", "action"),
    [
        ("patch", {"item": {"title": "Priorities"}}, "edited"),
        ("put", FAN_MODES, "replaced"),
        ("delete", None, "deleted"),
    ],
)
def test_a_built_in_enumeration_refuses_every_change(
    api: Any, method: str, body: Any, action: str
) -> None:
    call = getattr(api, method)
    response = call(
        "/enumerations/writePriorityEnumSet", **({} if body is None else {"json": body})
    )
    assert response.status_code == 403
    assert response.json() == {
        "Message": "The enumeration writePriorityEnumSet is built in: only custom enumerations "
        f"may be {action}."
    }
    assert api.get("/enumerations/writePriorityEnumSet").json()["item"]["title"] == "Write Priority"


def test_a_taken_title_is_409_ignoring_case(api: Any) -> None:
    create(api, "Fan Modes")
    response = api.post("/enumerations", json={"item": {**FAN_MODES["item"], "title": "FAN modes"}})
    assert response.status_code == 409
    assert response.json() == {"Message": "An enumeration named FAN modes already exists."}
    built_in = {"item": {**FAN_MODES["item"], "title": "Write Priority"}}
    assert api.post("/enumerations", json=built_in).status_code == 409


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"item": {"title": "X", "members": [{"title": "Only"}]}},
            "members must be a list of 2 to 255 members.",
        ),
        (
            {"item": {"title": "X", "members": [{"title": str(n)} for n in range(256)]}},
            "members must be a list of 2 to 255 members.",
        ),
        (
            {"item": {"title": "", "members": [{"title": "a"}, {"title": "b"}]}},
            "title must be a text of 1 to 100 characters.",
        ),
        ({"item": {"title": "X", "members": ["a", "b"]}}, 'Each member must be {"title": "..."}.'),
        (
            {"item": {"title": "X", "members": [{"title": "a"}, {"title": "b" * 101}]}},
            "A member's title must be a text of 1 to 100 characters.",
        ),
        ({"item": {"title": "X"}}, "members must be a list of 2 to 255 members."),
    ],
)
def test_a_malformed_enumeration_is_400(api: Any, body: Any, message: str) -> None:
    response = api.post("/enumerations", json=body)
    assert response.status_code == 400
    assert response.json() == {"Message": message}


def test_a_read_only_user_may_not_create_or_change(
    client: httpx.Client, sandbox: Sandbox, api: Any
) -> None:
    enum_id = create(api)
    creds = sandbox.credentials()["metasys"]
    token = login(client, str(creds["viewer_username"]), str(creds["viewer_password"]))
    headers = {"Authorization": f"Bearer {token.json()['accessToken']}"}
    refused = {"Message": "The user is not authorized to modify enumerations."}
    for response in (
        client.post(f"{BASE}/enumerations", json=FAN_MODES, headers=headers),
        client.patch(f"{BASE}/enumerations/{enum_id}", json=FAN_MODES, headers=headers),
        client.put(f"{BASE}/enumerations/{enum_id}", json=FAN_MODES, headers=headers),
        client.delete(f"{BASE}/enumerations/{enum_id}", headers=headers),
    ):
        assert response.status_code == 403
        assert response.json() == refused
    viewer = client.get(
        f"{BASE}/enumerations/{enum_id}", params={"includePermissions": "true"}, headers=headers
    )
    assert viewer.json()["effectivePermissions"] == {"canModify": False, "canDelete": False}


def test_custom_enumerations_belong_to_their_tenant(
    client: httpx.Client, sandbox: Sandbox, api: Any
) -> None:
    enum_id = create(api)
    other = sandbox.create_tenant()
    creds = other.credentials["metasys"]
    token = login(client, str(creds["username"]), str(creds["password"])).json()["accessToken"]
    response = client.get(
        f"{BASE}/enumerations/{enum_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 404


def test_reset_forgets_custom_enumerations(api: Any, sandbox: Sandbox) -> None:
    enum_id = create(api)
    sandbox.reset(sandbox.tenants.default().id)
    assert api.get(f"/enumerations/{enum_id}").status_code == 404


def test_the_enumeration_reads_need_no_token_and_show_the_default_tenants_sets(
    client: httpx.Client, api: Any
) -> None:
    """The reference lists no authorization for the two reads, and their samples send none."""
    enum_id = create(api)
    params = {"includePermissions": "true"}
    listing = client.get(f"{BASE}/enumerations", params={**params, "enumType": "custom"})
    assert listing.status_code == 200, listing.text
    assert [item["id"] for item in listing.json()["items"]] == [enum_id]
    assert listing.json()["effectivePermissions"] == {"canCreate": False}
    one = client.get(f"{BASE}/enumerations/{enum_id}", params=params)
    assert one.status_code == 200, one.text
    assert one.headers["content-type"] == MEDIA
    assert one.json()["effectivePermissions"] == {"canModify": False, "canDelete": False}


@pytest.mark.parametrize("path", ["/enumerations", "/enumerations/writePriorityEnumSet"])
def test_a_token_sent_to_an_enumeration_read_must_be_valid(client: httpx.Client, path: str) -> None:
    response = client.get(BASE + path, headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.json() == {"Message": "Authorization has been denied for this request."}


def test_changing_an_enumeration_still_needs_a_token(client: httpx.Client) -> None:
    assert client.post(f"{BASE}/enumerations", json=FAN_MODES).status_code == 401
    assert client.delete(f"{BASE}/enumerations/customEnumSet30001").status_code == 401
