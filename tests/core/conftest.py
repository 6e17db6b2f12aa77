from collections.abc import Iterator

import httpx
import pytest

from standin import Sandbox, build_app
from standin._core.clock import Clock
from tests.conftest import NOW, bridged_client
from tests.core.echo_api import EchoApi


@pytest.fixture
def echo_sandbox() -> Sandbox:
    clock = Clock()
    clock.freeze(NOW)
    return Sandbox([EchoApi], clock=clock, journal_capacity=5)


@pytest.fixture
def echo(echo_sandbox: Sandbox) -> Iterator[httpx.Client]:
    with bridged_client(build_app(echo_sandbox)) as c:
        yield c
