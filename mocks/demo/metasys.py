"""Metasys: log in, walk the objects, find a point by its fully qualified reference, command it
at a priority, read it back, release it, with the reference client.

Half an hour of the session passes on the sandbox's clock, so the client is seen refreshing its
30-minute token before it expires and carrying on past the first token's expiry; and one read is
answered 403 with Retry-After (how Metasys refuses too many requests), which the client waits
out. Issue 9's workflow goes on to a streamed update and an alarm acknowledgement: those steps
join when the fake streams and has alarms (Metasys part 2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from clients.metasys import DEFAULT_BASE_URL, MetasysClient
from mocks.demo.workflow import DemoContext, Step, expect
from mocks.metasys.errors import too_many_requests

TOKEN_LIFETIME = dt.timedelta(minutes=30)
"""The fixture's API administrator's token lifetime (the guide: per user profile)."""
FQR = "ADS1:NAE-1/FC-1.VAV-101.ZN-SP"
"""VAV-101's zone setpoint: an analog value that relinquishes to 72 degF."""
RELINQUISH_DEFAULT = 72.0
SETPOINT = 74.0
PRIORITY = "priorityOperatorOverride"
LEVEL = 8
QUIET = 26 * 60
"""Seconds the operator leaves the setpoint alone: past the client's renewal point (5 min
before the 30-minute expiry), short of the expiry."""
RETRY_AFTER = "2"


class MetasysSession:
    title = "Metasys: log in, find a point, command it, read it back, release it"
    token_path: tuple[str, ...] = ("/login", "/refreshToken")
    throttle_status = 403

    def __init__(self, demo: DemoContext) -> None:
        self.demo = demo
        credentials = demo.control.credentials("metasys")
        base_url = DEFAULT_BASE_URL if demo.base_url is None else f"{demo.base_url}/api/v4"
        self.client = MetasysClient(
            str(credentials["username"]),
            str(credentials["password"]),
            http=demo.http,
            clock=demo.now,
            sleep=demo.sleep,
            base_url=base_url,
        )
        self.point = ""

    def close(self) -> None:
        self.client.close()

    def steps(self) -> Sequence[Step]:
        return [
            ("Log in", self.login),
            ("Walk the objects from the site", self.objects),
            ("Find the zone setpoint by its reference", self.find),
            ("Command it at operator-override priority", self.command),
            ("Read the new value back", self.read_back),
            ("26 minutes on: the token is refreshed before it expires", self.refreshed),
            ("Too many requests: a 403 with Retry-After is waited out", self.throttled),
            ("Release the override, past the first token's expiry", self.release),
        ]

    def login(self) -> str:
        # Timed from before the request: the first login may take a while (the sandbox makes
        # its signing key then), and ``expires`` is given to the second.
        before = self.demo.now()
        token = self.client.login()
        took = self.demo.now() - before
        lifetime = token.expires - before
        second = dt.timedelta(seconds=1)
        expect(
            TOKEN_LIFETIME - second <= lifetime <= TOKEN_LIFETIME + took + second,
            f"lifetime {lifetime}",
        )
        return f"bearer token (a JWT) for {self.client.username}, expires in 30 min"

    def objects(self) -> str:
        roots = self.client.tree(depth=1)
        expect(len(roots) == 1, f"{len(roots)} root objects, not the site")
        [site] = roots
        devices = [child for child in site.children if child.classification == "device"]
        expect(bool(devices), "no device under the site")
        return f"site {site.name}: {len(site.children)} children, {len(devices)} devices"

    def find(self) -> str:
        self.point = self.client.object_id(FQR)
        found = self.client.get_object(self.point)
        expect(found.object_type == "objectTypeEnumSet.avClass", f"type {found.object_type}")
        value = self.client.read(self.point)
        expect(value.value == RELINQUISH_DEFAULT, f"presentValue {value.value}")
        return f"{FQR} is {self.point}, presentValue {value.value}"

    def command(self) -> str:
        commands = {command.id for command in self.client.commands(self.point)}
        expect("commandIdEnumSet.adjustCommand" in commands, f"commands {sorted(commands)}")
        self.client.adjust(self.point, SETPOINT, priority=PRIORITY)
        return f"adjust to {SETPOINT} at {PRIORITY}"

    def read_back(self) -> str:
        value = self.client.read(self.point)
        expect(value.value == SETPOINT, f"presentValue {value.value}, commanded {SETPOINT}")
        expect(value.level == LEVEL, f"priority {value.priority}")
        return f"presentValue {value.value} at {value.priority}"

    def refreshed(self) -> str:
        first = self.client.session.token
        self.demo.control.advance(QUIET)
        value = self.client.read(self.point)
        expect(value.value == SETPOINT, f"presentValue {value.value}")
        token = self.client.session.token
        expect(self.client.session.refreshes == 1, "the token was not refreshed")
        expect(token is not None and token != first, "the same token after the refresh")
        return "GET /refreshToken gave a new 30-minute token; presentValue still " + str(
            value.value
        )

    def throttled(self) -> str:
        error = too_many_requests(RETRY_AFTER)
        self.demo.control.fail_next(
            "metasys",
            "GET",
            f"/api/v4/objects/{self.point}/attributes/presentValue",
            error.status,
            error.body,
            error.headers,
        )
        before = self.demo.traffic.throttled
        value = self.client.read(self.point)
        expect(self.demo.traffic.throttled == before + 1, "no 403 with Retry-After was answered")
        expect(value.value == SETPOINT, f"presentValue {value.value}")
        return f"waited {RETRY_AFTER} s and read {value.value}"

    def release(self) -> str:
        # The first token has expired by now: the session goes on with the refreshed one.
        self.demo.control.advance(5 * 60)
        self.client.release(self.point, PRIORITY)
        value = self.client.read(self.point)
        expect(value.value == RELINQUISH_DEFAULT, f"presentValue {value.value} after release")
        expect(self.client.session.logins == 1, "logged in again instead of refreshing")
        return f"presentValue back to {value.value} (the relinquish default)"
