"""Metasys streams follow their tenant's clock: moving one tenant's clock ends (or beats) only
that tenant's streams."""

from __future__ import annotations

from standin import Sandbox
from standin.metasys.api import MetasysApi


def test_moving_one_tenants_clock_past_its_token_expiry_ends_only_its_streams(
    sandbox: Sandbox,
) -> None:
    other = sandbox.create_tenant()
    default = sandbox.tenants.default()
    streams = sandbox.vendor(MetasysApi).streams
    for tenant in (default, other):
        tenant.clock.freeze()
    mine = streams.open("me", default.id, default.clock.time() + 60)
    theirs = streams.open("them", other.id, other.clock.time() + 60)
    other.clock.advance(61)
    streams.hub.tick()
    assert streams.hub.info(theirs) is None
    assert streams.hub.info(mine) is not None
    default.clock.advance(61)
    streams.hub.tick()
    assert streams.hub.info(mine) is None
