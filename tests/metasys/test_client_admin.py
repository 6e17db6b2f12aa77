"""The client's administration calls (clients/metasys_admin.py) against the fake in-process
(answers generated from the contract: tests/conformance)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
import respx

from standin import Sandbox
from standin.clients.metasys import (
    MetasysClient,
    MetasysForbidden,
    MetasysNotFound,
    MetasysValidationError,
)
from standin.clients.metasys_admin import AuditCount, TimeSeries, UserAccount
from tests.metasys.conftest import PROGRAMMING, ZONE_SETPOINT, object_id, state_of
from tests.metasys.test_client import fake, http, metasys, paths

__all__ = ["fake", "http", "metasys"]  # fixtures shared with test_client.py


# --- against the fake --------------------------------------------------------------------------


def test_system_settings_are_read_and_changed_at_the_private_api_path(
    metasys: MetasysClient, fake: Sandbox
) -> None:
    assert metasys.system_capabilities()["streaming"] is True
    settings = metasys.system_settings(include_schema=True)
    assert settings.values["site.unitsSystem"] == "imperial"
    assert settings.schema is not None
    metasys.update_system_setting("site.unitsSystem", "metric")
    assert metasys.system_settings().values["site.unitsSystem"] == "metric"
    assert metasys.system_settings().schema is None
    system_calls = [p for p in paths(fake) if "/system/" in p[1]]
    assert {p[1].split("/system/")[0] for p in system_calls} == {"/api/private-api/v4"}
    with pytest.raises(MetasysValidationError) as refused:
        metasys.update_system_setting("site.unitsSystem", "furlongs")
    assert refused.value.status == 400
    with pytest.raises(MetasysNotFound):
        metasys.update_system_setting("site.colour", "red")


def test_user_accounts_are_read_and_edited(metasys: MetasysClient, fake: Sandbox) -> None:
    viewer = state_of(fake).user(fake.credentials()["metasys"]["viewer_username"])
    assert viewer is not None
    account = metasys.user_account(viewer.id)
    assert isinstance(account, UserAccount)
    assert (account.user_name, account.is_administrator) == (viewer.username, False)
    assert account.session_timeout_minutes == 60
    assert len(account.user_views) == 1
    edited = metasys.edit_user(viewer.id, full_name="Viewer", session_timeout_minutes=15)
    assert (edited.full_name, edited.session_timeout_minutes) == ("Viewer", 15)
    assert edited.email == account.email
    with pytest.raises(MetasysNotFound):
        metasys.user_account("nobody")


def test_a_viewer_may_not_read_accounts(fake: Sandbox, http: httpx.Client) -> None:
    creds = fake.credentials()["metasys"]
    viewer = MetasysClient(
        str(creds["viewer_username"]),
        str(creds["viewer_password"]),
        http=http,
        clock=fake.clock.now,
    )
    with pytest.raises(MetasysForbidden) as refused:
        viewer.user_account(next(state_of(fake).users.values()).id)
    assert refused.value.status == 403


def test_time_series_trees_public_views_and_bulk(metasys: MetasysClient, fake: Sandbox) -> None:
    series = list(metasys.time_series("VAV-101", pageSize=2))
    assert all(isinstance(s, TimeSeries) for s in series)
    assert [s.item_reference for s in series] == sorted(s.item_reference for s in series)
    assert len(series) == 3  # DA-F, ZN-SP, ZN-T, over two pages
    assert sum("/timeSeries" in p[1] for p in paths(fake)) == 2
    assert series[0].object_id == object_id(fake, series[0].item_reference)
    trees = metasys.object_trees()
    assert [(t.name, t.can_read) for t in trees][:2] == [
        ("All Items", True),
        ("Zone Temperatures", True),
    ]
    tree = metasys.object_tree(trees[1].id, permissions=True, conditions=True)
    assert tree.deleted == ()
    assert tree.permissions is not None
    assert next(n.item_reference for n in tree.nodes[0].walk() if n.is_object) == (
        "ADS1:NAE-1/FC-1.VAV-101.ZN-T"
    )
    view = metasys.public_view(object_id(fake, ZONE_SETPOINT))
    assert view["defaultAttribute"] == "attributeEnumSet.presentValue"
    parent = object_id(fake, PROGRAMMING)
    creation = {
        "parentId": parent,
        "localUniqueIdentifier": "BULK-1",
        "objectType": "objectTypeEnumSet.bvClass",
        "item": {"name": "Bulk"},
    }
    results = metasys.create_objects([creation, creation])
    assert [(r.created, r.status) for r in results] == [(True, 201), (False, 409)]
    assert results[0].id == object_id(fake, "ADS1:ADS1/Programming.BULK-1")


def test_audit_counts_and_alarm_annotations(metasys: MetasysClient, fake: Sandbox) -> None:
    point = object_id(fake, ZONE_SETPOINT)
    metasys.command(point, "adjustCommand", [70.0])
    start = fake.clock.now() - dt.timedelta(hours=1)
    counts = metasys.audit_counts(start, fake.clock.now(), interval="Hour", audit_actions=[41])
    assert [(c.audit_string_id, c.count) for c in counts] == [(41, 1)]
    assert isinstance(counts[0], AuditCount)
    assert counts[0].start == start.replace(minute=0, second=0, microsecond=0) + dt.timedelta(
        hours=1
    )
    with pytest.raises(ValueError, match="interval"):
        metasys.audit_counts(start, fake.clock.now(), interval="Minute")
    with pytest.raises(ValueError, match="timezone"):
        metasys.audit_counts(start.replace(tzinfo=None), fake.clock.now())
    alarm = state_of(fake).raise_alarm(state_of(fake).tree[point], "avHiAlarm", 70, True, 90.0)
    metasys.annotate_alarm(alarm, "  Checked  ")
    assert [a["text"] for a in metasys.annotations("alarms", alarm)] == ["Checked"]
    with pytest.raises(MetasysValidationError):
        metasys.annotate_alarm(alarm, "   ")


# --- against a fixed answer (generated answers: tests/conformance) --------------------------------

TOKEN = {"accessToken": "t", "expires": "2099-01-01T00:00:00Z"}
MEDIA = "application/vnd.metasysapi.v4+json"


def test_the_private_api_sits_beside_any_base_url() -> None:
    client = MetasysClient(
        "u",
        "p",
        base_url="https://bas.example.com/api/v4",
        http=httpx.Client(),
        clock=lambda: dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )
    with respx.mock(assert_all_called=False) as router:
        router.post("https://bas.example.com/api/v4/login").respond(200, json=TOKEN)
        route = router.get("https://bas.example.com/api/private-api/v4/system/capabilities")
        route.respond(200, json={"items": {"a": 1}}, headers={"Content-Type": MEDIA})
        assert client.system_capabilities() == {"a": 1}
        assert route.called
