"""What a Metasys tenant makes by request is bounded (sandbox choices): objects in its tree,
custom enumerations, certificates on one engine. Past a bound the write is refused with the
API's 400 ``{"Message": ...}`` and nothing is made; deleting makes room again."""

from __future__ import annotations

from typing import Any

from standin import Sandbox
from standin.metasys.state.certificates import MAX_HELD
from standin.metasys.state.enumerations import MAX_CUSTOM
from standin.metasys.state.site import MAX_DEPTH, MAX_OBJECTS
from tests.metasys.conftest import PROGRAMMING, object_id, state_of
from tests.metasys.test_certificates import OCTETS, Authority, create, engine, pem

MEDIA = "application/vnd.metasysapi.v4+json"


def av(parent: str, label: str, kind: str = "avClass") -> dict[str, Any]:
    """A creation body of an AV (or another ``kind``) under ``parent``."""
    return {
        "parentId": parent,
        "localUniqueIdentifier": label,
        "objectType": f"objectTypeEnumSet.{kind}",
        "item": {"name": label},
    }


def fill_tree(sandbox: Sandbox, parent: str) -> None:
    state = state_of(sandbox)
    user = next(u for u in state.users.values() if u.can_write)
    while len(state.tree) < MAX_OBJECTS:
        state.create(av(parent, f"FILL-{len(state.tree)}"), user)


def test_an_object_past_the_tenants_quota_is_refused_with_400_and_not_made(
    api: Any, sandbox: Sandbox
) -> None:
    folder = object_id(sandbox, PROGRAMMING)
    fill_tree(sandbox, folder)
    response = api.post("/objects", json=av(folder, "ONE-MORE"))
    assert response.status_code == 400
    assert response.headers["content-type"] == MEDIA
    assert response.json() == {
        "Message": "Sandbox quota: this tenant already holds 5,000 objects, the most it may hold; "
        "delete some (DELETE /objects/{objectId}) to make room."
    }
    assert state_of(sandbox).tree.find(f"{PROGRAMMING}.ONE-MORE") is None
    assert len(state_of(sandbox).tree) == MAX_OBJECTS


def test_a_bulk_creation_past_the_quota_answers_400_for_each_object_it_did_not_make(
    api: Any, sandbox: Sandbox
) -> None:
    folder = object_id(sandbox, PROGRAMMING)
    fill_tree(sandbox, folder)
    response = api.post("/objects/bulk", json=[av(folder, "BULK-1")])
    assert response.status_code == 200
    [answer] = response.json()
    assert (answer["status"], answer["id"]) == (400, None)
    assert answer["message"].startswith("Sandbox quota: this tenant already holds 5,000 objects")


def test_deleting_an_object_at_the_quota_makes_room_for_one_more(
    api: Any, sandbox: Sandbox
) -> None:
    folder = object_id(sandbox, PROGRAMMING)
    fill_tree(sandbox, folder)
    gone = object_id(sandbox, f"{PROGRAMMING}.FILL-{MAX_OBJECTS - 1}")
    assert api.delete(f"/objects/{gone}").status_code == 204
    assert api.post("/objects", json=av(folder, "ONE-MORE")).status_code == 200
    assert api.post("/objects", json=av(folder, "TWO-MORE")).status_code == 400


def enumeration(title: str) -> dict[str, Any]:
    return {"item": {"title": title, "members": [{"title": "Off"}, {"title": "On"}]}}


def test_a_custom_enumeration_past_the_tenants_quota_is_refused_with_400_until_one_is_deleted(
    api: Any,
) -> None:
    made = [api.post("/enumerations", json=enumeration(f"Set {n}")) for n in range(MAX_CUSTOM)]
    assert {response.status_code for response in made} == {201}
    response = api.post("/enumerations", json=enumeration("One More"))
    assert response.status_code == 400
    assert response.headers["content-type"] == MEDIA
    assert response.json() == {
        "Message": "Sandbox quota: this tenant already holds 100 custom enumerations, the most it "
        "may hold; delete one (DELETE /enumerations/{id}) to make room."
    }
    assert api.get("/enumerations/customEnumSet30101").status_code == 404
    first = made[0].json()["item"]["id"]
    assert api.delete(f"/enumerations/{first}").status_code == 204
    again = api.post("/enumerations", json=enumeration("One More"))
    assert again.status_code == 201
    assert again.json()["item"]["id"] == "customEnumSet30101"  # set ids are not reused


def test_certificates_that_would_leave_an_engine_more_than_its_quota_are_refused_with_400(
    api: Any, sandbox: Sandbox
) -> None:
    device = engine(sandbox)
    path = f"/networkDevices/{device}/certificates/bacnet"
    request = create(api, device).text
    authority = Authority()
    others = [Authority(f"Other CA {n}").certificate for n in range(MAX_HELD - 2)]
    full = pem(authority.sign(request)) + pem(authority.certificate) + b"".join(map(pem, others))
    written = api.put(path, content=full, headers=OCTETS)
    assert written.status_code == 204, written.text
    assert len(api.get(path, params={"flatten": True}).json()["items"]) == MAX_HELD
    # The same key again, with one authority more: the ones written before are kept beside it.
    one_more = Authority("One More CA")
    response = api.put(
        path,
        content=pem(one_more.sign(request)) + pem(one_more.certificate),
        headers=OCTETS,
    )
    assert response.status_code == 400
    assert response.json() == {
        "Message": "Sandbox quota: an engine holds at most 100 certificates; this write would "
        "leave it 101. Delete its certificates (DELETE /networkDevices/{networkDeviceId}/"
        "certificates/bacnet) to make room."
    }
    assert len(api.get(path, params={"flatten": True}).json()["items"]) == MAX_HELD
    assert api.delete(path).status_code == 204


def test_an_object_nested_deeper_than_the_quota_is_refused_and_the_deepest_tree_lists(
    api: Any, sandbox: Sandbox
) -> None:
    state = state_of(sandbox)
    top = object_id(sandbox, PROGRAMMING)
    parent = top
    made = 0
    while True:
        response = api.post("/objects", json=av(parent, f"LEVEL-{made}", "containerClass"))
        if response.status_code != 200:
            break
        parent = response.headers["location"].rsplit("/", 1)[1]
        made += 1
    deepest = state.object(parent)
    assert len(state.tree.ancestors(deepest)) == MAX_DEPTH
    assert response.status_code == 400
    assert response.headers["content-type"] == MEDIA
    assert response.json() == {
        "Message": f"Sandbox quota: objects nest at most {MAX_DEPTH} levels below the site; "
        "create this one higher in the tree."
    }
    assert state.tree.find(f"{deepest.item_reference}.LEVEL-{made}") is None
    # The whole chain lists, nested and flat.
    nested = api.get(f"/objects/{top}/objects", params={"depth": "-1"})
    assert nested.status_code == 200
    flat = api.get(f"/objects/{top}/objects", params={"depth": "-1", "flatten": "true"})
    assert flat.status_code == 200
    assert sum(item["name"].startswith("LEVEL-") for item in flat.json()["items"]) == made
