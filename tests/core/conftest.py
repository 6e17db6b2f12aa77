from collections.abc import Iterator

import httpx
import pytest

from standin import Sandbox, build_app
from standin._core.clock import Clock
from standin.inprocess import AsgiBridge
from tests.conftest import NOW
from tests.core.echo_api import EchoApi


@pytest.fixture
def echo_sandbox() -> Sandbox:
    clock = Clock()
    clock.freeze(NOW)
    return Sandbox([EchoApi], clock=clock, journal_capacity=5)


@pytest.fixture
def echo(echo_sandbox: Sandbox) -> Iterator[httpx.Client]:
    bridge = AsgiBridge(build_app(echo_sandbox))
    with httpx.Client(transport=httpx.MockTransport(bridge), base_url="http://standin.test") as c:
        yield c
    bridge.close()
