"""Every public method of the Metasys reference client, called once per request it can send.

The ids need not exist (a 404 still shows the operation), so no call changes the fixture's
objects: the delete and the create go to an unknown object."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from clients._http import Clock, Sleeper
from clients.metasys import MetasysClient
from mocks.coverage.probes.probe import ClientProbe

UNKNOWN = "00000000-0000-0000-0000-000000000001"
FQR = "ADS1:NAE-1/FC-1.VAV-101.ZN-SP"
DAY = dt.datetime(2024, 1, 15, tzinfo=dt.UTC)
PALETTE = "01443cbc-d65e-4666-85d5-484a3b1f4f21"


def connect(credentials: Mapping[str, Any], clock: Clock, sleep: Sleeper) -> MetasysClient:
    return MetasysClient(
        str(credentials["username"]), str(credentials["password"]), clock=clock, sleep=sleep
    )


PROBE: ClientProbe[MetasysClient] = ClientProbe(
    client_class=MetasysClient,
    connect=connect,
    calls={
        # First, so that no later call's journal holds the login it would otherwise cause.
        "login": [lambda c: c.login()],
        "refresh": [lambda c: c.refresh()],
        "object_id": [lambda c: c.object_id(FQR)],
        "tree": [lambda c: c.tree(), lambda c: c.tree(UNKNOWN)],
        "get_object": [lambda c: c.get_object(UNKNOWN)],
        "read": [lambda c: c.read(UNKNOWN)],
        "read_many": [lambda c: c.read_many([(UNKNOWN, "presentValue")])],
        "commands": [lambda c: c.commands(UNKNOWN)],
        "command": [lambda c: c.command(UNKNOWN, "adjustCommand", [70.0], priority=9)],
        "adjust": [lambda c: c.adjust(UNKNOWN, 70.0, priority=9)],
        "override": [lambda c: c.override(UNKNOWN, 70.0)],
        "release": [lambda c: c.release(UNKNOWN, 9)],
        "release_all": [lambda c: c.release_all(UNKNOWN)],
        "write": [lambda c: c.write(UNKNOWN, description="probe")],
        "create_object": [lambda c: c.create_object(UNKNOWN, "PROBE", "avClass")],
        "delete_object": [lambda c: c.delete_object(UNKNOWN)],
        "trended_attributes": [
            lambda c: c.trended_attributes(UNKNOWN),
            lambda c: c.trended_attributes(UNKNOWN, network_device=True),
        ],
        "network_device": [lambda c: c.network_device(UNKNOWN)],
        "space": [lambda c: c.space(UNKNOWN)],
        "equipment_instance": [lambda c: c.equipment_instance(UNKNOWN)],
        "views": [lambda c: c.views(UNKNOWN)],
        "supported_child_types": [lambda c: c.supported_child_types(UNKNOWN)],
        "enumeration": [lambda c: c.enumeration("writePriorityEnumSet")],
        "user_info": [lambda c: c.user_info()],
        "samples": [
            lambda c: c.samples(UNKNOWN, start=DAY, end=DAY),
            lambda c: c.samples(UNKNOWN, "cpuUsage", network_device=True),
        ],
        "network_devices": [lambda c: c.network_devices(), lambda c: c.network_devices(UNKNOWN)],
        "spaces": [lambda c: c.spaces(), lambda c: c.spaces(UNKNOWN)],
        "equipment": [
            lambda c: c.equipment(),
            lambda c: c.equipment(serving_space=UNKNOWN),
            lambda c: c.equipment(served_by=UNKNOWN),
        ],
        "equipment_points": [lambda c: c.equipment_points(UNKNOWN)],
        "object_points": [lambda c: c.object_points(UNKNOWN)],
        "upstream_equipment": [lambda c: c.upstream_equipment(UNKNOWN)],
        "equipment_spaces": [lambda c: c.equipment_spaces(UNKNOWN)],
        "equipment_devices": [lambda c: c.equipment_devices(UNKNOWN)],
        "space_devices": [lambda c: c.space_devices(UNKNOWN)],
        "device_equipment": [lambda c: c.device_equipment(UNKNOWN)],
        "device_spaces": [lambda c: c.device_spaces(UNKNOWN)],
        "pages": [lambda c: c.pages("/users")],
        "delete_network_device": [lambda c: c.delete_network_device(UNKNOWN)],
        "alarms": [lambda c: c.alarms(), lambda c: c.alarms(UNKNOWN)],
        "alarm": [lambda c: c.alarm(UNKNOWN)],
        "acknowledge_alarm": [lambda c: c.acknowledge_alarm(UNKNOWN)],
        "discard_alarm": [lambda c: c.discard_alarm(UNKNOWN)],
        "audits": [lambda c: c.audits(), lambda c: c.audits(UNKNOWN)],
        "discard_audit": [lambda c: c.discard_audit(UNKNOWN)],
        "annotate_audit": [lambda c: c.annotate_audit(UNKNOWN, "probe")],
        "annotations": [
            lambda c: c.annotations("alarms", UNKNOWN),
            lambda c: c.annotations("audits", UNKNOWN),
        ],
        "activities": [lambda c: c.activities()],
        "batch_activities": [
            lambda c: c.batch_activities(
                "PATCH",
                [
                    {
                        "id": "1",
                        "requestUrl": f"{c.base_url}/alarms/{UNKNOWN}",
                        "body": {"activityManagementStatus": "discarded"},
                    }
                ],
            )
        ],
        # Controls and enumerations: unknown ids and a refused definition change nothing.
        "enumerations": [lambda c: c.enumerations()],
        "get_enumeration": [lambda c: c.get_enumeration("writePriorityEnumSet")],
        "create_enumeration": [lambda c: c.create_enumeration("probe", [])],
        "edit_enumeration": [lambda c: c.edit_enumeration(UNKNOWN, title="probe")],
        "replace_enumeration": [lambda c: c.replace_enumeration(UNKNOWN, "probe", ["a", "b"])],
        "delete_enumeration": [lambda c: c.delete_enumeration(UNKNOWN)],
        "diagram": [lambda c: c.diagram(UNKNOWN)],
        "subscribe_diagram": [lambda c: c.subscribe_diagram(UNKNOWN, UNKNOWN)],
        "unsubscribe_diagram": [
            lambda c: c.unsubscribe_diagram(
                f"{c.base_url}/controls/streams/{UNKNOWN}/subscriptions/{UNKNOWN}"
            )
        ],
        "replace_diagram": [lambda c: c.replace_diagram(UNKNOWN, {})],
        "palette": [lambda c: c.palette(PALETTE)],
        "palette_block": [lambda c: c.palette_block(PALETTE, "text")],
        # The low-level calls the stream consumer shares with the client.
        "request": [lambda c: c.request("GET", "/userinfo")],
        "raw": [lambda c: c.raw("GET", "/userinfo")],
        "bearer": [lambda c: c.bearer()],
        "check": [
            lambda c: c.check(
                c.http.get(
                    f"{c.base_url}/userinfo", headers={"Authorization": f"Bearer {c.bearer()}"}
                )
            )
        ],
        # Neither sends a request: a stream opens only when entered, a pause only waits.
        "stream": [lambda c: c.stream()],
        "pause": [lambda c: c.pause(0)],
    },
)
