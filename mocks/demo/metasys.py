"""Metasys: log in, walk the objects, find a point by its fully qualified reference, subscribe
to its value on a stream, command it at a priority and see the update streamed, read it back,
push it past its alarm limit and acknowledge the alarm, release it, with the reference client.

Half an hour of the session passes on the sandbox's clock, so the client is seen refreshing its
30-minute token before it expires and carrying on past the first token's expiry; and one read is
answered 403 with Retry-After (how Metasys refuses too many requests), which the client waits
out. The stream needs a socket (in-process answers are buffered whole), so the workflow gets the
in-process sandbox on a loopback port.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from standin.clients.metasys import DEFAULT_BASE_URL, MetasysClient
from standin.clients.metasys_stream import MetasysStream, StreamEvent
from standin.demo.workflow import DemoContext, DemoFailure, Step, expect
from standin.metasys.errors import too_many_requests

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
BEYOND_LIMIT = 5.0
"""How far past its ``maxPresValue`` (its high alarm limit) the setpoint is commanded."""
UPDATE = "object.values.update"
MAX_EVENTS = 20
"""Events read while waiting for one: the stream also carries heartbeats."""


class MetasysSession:
    title = "Metasys: log in, command a point, stream the update, acknowledge an alarm"
    token_path: tuple[str, ...] = ("/login", "/refreshToken")
    throttle_status = 403
    needs_server = True

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
        self.alarm_id = ""
        # No reconnection: a stream that drops or stays silent past the read timeout fails the
        # step instead of being retried (the retries would move the sandbox's clock).
        self.stream: MetasysStream = self.client.stream(max_reconnects=0)
        self.events: Iterator[StreamEvent] = iter(())

    def close(self) -> None:
        self.stream.close()
        self.client.close()

    def steps(self) -> Sequence[Step]:
        return [
            ("Log in", self.login),
            ("Walk the objects from the site", self.objects),
            ("Find the zone setpoint by its reference", self.find),
            ("Subscribe to its presentValue on a stream", self.subscribe),
            ("Command it at operator-override priority", self.command),
            ("The update arrives on the stream", self.streamed),
            ("Read the new value back", self.read_back),
            ("26 minutes on: the token is refreshed before it expires", self.refreshed),
            ("Too many requests: a 403 with Retry-After is waited out", self.throttled),
            ("Command it past its high limit: an alarm is raised", self.alarmed),
            ("Acknowledge the alarm", self.acknowledge),
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

    def subscribe(self) -> str:
        stream_id = self.stream.open()
        self.stream.subscribe_value(self.point)
        self.events = self.stream.events()
        # A subscription first streams the attribute's current value.
        event = self._next(UPDATE)
        expect(event.value == RELINQUISH_DEFAULT, f"streamed {event.value}")
        return f"stream {stream_id}: {event.name} {event.value}"

    def streamed(self) -> str:
        event = self._next(UPDATE)
        expect(event.value == SETPOINT, f"streamed {event.value}, commanded {SETPOINT}")
        # Closed before the clock moves on half an hour: its heartbeats would pile up unread.
        self.stream.close()
        return f"{event.name} {event.value} (event {event.id})"

    def _next(self, name: str) -> StreamEvent:
        for _, event in zip(range(MAX_EVENTS), self.events, strict=False):
            if event.name == name:
                return event
        raise DemoFailure(f"no {name} in {MAX_EVENTS} events")

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

    def alarmed(self) -> str:
        limit = self.client.read(self.point, "maxPresValue").value
        expect(isinstance(limit, int | float), f"maxPresValue {limit}")
        past = float(limit) + BEYOND_LIMIT
        before = {alarm["id"] for alarm in self.client.alarms(self.point)}
        self.client.adjust(self.point, past, priority=PRIORITY)
        new = [alarm for alarm in self.client.alarms(self.point) if alarm["id"] not in before]
        expect(len(new) == 1, f"{len(new)} new alarms past {limit}")
        [alarm] = new
        expect(alarm["type"] == "alarmValueEnumSet.avHiAlarm", f"type {alarm['type']}")
        expect(alarm["activityManagementStatus"] == "pending", str(alarm))
        expect(alarm["isAckRequired"] is True, "the alarm needs no acknowledgement")
        self.alarm_id = str(alarm["id"])
        return f"adjust to {past} (maxPresValue {limit}): high alarm {self.alarm_id}, pending"

    def acknowledge(self) -> str:
        self.client.acknowledge_alarm(self.alarm_id, "Seen by the standin demo")
        alarm = self.client.alarm(self.alarm_id)
        status = alarm["activityManagementStatus"]
        expect(status == "acknowledged", f"status {status}")
        return f"alarm {self.alarm_id} {status}"

    def release(self) -> str:
        # The first token has expired by now: the session goes on with the refreshed one.
        self.demo.control.advance(5 * 60)
        self.client.release(self.point, PRIORITY)
        value = self.client.read(self.point)
        expect(value.value == RELINQUISH_DEFAULT, f"presentValue {value.value} after release")
        expect(self.client.session.logins == 1, "logged in again instead of refreshing")
        return f"presentValue back to {value.value} (the relinquish default)"
