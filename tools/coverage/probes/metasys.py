"""Every public method of the Metasys reference client, called once per request it can send.

The ids need not exist (a 404 still shows the operation), so no call changes the fixture's
objects: the delete and the create go to an unknown object."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from standin.clients._http import Clock, Sleeper
from standin.clients.metasys import MetasysClient
from standin.clients.metasys_certificates import CertificateSubject
from standin.clients.metasys_site import WELL_KNOWN_QUERIES
from tools.coverage.probes.probe import ClientProbe

UNKNOWN = "00000000-0000-0000-0000-000000000001"
FQR = "ADS1:NAE-1/FC-1.VAV-101.ZN-SP"
DAY = dt.datetime(2024, 1, 15, tzinfo=dt.UTC)
SUBJECT = CertificateSubject("probe@standin.example", "standin", "probe", "Milwaukee", "WI", "US")
PALETTE = "01443cbc-d65e-4666-85d5-484a3b1f4f21"


def connect(credentials: Mapping[str, Any], clock: Clock, sleep: Sleeper) -> MetasysClient:
    return MetasysClient(
        str(credentials["username"]), str(credentials["password"]), clock=clock, sleep=sleep
    )


def well_known(query: str) -> Callable[[MetasysClient], object]:
    """A well-known query of an unknown device (404): every page is fetched as it is read."""
    return lambda c: list(c.well_known_objects(UNKNOWN, query))


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
        # BACnet/SC certificates: an unknown device (404) or a body the fake refuses (400), so
        # no engine gains a request or a certificate.
        "signing_request": [lambda c: c.signing_request(UNKNOWN)],
        "signing_request_if_changed": [lambda c: c.signing_request_if_changed(UNKNOWN, "e")],
        "create_signing_request": [lambda c: c.create_signing_request(UNKNOWN, SUBJECT)],
        "replace_signing_request": [lambda c: c.replace_signing_request(UNKNOWN, SUBJECT)],
        "delete_signing_request": [lambda c: c.delete_signing_request(UNKNOWN)],
        "bacnet_certificates": [lambda c: c.bacnet_certificates(UNKNOWN)],
        "write_bacnet_certificate": [lambda c: c.write_bacnet_certificate(UNKNOWN, "probe")],
        "delete_bacnet_certificates": [lambda c: c.delete_bacnet_certificates(UNKNOWN)],
        "import_bacnet_certificates": [lambda c: c.import_bacnet_certificates(b"probe")],
        "batch_signing_requests": [lambda c: c.batch_signing_requests("GET", [UNKNOWN])],
        "batch_bacnet_certificates": [lambda c: c.batch_bacnet_certificates("GET", [UNKNOWN])],
        # The administration calls (clients/metasys_admin.py): unknown ids and an unknown
        # setting, so that nothing changes.
        "system_capabilities": [lambda c: c.system_capabilities()],
        "system_settings": [lambda c: c.system_settings(include_schema=True)],
        "update_system_setting": [lambda c: c.update_system_setting("probe.unknown", True)],
        "user_account": [lambda c: c.user_account(UNKNOWN)],
        "edit_user": [lambda c: c.edit_user(UNKNOWN, full_name="Probe")],
        "time_series": [lambda c: c.time_series("VAV")],
        "object_trees": [lambda c: c.object_trees()],
        "object_tree": [lambda c: c.object_tree(UNKNOWN, permissions=True, conditions=True)],
        "public_view": [lambda c: c.public_view(UNKNOWN)],
        "create_objects": [
            lambda c: c.create_objects(
                [
                    {
                        "parentId": UNKNOWN,
                        "localUniqueIdentifier": "PROBE",
                        "objectType": "objectTypeEnumSet.avClass",
                    }
                ]
            )
        ],
        "audit_counts": [lambda c: c.audit_counts(DAY, DAY, interval="Hour", audit_actions=[41])],
        "annotate_alarm": [lambda c: c.annotate_alarm(UNKNOWN, "probe")],
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
        "network_device_alarms": [lambda c: c.network_device_alarms(UNKNOWN)],
        "audit": [lambda c: c.audit(UNKNOWN)],
        "audit_users": [lambda c: c.audit_users()],
        "unsubscribe_activities": [lambda c: c.unsubscribe_activities(UNKNOWN, UNKNOWN)],
        "attributes": [lambda c: c.attributes(UNKNOWN)],
        "enumeration_schema": [lambda c: c.enumeration_schema("writePriorityEnumSet")],
        "object_type_schema": [lambda c: c.object_type_schema("avClass", UNKNOWN)],
        "unsubscribe_objects": [lambda c: c.unsubscribe_objects(UNKNOWN, UNKNOWN)],
        "well_known_objects": [well_known(query) for query in WELL_KNOWN_QUERIES],
    },
)
