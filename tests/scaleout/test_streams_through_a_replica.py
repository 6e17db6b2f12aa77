"""A Metasys event stream opened through a replica that does not serve its tenant: the stream is
handed to the replica that does and its events come back as they happen, unbuffered."""

from __future__ import annotations

import json

import httpx
from httpx_sse import connect_sse

from standin.metasys.api import MetasysApi
from tests.scaleout.replicas import replica
from tests.vendor_calls import METASYS, ZONE_SETPOINT, metasys_id, metasys_token


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
                with connect_sse(b, "GET", f"{METASYS}/stream", headers=auth) as source:
                    assert source.response.status_code == 200
                    assert source.response.headers["content-type"] == (
                        "text/event-stream; charset=utf-8"
                    )
                    events = source.iter_sse()
                    hello = next(events)
                    stream_id = json.loads(hello.data)
                    assert (hello.id, hello.event) == (f"{stream_id}:1", "hello")
                    subscribed = b.get(
                        f"{METASYS}/objects/{point}/attributes/presentValue",
                        headers={**auth, "METASYS-SUBSCRIBE": stream_id},
                    )
                    assert subscribed.status_code == 202
                    adjusted = a.put(
                        f"{METASYS}/objects/{point}/commands/adjustCommand",
                        json={"parameters": [74.5]},
                        headers=auth,
                    )
                    assert adjusted.status_code == 200
                    names = [next(events).event for _ in range(2)]
            finally:
                owner.sandbox.vendor(MetasysApi).streams.hub.close_all()
        assert names == ["object.values.update", "object.values.update"]
        assert other.sandbox.tenants.local("default") is None
