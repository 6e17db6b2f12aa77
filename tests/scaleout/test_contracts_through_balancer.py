"""The contract suite (``standin check``, schemathesis against a live base URL) through the
balancer: the very tests of tests/check/test_check.py that run it against one ``standin serve``,
given the balancer's origin instead. They read only the served origin, never the sandbox object,
which a deployment does not have."""

from __future__ import annotations

from typing import cast

import pytest

from standin import Sandbox
from standin.check.profiles import PROFILES
from tests.check import test_check as single_process
from tests.check.conftest import FakeTime, Served
from tests.scaleout.topology import Topology


@pytest.fixture
def served(scaleout: Topology) -> Served:
    return Served(scaleout.url, cast(Sandbox, None))


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.mark.parametrize(
    "api",
    sorted(PROFILES),
)
def test_the_check_passes_through_the_balancer(
    api: str, served: Served, fake_time: FakeTime
) -> None:
    single_process.test_the_check_passes_against_standin_serve(api, served, fake_time)


def test_with_allow_writes_every_operation_passes_through_the_balancer(
    served: Served, fake_time: FakeTime
) -> None:
    try:
        single_process.test_with_allow_writes_every_operation_runs_and_passes_against_standin_serve(
            served, fake_time
        )
    finally:
        with served.control() as control:
            on = {"atrius": {"requests": {"enabled": True}}}
            assert control.patch("/limits", json=on).status_code == 200
