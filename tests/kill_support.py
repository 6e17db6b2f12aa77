"""Writes under a SIGKILL: Atrius meters created and a Metasys point commanded from threads
against served sandboxes, every acknowledged write recorded, then read back once the process
that took them was killed (a data directory restarted, or a replica's tenant taken over)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import httpx

from tests.atrius.conftest import meter_body
from tests.vendor_calls import METASYS, ZONE_SETPOINT, atrius_token, metasys_id, metasys_token

COMMANDED_VALUES = range(60, 86)
"""The values the point is commanded to, in order (one every 20 ms, within its limits)."""


@dataclass
class AcknowledgedWrites:
    """What the writers were told was kept: each created meter's uuid and each value the point
    was commanded to, in the order acknowledged."""

    atrius: dict[str, str]
    metasys: dict[str, str]
    point: str
    meters: list[str] = field(default_factory=list)
    commanded: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _writers: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def logged_in(cls, http: httpx.Client) -> AcknowledgedWrites:
        """Atrius and Metasys tokens of the default tenant and the zone setpoint's id, asked
        through ``http``."""
        creds = http.get("/_sandbox/credentials").json()
        metasys = {"Authorization": f"Bearer {metasys_token(http, creds['metasys'])}"}
        return cls(
            atrius={"Authorization": f"Bearer {atrius_token(http, creds['atrius'])}"},
            metasys=metasys,
            point=metasys_id(http, metasys, ZONE_SETPOINT),
        )

    def start(self, meters_at: list[str], commands_at: str) -> None:
        """A thread creating meters at each of ``meters_at`` and one commanding the point at
        ``commands_at`` (base URLs), each until stopped or its server is gone."""
        self._writers = [
            *(threading.Thread(target=self._create_meters, args=(base,)) for base in meters_at),
            threading.Thread(target=self._command_point, args=(commands_at,)),
        ]
        for writer in self._writers:
            writer.start()

    def wait_for(self, meters: int, commands: int, seconds: float) -> None:
        """Until at least ``meters`` meters and ``commands`` commands are acknowledged, or
        ``seconds`` have passed (the caller asserts the counts)."""
        deadline = time.monotonic() + seconds
        while (
            len(self.meters) < meters or len(self.commanded) < commands
        ) and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self, join_seconds: float) -> None:
        self._stop.set()
        for writer in self._writers:
            writer.join(timeout=join_seconds)

    def missing_meters(self, http: httpx.Client) -> list[str]:
        """The acknowledged meters ``http``'s server does not have."""
        return [
            meter
            for meter in self.meters
            if http.get(f"/atrius/meters/{meter}", headers=self.atrius).status_code != 200
        ]

    def present_value(self, http: httpx.Client) -> float:
        """The point's value as ``http``'s server reads it now."""
        response = http.get(
            f"{METASYS}/objects/{self.point}/attributes/presentValue", headers=self.metasys
        )
        assert response.status_code == 200, response.text
        value: float = response.json()["item"]["presentValue"]
        return value

    def _create_meters(self, base: str) -> None:
        with httpx.Client(base_url=base, timeout=5, trust_env=False) as client:
            for n in range(10_000):
                if self._stop.is_set():
                    return
                body = meter_body(vendorMeterId=f"M-{n}")
                try:
                    response = client.post("/atrius/meters/", json=body, headers=self.atrius)
                except httpx.TransportError:
                    return
                if response.status_code == 201:
                    self.meters.append(response.json()["uuid"])

    def _command_point(self, base: str) -> None:
        with httpx.Client(base_url=base, timeout=5, trust_env=False) as client:
            for value in COMMANDED_VALUES:
                if self._stop.is_set():
                    return
                try:
                    response = client.put(
                        f"{METASYS}/objects/{self.point}/commands/adjustCommand",
                        json={"parameters": [value]},
                        headers=self.metasys,
                    )
                except httpx.TransportError:
                    return
                if response.is_success:
                    self.commanded.append(value)
                time.sleep(0.02)
