"""The historical time series repository (PRIVATE ``GET /timeSeries``): the trended attributes of
the site, searched by item reference, kept after their object is deleted."""

from typing import Any

from standin import Sandbox
from tests.metasys.conftest import object_id, state_of

HOST = "http://standin.test/metasys/api/v4"


def references(api: Any, **params: Any) -> list[str]:
    response = api.get("/timeSeries", params=params)
    assert response.status_code == 200, response.text
    return [f"{i['itemReference']}/{i['attribute']}" for i in response.json()["items"]]


def test_every_trended_attribute_has_a_series_sorted_by_item_reference(
    api: Any, sandbox: Sandbox
) -> None:
    trended = sorted(
        (obj.item_reference, f"attributeEnumSet.{name}")
        for obj in state_of(sandbox).tree.all()
        for name in obj.trended
    )
    response = api.get("/timeSeries", params={"pageSize": 2000})
    body = response.json()
    assert body["total"] == len(trended) > 10
    assert [(i["itemReference"], i["attribute"]) for i in body["items"]] == trended
    assert (body["next"], body["previous"]) == (None, None)
    assert references(api, sort="-itemReference")[0] == "/".join(trended[-1])


def test_a_series_links_to_its_object_and_samples(api: Any, sandbox: Sandbox) -> None:
    response = api.get("/timeSeries", params={"searchString": "VAV-101.ZN-T"})
    [series] = response.json()["items"]
    point = object_id(sandbox, "ADS1:NAE-1/FC-1.VAV-101.ZN-T")
    assert series["objectUrl"] == f"{HOST}/objects/{point}"
    assert series["samplesUrl"] == (
        f"{HOST}/objects/{point}/trendedAttributes/attributeEnumSet.presentValue/samples"
    )
    assert series["objectType"] == "objectTypeEnumSet.aiClass"
    samples = api.get(series["samplesUrl"].removeprefix(HOST))
    assert samples.status_code == 200
    assert samples.json()["total"] > 0


def test_the_search_string_is_a_case_sensitive_substring(api: Any) -> None:
    assert references(api, searchString="NAE-2/FC-1.AHU-2.SA-T") == [
        "ADS1:NAE-2/FC-1.AHU-2.SA-T/attributeEnumSet.presentValue"
    ]
    assert references(api, searchString="nae-2") == []
    assert (
        len(references(api, searchString="NAE-1"))
        == len(references(api, searchString="NAE-1/")) + 2
    )


def test_pages_follow_next(api: Any) -> None:
    first = api.get("/timeSeries", params={"pageSize": 5}).json()
    assert len(first["items"]) == 5
    assert first["next"] == f"{HOST}/timeSeries?pageSize=5&page=2"
    second = api.get("/timeSeries", params={"pageSize": 5, "page": 2}).json()
    assert second["previous"] is not None
    assert second["items"][0]["itemReference"] >= first["items"][-1]["itemReference"]


def test_a_deleted_devices_series_stay_without_links(api: Any, sandbox: Sandbox) -> None:
    engine = object_id(sandbox, "ADS1:NAE-2")
    before = references(api, searchString="ADS1:NAE-2")
    assert len(before) > 2
    state_of(sandbox).offline.add(engine)
    assert api.delete(f"/networkDevices/{engine}").status_code == 204
    assert state_of(sandbox).tree.find("ADS1:NAE-2") is None
    after = api.get("/timeSeries", params={"searchString": "ADS1:NAE-2"}).json()["items"]
    assert [f"{i['itemReference']}/{i['attribute']}" for i in after] == before
    assert {(i["objectUrl"], i["samplesUrl"]) for i in after} == {(None, None)}


def test_bad_paging_is_400(api: Any) -> None:
    for params, message in [
        ({"pageSize": 2001}, "The parameter pageSize is out of range."),
        ({"page": 0}, "The parameter page is out of range."),
        ({"sort": "name"}, "The parameter sort must be one of itemReference."),
    ]:
        response = api.get("/timeSeries", params=params)
        assert (response.status_code, response.json()) == (400, {"Message": message})
