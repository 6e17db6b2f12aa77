"""Metasys object lists (``GET /objects``, ``GET /objects/{id}/objects``) reaching more than
``INLINE_OBJECTS`` objects are built and encoded on a worker thread from a copy taken on the event
loop: the body is the one built inline, byte for byte; a cheap request to another tenant answers
while a big list is being built; and a write made meanwhile is not in the list."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from standin import Sandbox, build_app
from standin.metasys import object_lists, views
from standin.metasys.api import MetasysApi
from standin.metasys.state.model import MetasysObject
from tests.conftest import bearer
from tests.metasys.conftest import BASE, PROGRAMMING, ZONE_SETPOINT, object_id, state_of
from tests.offloop_support import heavy_beside, holding

FOLDERS = 4
POINTS = 210
"""Objects made below Programming: 4 folders of 210 points each (844 with the folders): more
entries under one object than `object_lists.ENCODED_TOGETHER`."""


def fill(sandbox: Sandbox) -> MetasysObject:
    """Programming with nested folders of AVs, BVs and MVs; returns the Programming folder."""
    state = state_of(sandbox)
    user = next(u for u in state.users.values() if u.can_write)
    programming = state.tree.find(PROGRAMMING)
    assert programming is not None

    def make(parent: str, label: str, kind: str) -> MetasysObject:
        body = {
            "parentId": parent,
            "localUniqueIdentifier": label,
            "objectType": f"objectTypeEnumSet.{kind}",
            "item": {"name": f"{label} name"},
        }
        return state.create(body, user)

    parent = programming.id
    for number in range(FOLDERS):
        # Every other folder inside the one before: depth as well as breadth.
        folder = make(parent if number % 2 else programming.id, f"F{number}", "containerClass")
        parent = folder.id
        for point in range(POINTS):
            make(folder.id, f"P{point}", ("avClass", "bvClass", "mvClass")[point % 3])
    assert len(state.tree) > object_lists.INLINE_OBJECTS
    assert POINTS > object_lists.ENCODED_TOGETHER
    return programming


def viewer(client: httpx.Client, sandbox: Sandbox) -> dict[str, str]:
    creds = sandbox.credentials()["metasys"]
    login = {"username": creds["viewer_username"], "password": creds["viewer_password"]}
    return bearer(client.post(f"{BASE}/login", json=login).json()["accessToken"])


QUERIES = [
    "depth=-1",
    "depth=-1&flatten=true",
    "depth=-1&includeExtensions=true&includeEffectivePermissions=true",
    "depth=2&flatten=true&includeEffectivePermissions=true",
    "objectType=avClass&objectType=containerClass&flatten=true",
    "classification=point&includeEffectivePermissions=true",
    "pathTo={deep}&flatten=true&includeEffectivePermissions=true",
    "pathTo={deep}&objectType=mvClass&classification=point",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("who", ["api user", "viewer"])
def test_a_list_built_on_a_worker_thread_is_the_list_built_inline_byte_for_byte(
    api: Any,
    client: httpx.Client,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    query: str,
    who: str,
) -> None:
    fill(sandbox)
    deep = object_id(sandbox, f"{PROGRAMMING}.F0.F1.P7")
    site = state_of(sandbox).tree.root.id
    path = f"{BASE}/objects/{site}/objects?{query.format(deep=deep)}"
    headers = viewer(client, sandbox) if who == "viewer" else api.auth()
    threads: list[str] = []
    encoded = object_lists.encoded

    def spied(*args: Any) -> bytes:
        threads.append(threading.current_thread().name)
        return encoded(*args)

    monkeypatch.setattr(object_lists, "encoded", spied)
    off_loop = client.get(path, headers=headers)
    monkeypatch.setattr(object_lists, "INLINE_OBJECTS", 1_000_000)
    inline = client.get(path, headers=headers)
    big = not query.startswith("pathTo") or "Permissions" in query
    assert len(threads) == (1 if big else 0)
    assert threading.main_thread().name not in threads
    assert (off_loop.status_code, inline.status_code) == (200, 200)
    assert off_loop.headers == inline.headers
    assert off_loop.content == inline.content


def test_every_object_listed_is_summarised_as_a_single_object_summary_is(
    api: Any, sandbox: Sandbox
) -> None:
    fill(sandbox)
    state = state_of(sandbox)
    site = state.tree.root
    listed = api.get(f"/objects/{site.id}/objects?depth=-1&flatten=true&includeExtensions=true")
    assert listed.status_code == 200
    items = listed.json()["items"]
    base = "http://standin.test/metasys/api/v4"
    expected = [site, *state.tree.descendants(site)]
    assert [item["id"] for item in items] == [obj.id for obj in expected]
    for item, obj in zip(items, expected, strict=True):
        summary = views.object_summary(obj, state, base, item["hasChildrenMatchingQuery"])
        if obj is site:
            summary["parentUrl"] = None
        assert item == summary
    assert {item["hasChildrenMatchingQuery"] for item in items} == {True, False}


async def login(http: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    answer = await http.post(f"{BASE}/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["accessToken"])


@pytest.mark.anyio
async def test_a_cheap_request_to_another_tenant_answers_while_a_big_object_list_is_built(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(sandbox)
    transport = httpx.ASGITransport(app=build_app(sandbox))
    async with httpx.AsyncClient(transport=transport, base_url="http://standin.test") as http:
        creds = sandbox.credentials()["metasys"]
        mine = await login(http, creds["username"], creds["password"])
        created = await http.post("/_sandbox/tenants")
        assert created.status_code == 201, created.text
        other = created.json()["metasys"]
        tenant = sandbox.tenants.get(created.json()["tenant"])
        assert tenant is not None
        their_setpoint = sandbox.vendor(MetasysApi).state(tenant).tree.find(ZONE_SETPOINT)
        assert their_setpoint is not None
        theirs = await login(http, other["username"], other["password"])
        site = state_of(sandbox).tree.root.id
        big_path = f"{BASE}/objects/{site}/objects?depth=-1&flatten=true"
        expected = (await http.get(big_path, headers=mine)).content
        with holding(monkeypatch, object_lists, "encoded") as held:
            answer, cheap, answered_while_held = await heavy_beside(
                http,
                held,
                lambda client: client.get(big_path, headers=mine),
                lambda client: client.get(
                    f"{BASE}/objectIdentifiers", params={"fqr": ZONE_SETPOINT}, headers=theirs
                ),
            )
    assert (cheap.status_code, answered_while_held) == (200, True)
    assert cheap.json() == their_setpoint.id
    assert held.waited == [True]
    assert (answer.status_code, answer.content) == (200, expected)


@pytest.mark.anyio
async def test_an_object_made_while_a_big_list_is_built_is_in_the_next_list_not_that_one(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    programming = fill(sandbox)
    transport = httpx.ASGITransport(app=build_app(sandbox))
    async with httpx.AsyncClient(transport=transport, base_url="http://standin.test") as http:
        creds = sandbox.credentials()["metasys"]
        mine = await login(http, creds["username"], creds["password"])
        listing = f"{BASE}/objects/{programming.id}/objects?depth=-1&flatten=true"
        with holding(monkeypatch, object_lists, "encoded") as held:
            during, made, _ = await heavy_beside(
                http,
                held,
                lambda client: client.get(listing, headers=mine),
                lambda client: client.post(
                    f"{BASE}/objects",
                    json={
                        "parentId": programming.id,
                        "localUniqueIdentifier": "MADE-MEANWHILE",
                        "objectType": "objectTypeEnumSet.avClass",
                        "item": {"name": "Made meanwhile"},
                    },
                    headers=mine,
                ),
            )
        after = await http.get(listing, headers=mine)
    assert made.status_code == 200, made.text
    new_id = made.headers["location"].rsplit("/", 1)[1]
    before_ids = [item["id"] for item in during.json()["items"]]
    after_ids = [item["id"] for item in after.json()["items"]]
    assert new_id not in before_ids
    assert after_ids == [*before_ids, new_id]
