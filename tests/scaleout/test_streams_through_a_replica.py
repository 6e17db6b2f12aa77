"""A Metasys event stream opened through a replica that does not serve its tenant: the stream is
handed to the replica that does and its events come back as they happen, unbuffered."""

from __future__ import annotations

import httpx

from standin.metasys.api import MetasysApi
from tests.scaleout.metasys_support import value_stream
from tests.scaleout.replicas import replica
from tests.vendor_calls import ZONE_SETPOINT, metasys_adjust, metasys_id, metasys_token


def test_a_command_on_the_serving_replica_reaches_a_stream_opened_through_the_other(
    redis_url: str,
) -> None:
    with replica(redis_url, ["metasys"]) as owner, replica(redis_url, ["metasys"]) as other:
        assert owner.sandbox.tenants.local("default") is not None  # it started first
        timeout = httpx.Timeout(5.0, read=5.0)
        with (
            httpx.Client(base_url=owner.base, timeout=timeout, trust_env=False) as a,
            httpx.Client(base_url=other.base, timeout=timeout, trust_env=False) as b,
        ):
            creds = a.get("/_sandbox/credentials").json()["metasys"]
            auth = {"Authorization": f"Bearer {metasys_token(b, creds)}"}
            point = metasys_id(a, auth, ZONE_SETPOINT)
            try:
                with value_stream(b, auth, point) as stream:
                    assert stream.response.headers["content-type"] == (
                        "text/event-stream; charset=utf-8"
                    )
                    metasys_adjust(a, auth, point, 74.5)
                    names = [next(stream.events)[1] for _ in range(2)]
            finally:
                owner.sandbox.vendor(MetasysApi).streams.hub.close_all()
        assert names == ["object.values.update", "object.values.update"]
        assert other.sandbox.tenants.local("default") is None
