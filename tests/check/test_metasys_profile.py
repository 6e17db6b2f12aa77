"""`standin check`'s Metasys profile: which real ids a positive case is given."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from mocks.check.pacing import PacedSession, Pacer
from mocks.check.profiles.base import Target
from mocks.check.profiles.metasys import MetasysConnection
from tests.check.conftest import FakeTime, Served


def test_a_certificate_operation_is_given_an_engine(served: Served, fake_time: FakeTime) -> None:
    creds = served.sandbox.credentials()["metasys"]
    state: Any = served.sandbox.api("metasys").state(served.sandbox.tenants.default())  # type: ignore[attr-defined]
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
