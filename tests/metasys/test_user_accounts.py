"""User accounts (PRIVATE): reading one and editing it are for administrators; an edit shows in
the user lists and in the lifetime of the user's next token."""

import datetime as dt
from typing import Any

import httpx

from standin import Sandbox
from tests.metasys.conftest import BASE, login, state_of

HOST = "http://standin.test/metasys/api/v4"


def user_id(sandbox: Sandbox, username: str) -> str:
    found = state_of(sandbox).user(username)
    assert found is not None
    return found.id


def test_an_administrator_reads_a_user_account(api: Any, sandbox: Sandbox) -> None:
    viewer = sandbox.credentials()["metasys"]["viewer_username"]
    account = user_id(sandbox, viewer)
    response = api.get(f"/users/{account}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.metasysapi.v4+json"
    zone_view = state_of(sandbox).user_views[0]
    assert response.json() == {
        "id": account,
        "self": f"{HOST}/users/{account}",
        "userName": viewer,
        "profile": {
            "fullName": "Sandbox API Viewer",
            "primaryEmail": "api-viewer@standin.example",
            "accessType": "API",
            "sessionTimeoutMinutes": 60,
        },
        "permissions": {"isAdministrator": False, "canUseApi": True},
        "roles": None,
        "userViews": {
            "total": 1,
            "items": [
                {
                    "id": zone_view.id,
                    "name": "Zone Temperatures",
                    "self": f"{HOST}/objects/trees/{zone_view.id}",
                }
            ],
        },
    }


def test_a_user_who_is_not_an_administrator_may_not_read_or_edit_accounts(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    creds = sandbox.credentials()["metasys"]
    token = login(client, creds["viewer_username"], creds["viewer_password"]).json()
    headers = {"Authorization": f"Bearer {token['accessToken']}"}
    own = user_id(sandbox, creds["viewer_username"])
    for response in (
        client.get(f"{BASE}/users/{own}", headers=headers),
        client.patch(f"{BASE}/users/{own}", json={"profile": {"fullName": "Me"}}, headers=headers),
    ):
        assert response.status_code == 403
        assert response.json() == {"Message": "This operation requires administrator privileges."}
    # The list and the session's own account stay open to every API user.
    assert client.get(f"{BASE}/users", headers=headers).status_code == 200
    assert client.get(f"{BASE}/userinfo", headers=headers).status_code == 200


def test_an_unknown_user_is_404(api: Any) -> None:
    response = api.get("/users/anNtaXRo")
    assert response.status_code == 404
    assert response.json() == {"Message": "User anNtaXRo was not found."}
    assert api.patch("/users/anNtaXRo", json={}).status_code == 404


def test_an_edit_shows_in_the_account_the_list_and_userinfo(api: Any, sandbox: Sandbox) -> None:
    admin = sandbox.credentials()["metasys"]["username"]
    account = user_id(sandbox, admin)
    response = api.patch(
        f"/users/{account}",
        json={"profile": {"fullName": "Night Shift Admin", "primaryEmail": "night@example.com"}},
    )
    assert response.status_code == 200
    assert response.json()["profile"] == {
        "fullName": "Night Shift Admin",
        "primaryEmail": "night@example.com",
        "accessType": "API",
        "sessionTimeoutMinutes": 30,
    }
    assert api.get(f"/users/{account}").json() == response.json()
    listed = api.get("/users", params={"q": "night"}).json()["items"]
    assert [(u["userName"], u["fullName"], u["primaryEmail"]) for u in listed] == [
        (admin, "Night Shift Admin", "night@example.com")
    ]
    info = api.get("/userinfo").json()
    assert (info["fullName"], info["primaryEmail"]) == ("Night Shift Admin", "night@example.com")


def test_the_read_body_sent_back_changed_is_an_edit(api: Any, sandbox: Sandbox) -> None:
    account = user_id(sandbox, sandbox.credentials()["metasys"]["standard_username"])
    body = api.get(f"/users/{account}").json()
    body["profile"]["fullName"] = "Front Desk"
    response = api.patch(f"/users/{account}", json=body)
    assert response.status_code == 200
    assert response.json() == body


def test_the_session_timeout_sets_the_lifetime_of_the_next_token(
    client: httpx.Client, api: Any, sandbox: Sandbox
) -> None:
    creds = sandbox.credentials()["metasys"]
    account = user_id(sandbox, creds["viewer_username"])
    edit = api.patch(f"/users/{account}", json={"profile": {"sessionTimeoutMinutes": 5}})
    assert edit.status_code == 200
    token = login(client, creds["viewer_username"], creds["viewer_password"]).json()
    expires = dt.datetime.fromisoformat(token["expires"].replace("Z", "+00:00"))
    assert expires - sandbox.clock.now() == dt.timedelta(minutes=5)
    sandbox.clock.advance(5 * 60 + 1)
    headers = {"Authorization": f"Bearer {token['accessToken']}"}
    assert client.get(f"{BASE}/userinfo", headers=headers).status_code == 401


def test_what_may_not_change_is_400_and_nothing_changes(api: Any, sandbox: Sandbox) -> None:
    account = user_id(sandbox, sandbox.credentials()["metasys"]["username"])
    refused = [
        ({"userName": "someone-else"}, "userName cannot be changed."),
        (
            {"permissions": {"isAdministrator": False, "canUseApi": True}},
            "permissions cannot be changed.",
        ),
        ({"roles": ["USER"]}, "roles cannot be changed."),
        ({"id": "another"}, "id cannot be changed."),
        ({"password": "x"}, "Unknown property: password."),
        ({"profile": {"accessType": "Standard"}}, "profile.accessType cannot be changed."),
        ({"profile": {"title": "Dr"}}, "Unknown property: profile.title."),
        ({"profile": []}, "profile must be an object."),
        ({"profile": {"fullName": "  "}}, "profile.fullName must hold 1 to 256 characters."),
        ({"profile": {"primaryEmail": "nobody"}}, "profile.primaryEmail is not an email address."),
        (
            {"profile": {"sessionTimeoutMinutes": 0}},
            "profile.sessionTimeoutMinutes must be from 1 to 1440.",
        ),
        (
            {"profile": {"fullName": "Valid", "sessionTimeoutMinutes": "30"}},
            "profile.sessionTimeoutMinutes must be from 1 to 1440.",
        ),
        ([], "The request body must be a JSON object."),
    ]
    before = api.get(f"/users/{account}").json()
    for body, message in refused:
        response = api.patch(f"/users/{account}", json=body)
        assert (response.status_code, response.json()) == (400, {"Message": message}), body
    assert api.get(f"/users/{account}").json() == before


def test_format_csv_answers_the_same_page_as_csv(api: Any) -> None:
    """The reference: "The normal response is JSON. Use the format parameter to request a pdf
    or csv response." """
    page = api.get("/users", params={"sort": "userName", "pageSize": 2}).json()
    response = api.get("/users", params={"sort": "userName", "pageSize": 2, "format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    columns = "id,userName,fullName,primaryEmail,accessType,isAdministrator"
    rows = [
        f"{u['id']},{u['userName']},{u['fullName']},{u['primaryEmail']},{u['accessType']},"
        f"{u['isAdministrator']}"
        for u in page["items"]
    ]
    assert response.text == "\r\n".join([columns, *rows]) + "\r\n"


def test_a_format_other_than_csv_is_400(api: Any) -> None:
    response = api.get("/users", params={"format": "pdf"})
    assert response.status_code == 400
    assert response.json() == {"Message": "The parameter format must be csv."}
