"""The Metasys target profile's write-backs: a checked setting or user account edit sends what
the target already holds, so `standin check --allow-writes` changes neither."""

from __future__ import annotations

from typing import Any

import schemathesis

import contracts
from mocks.check.pacing import PacedSession, Pacer
from mocks.check.profiles.base import Target
from mocks.check.profiles.metasys import MetasysConnection
from tests.check.conftest import FakeTime, Served

SCHEMA = schemathesis.openapi.from_dict(contracts.load("metasys"))


def connection(served: Served, fake_time: FakeTime, session: PacedSession) -> MetasysConnection:
    creds = served.sandbox.credentials()["metasys"]
    return MetasysConnection(
        Target("metasys", served.base_url("metasys"), creds, session, fake_time.clock)
    )


def test_a_setting_is_written_back_with_its_current_value(
    served: Served, fake_time: FakeTime
) -> None:
    path = "/api/private-api/v4/system/settings/{settingId}"
    case: Any = SCHEMA[path]["PATCH"].Case(
        path_parameters={"settingId": "ui.inactivityTimeoutMinutes"}, body={"item": "nonsense"}
    )
    with PacedSession(Pacer(600, clock=fake_time.clock, sleep=fake_time.sleep)) as session:
        connection(served, fake_time, session)._write_back(case)
    assert case.body == {"item": 30}


def test_a_user_edit_sends_the_account_as_read(served: Served, fake_time: FakeTime) -> None:
    with PacedSession(Pacer(600, clock=fake_time.clock, sleep=fake_time.sleep)) as session:
        checker = connection(served, fake_time, session)
        [user, *_] = checker.world().users
        case: Any = SCHEMA["/api/v4/users/{userId}"]["PATCH"].Case(
            path_parameters={"userId": user}, body={"userName": "someone-else"}
        )
        checker._write_back(case)
        trees = checker.world().trees
    assert case.body["id"] == user
    assert case.body["profile"]["fullName"]
    assert set(case.body) == {
        "id",
        "self",
        "userName",
        "profile",
        "permissions",
        "roles",
        "userViews",
    }
    assert len(trees) == 3
