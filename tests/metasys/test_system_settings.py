"""System capabilities and settings (PRIVATE), at /api/v4 and at /api/private-api/v4."""

import httpx
import pytest

from standin import Sandbox
from tests.metasys.conftest import login

MEDIA = "application/vnd.metasysapi.v4+json"
ROOTS = ("/metasys/api/v4", "/metasys/api/private-api/v4")
DEFAULTS = {
    "graphics.behaviors.flash.simpleSymbolFlash": True,
    "graphics.behaviors.flash.flashType": "blink",
    "site.defaultLanguage": "en-US",
    "site.unitsSystem": "imperial",
    "ui.inactivityTimeoutMinutes": 30,
}


def headers(client: httpx.Client, sandbox: Sandbox, prefix: str = "") -> dict[str, str]:
    creds = sandbox.credentials()["metasys"]
    response = login(client, creds[f"{prefix}username"], creds[f"{prefix}password"])
    return {"Authorization": f"Bearer {response.json()['accessToken']}"}


@pytest.fixture
def admin(client: httpx.Client, sandbox: Sandbox) -> dict[str, str]:
    return headers(client, sandbox)


@pytest.mark.parametrize("root", ROOTS)
def test_capabilities_are_served_at_both_paths(
    client: httpx.Client, admin: dict[str, str], root: str
) -> None:
    response = client.get(f"{root}/system/capabilities", headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA
    items = response.json()["items"]
    assert items["streaming"] is True
    assert items["certificates.bacnetSc"] is False
    assert items["metasysVersion"] == "12.0"


@pytest.mark.parametrize("root", ROOTS)
def test_settings_start_at_their_defaults(
    client: httpx.Client, admin: dict[str, str], root: str
) -> None:
    response = client.get(f"{root}/system/settings", headers=admin)
    assert response.status_code == 200
    assert response.json() == {"item": DEFAULTS}


def test_the_schema_describes_every_setting(client: httpx.Client, admin: dict[str, str]) -> None:
    body = client.get(f"{ROOTS[1]}/system/settings?includeSchema=true", headers=admin).json()
    properties = body["schema"]["properties"]
    assert set(properties) == set(DEFAULTS)
    assert properties["graphics.behaviors.flash.flashType"] == {
        "title": "Flash Type",
        "type": "string",
        "enum": ["blink", "color"],
        "default": "blink",
    }
    assert {name: p["default"] for name, p in properties.items()} == DEFAULTS


@pytest.mark.parametrize(("written", "read"), [ROOTS, ROOTS[::-1]])
def test_an_edit_at_one_path_persists_and_shows_at_the_other(
    client: httpx.Client, admin: dict[str, str], written: str, read: str
) -> None:
    edit = client.patch(
        f"{written}/system/settings/ui.inactivityTimeoutMinutes", json={"item": 45}, headers=admin
    )
    assert edit.status_code == 204
    assert edit.content == b""
    edit = client.patch(
        f"{written}/system/settings/graphics.behaviors.flash.simpleSymbolFlash",
        json={"item": False},
        headers=admin,
    )
    assert edit.status_code == 204
    body = client.get(f"{read}/system/settings", headers=admin).json()
    assert body["item"] == {
        **DEFAULTS,
        "ui.inactivityTimeoutMinutes": 45,
        "graphics.behaviors.flash.simpleSymbolFlash": False,
    }


REFUSED = [
    (
        "graphics.behaviors.flash.simpleSymbolFlash",
        {"item": "true"},
        "The value is not valid for the setting graphics.behaviors.flash.simpleSymbolFlash.",
    ),
    (
        "graphics.behaviors.flash.flashType",
        {"item": "sparkle"},
        "The value is not valid for the setting graphics.behaviors.flash.flashType.",
    ),
    (
        "ui.inactivityTimeoutMinutes",
        {"item": 0},
        "The value is not valid for the setting ui.inactivityTimeoutMinutes.",
    ),
    (
        "ui.inactivityTimeoutMinutes",
        {"item": True},
        "The value is not valid for the setting ui.inactivityTimeoutMinutes.",
    ),
    (
        "ui.inactivityTimeoutMinutes",
        {"item": 30, "more": 1},
        'The request body must be {"item": <value>}.',
    ),
    ("site.unitsSystem", {}, 'The request body must be {"item": <value>}.'),
    ("site.unitsSystem", [], 'The request body must be {"item": <value>}.'),
]


def test_a_value_the_settings_schema_refuses_is_400_and_changes_nothing(
    client: httpx.Client, admin: dict[str, str]
) -> None:
    for setting, body, message in REFUSED:
        response = client.patch(f"{ROOTS[1]}/system/settings/{setting}", json=body, headers=admin)
        assert response.status_code == 400, (setting, body)
        assert response.json() == {"Message": message}
    assert client.get(f"{ROOTS[0]}/system/settings", headers=admin).json() == {"item": DEFAULTS}


def test_an_unknown_setting_is_404(client: httpx.Client, admin: dict[str, str]) -> None:
    response = client.patch(
        f"{ROOTS[1]}/system/settings/graphics.colour", json={"item": 1}, headers=admin
    )
    assert response.status_code == 404
    assert response.json() == {"Message": "The setting graphics.colour was not found."}


def test_a_setting_needs_a_json_body(client: httpx.Client, admin: dict[str, str]) -> None:
    response = client.patch(
        f"{ROOTS[1]}/system/settings/site.unitsSystem",
        content=b"metric",
        headers={**admin, "Content-Type": "text/plain"},
    )
    assert response.status_code == 400
    assert response.json() == {"Message": "Unsupported Content-Type: text/plain."}


def test_a_viewer_reads_settings_but_may_not_change_them(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    viewer = headers(client, sandbox, "viewer_")
    assert client.get(f"{ROOTS[1]}/system/settings", headers=viewer).status_code == 200
    response = client.patch(
        f"{ROOTS[1]}/system/settings/site.unitsSystem", json={"item": "metric"}, headers=viewer
    )
    assert response.status_code == 403
    assert response.json() == {"Message": "The user is not authorized to change system settings."}


def test_settings_belong_to_a_tenant_and_a_reset_restores_them(
    client: httpx.Client, sandbox: Sandbox, admin: dict[str, str]
) -> None:
    client.patch(
        f"{ROOTS[0]}/system/settings/site.unitsSystem", json={"item": "metric"}, headers=admin
    )
    other = client.post("/_sandbox/tenants").json()["metasys"]
    tokens = login(client, other["username"], other["password"]).json()["accessToken"]
    theirs = client.get(
        f"{ROOTS[0]}/system/settings", headers={"Authorization": f"Bearer {tokens}"}
    ).json()
    assert theirs["item"]["site.unitsSystem"] == "imperial"
    sandbox.reset()
    fresh = headers(client, sandbox)
    assert client.get(f"{ROOTS[0]}/system/settings", headers=fresh).json() == {"item": DEFAULTS}


def test_other_paths_under_the_private_api_root_are_404(
    client: httpx.Client, admin: dict[str, str]
) -> None:
    response = client.get(f"{ROOTS[1]}/objects", headers=admin)
    assert response.status_code == 404
    assert response.json() == {
        "Message": "No HTTP resource was found that matches the request URI "
        "'http://standin.test/metasys/api/private-api/v4/objects'."
    }
    wrong = client.delete(f"{ROOTS[1]}/system/settings", headers=admin)
    assert wrong.status_code == 405
