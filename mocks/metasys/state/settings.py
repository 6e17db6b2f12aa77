"""System settings and capabilities (PRIVATE): key/value pairs of the site. Settings are kept
per tenant, validated against their own schema on every update."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from standin.metasys import errors


@dataclass(frozen=True)
class Setting:
    key: str
    schema: dict[str, Any]
    """A JSON schema: ``title``, ``type`` (boolean, string or integer), ``default`` and, for
    strings, ``enum``; for integers, ``minimum`` and ``maximum``."""


SETTINGS = (
    Setting(
        "graphics.behaviors.flash.simpleSymbolFlash",
        {"title": "Simple Symbol Flash", "type": "boolean", "default": True},
    ),
    Setting(
        "graphics.behaviors.flash.flashType",
        {"title": "Flash Type", "type": "string", "enum": ["blink", "color"], "default": "blink"},
    ),
    Setting(
        "site.defaultLanguage",
        {
            "title": "Default Language",
            "type": "string",
            "enum": ["en-US", "de-DE", "es-ES", "fr-FR", "zh-CN"],
            "default": "en-US",
        },
    ),
    Setting(
        "site.unitsSystem",
        {
            "title": "Units System",
            "type": "string",
            "enum": ["imperial", "metric"],
            "default": "imperial",
        },
    ),
    Setting(
        "ui.inactivityTimeoutMinutes",
        {
            "title": "Inactivity Timeout (minutes)",
            "type": "integer",
            "minimum": 1,
            "maximum": 1440,
            "default": 30,
        },
    ),
)
"""**Sandbox choice:** the reference names the two flash settings; the others are the sandbox's
own, of each kind a setting can be."""

CAPABILITIES: dict[str, Any] = {
    "alarms.annotations": True,
    "audits.annotations": True,
    "audits.counts": True,
    "objects.userViews": True,
    "streaming": True,
    "timeSeries.repository": True,
    "certificates.bacnetSc": False,
    "metasysVersion": "12.0",
}
"""**Sandbox choice:** what the sandbox does (the reference lists no capability keys)."""


class SystemSettings:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {s.key: s.schema["default"] for s in SETTINGS}

    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {s.key: copy.deepcopy(s.schema) for s in SETTINGS},
        }

    def update(self, key: str, body: Any) -> None:
        """``{"item": <value>}``: 404 for an unknown key, 400 for a value its schema refuses."""
        setting = next((s for s in SETTINGS if s.key == key), None)
        if setting is None:
            raise errors.not_found(f"The setting {key} was not found.")
        if not isinstance(body, dict) or set(body) != {"item"}:
            raise errors.bad_request('The request body must be {"item": <value>}.')
        value = body["item"]
        if not _fits(value, setting.schema):
            raise errors.bad_request(f"The value is not valid for the setting {key}.")
        self.values[key] = value


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    kind = schema["type"]
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str) and value in schema["enum"]
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and schema["minimum"] <= value <= schema["maximum"]
    )
