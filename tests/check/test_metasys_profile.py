"""`standin check`'s Metasys profile: which real ids a positive case is given, and the
write-backs (a checked setting or user account edit sends what the target already holds, so
`standin check --allow-writes` changes neither)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import schemathesis

from standin import contracts
from standin.check.pacing import PacedSession, Pacer
from standin.check.profiles.base import Target
from standin.check.profiles.metasys import MetasysConnection
from standin.metasys.api import MetasysApi
from tests.check.conftest import FakeTime, Served


def test_a_certificate_operation_is_given_an_engine(served: Served, fake_time: FakeTime) -> None:
    creds = served.sandbox.credentials()["metasys"]
    state = served.sandbox.vendor(MetasysApi).state(served.sandbox.tenants.default())
    engines = {state.tree.find(f"ADS1:{name}").id for name in ("NAE-1", "NAE-2")}
    with PacedSession(Pacer(600, clock=fake_time.clock, sleep=fake_time.sleep)) as session:
        target = Target("metasys", served.base_url("metasys"), creds, session, fake_time.clock)
        connection = MetasysConnection(target)
        assert set(connection.world().engines) == engines
        chosen = set()
        for seed in range(12):
            case: Any = SimpleNamespace(
                operation=SimpleNamespace(
                    path="/api/v4/networkDevices/{networkDeviceId}/certificates/bacnet"
                ),
                path_parameters={"networkDeviceId": f"generated-{seed}"},
            )
            connection._prepare_path(case)
            chosen.add(case.path_parameters["networkDeviceId"])
    assert chosen & engines
    assert chosen - engines <= {f"generated-{seed}" for seed in range(12)}


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
