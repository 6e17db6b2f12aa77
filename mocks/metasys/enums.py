"""The Metasys enumeration sets the fake uses, with their member ids and display titles.

Every enum value an object, command or sample returns comes from one of these sets, so that
``/schemas/enums/{id}`` and ``/enumerations/{id}`` describe exactly what the other operations send.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EnumSet:
    id: str
    set_id: int
    title: str
    members: tuple[tuple[str, str], ...]
    """(short member name, display title), in member-id order starting at 0."""
    custom: bool = False
    """Made through ``POST /enumerations``: editable and deletable, unlike the built-in sets."""

    def member(self, short: str) -> str:
        return f"{self.id}.{short}"

    def ids(self) -> list[str]:
        return [self.member(short) for short, _ in self.members]

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and value in self.ids()

    @property
    def kind(self) -> str:
        if self.custom:
            return "custom"
        return "twoState" if self.is_two_state else "multiState"

    @property
    def is_two_state(self) -> bool:
        return len(self.members) == 2


PRIORITIES: tuple[tuple[str, str], ...] = (
    ("priorityNone", "0 (No Priority)"),
    ("priorityManualEmergency", "1 (Manual Life Safety)"),
    ("priorityFireApplications", "2 (Auto Life Safety)"),
    ("priority3", "3 (Application)"),
    ("priority4", "4 (Application)"),
    ("priorityCriticalEquipment", "5 (Critical Equipment)"),
    ("priorityMinimumOnOff", "6 (Minimum On Off)"),
    ("priorityHeavyEquipDelay", "7 (Heavy Equip Delay)"),
    ("priorityOperatorOverride", "8 (Operator Override)"),
    ("priority9", "9 (Application)"),
    ("priority10", "10 (Application)"),
    ("priorityDemandLimiting", "11 (Demand Limiting)"),
    ("priority12", "12 (Application)"),
    ("priorityLoadRolling", "13 (Load Rolling)"),
    ("priority14", "14 (Application)"),
    ("prioritySchedulingOst", "15 (Scheduling)"),
    ("priorityDefault", "16 (Default)"),
)

_SETS: tuple[EnumSet, ...] = (
    EnumSet("writePriorityEnumSet", 1, "Write Priority", PRIORITIES),
    EnumSet(
        "reliabilityEnumSet",
        503,
        "Reliability",
        (
            ("reliable", "Reliable"),
            ("noSensor", "No Sensor"),
            ("overRange", "Over Range"),
            ("underRange", "Under Range"),
            ("openLoop", "Open Loop"),
            ("shortedLoop", "Shorted Loop"),
            ("noOutput", "No Output"),
            ("unreliableOther", "Unreliable Other"),
            ("processError", "Process Error"),
            ("multiStateFault", "Multistate Fault"),
            ("configurationError", "Configuration Error"),
            ("communicationFailure", "Communication Failure"),
            ("unreliableHigh", "Unreliable High"),
            ("unreliableLow", "Unreliable Low"),
        ),
    ),
    EnumSet(
        "objectTypeEnumSet",
        508,
        "Object Type",
        (
            ("siteClass", "Site"),
            ("oasClass", "Metasys Server"),
            ("nae55Class", "NAE55"),
            ("mstpTrunkClass", "Field Bus MSTP"),
            ("fecClass", "FEC Family BACnet Device"),
            ("containerClass", "Folder"),
            ("avClass", "AV"),
            ("aiClass", "AI"),
            ("bvClass", "BV"),
            ("boClass", "BO"),
            ("mvClass", "MV"),
            ("trendClass", "Trend"),
            ("programClass", "Program"),
            ("bacAvClass", "BACnet Analog Value"),
            ("bacAiClass", "BACnet Analog Input"),
            ("bacBvClass", "BACnet Binary Value"),
            ("bacBoClass", "BACnet Binary Output"),
            ("bacMvClass", "BACnet Multistate Value"),
        ),
    ),
    EnumSet(
        "commandIdEnumSet",
        1100,
        "Command Id",
        (
            ("adjustCommand", "Adjust"),
            ("overrideCommand", "Operator Override"),
            ("temporaryOverrideCommand", "Temporary Override"),
            ("overrideReleaseCommand", "Release Operator Override"),
            ("releaseCommand", "Release"),
            ("releaseAllCommand", "Release All"),
            ("enableAlarmsCommand", "Enable Alarms"),
            ("disableAlarmsCommand", "Disable Alarms"),
            ("state0Command", "State 0"),
            ("state1Command", "State 1"),
            ("multistate0Command", "State 0"),
            ("multistate1Command", "State 1"),
            ("multistate2Command", "State 2"),
            ("multistate3Command", "State 3"),
            ("inServiceCommand", "In Service"),
            ("outOfServiceCommand", "Out of Service"),
        ),
    ),
    EnumSet(
        "commandParmsEnumSet",
        1101,
        "Command Parameters",
        (
            ("valueCmdparm", "Value"),
            ("hoursCmdparm", "Hours"),
            ("minutesCmdparm", "Minutes"),
            ("attributeCmdparm", "Attribute"),
            ("priorityCmdparm", "Priority"),
        ),
    ),
    EnumSet(
        "unitEnumSet",
        507,
        "Units",
        (
            ("noUnits", "no units"),
            ("degF", "deg F"),
            ("degC", "deg C"),
            ("percent", "%"),
            ("cubicFeetPerMinute", "CFM"),
            ("inchesOfWater", "in W.C."),
            ("partsPerMillion", "PPM"),
            ("percentRelativeHumidity", "%RH"),
        ),
    ),
    EnumSet(
        "objectCategoryEnumSet",
        33,
        "Authorization Category",
        (
            ("generalCategory", "General"),
            ("hvacCategory", "HVAC"),
            ("systemCategory", "System"),
            ("energyCategory", "Energy"),
            ("lightingCategory", "Lighting"),
        ),
    ),
    EnumSet(
        "alarmValueEnumSet",
        1,
        "Alarm Value",
        (
            ("avNormal", "Normal"),
            ("avAlarm", "Alarm"),
            ("avHiAlarm", "High Alarm"),
            ("avLoAlarm", "Low Alarm"),
            ("avHiWarn", "High Warning"),
            ("avLoWarn", "Low Warning"),
            ("avOffline", "Offline"),
            ("avTrouble", "Trouble"),
        ),
    ),
    EnumSet(
        "attributeEnumSet",
        509,
        "Attribute",
        (
            ("name", "Name"),
            ("description", "Description"),
            ("objectCategory", "Authorization Category"),
            ("presentValue", "Present Value"),
            ("reliability", "Reliability"),
            ("outOfService", "Out Of Service"),
            ("status", "Status"),
            ("units", "Units"),
            ("minPresValue", "Min Value"),
            ("maxPresValue", "Max Value"),
            ("relinquishDefault", "Relinquish Default"),
            ("currentCommandPriority", "Current Command Priority"),
            ("displayPrecision", "Display Precision"),
            ("covIncrement", "COV Increment"),
            ("itemReference", "Item Reference"),
            ("alarmState", "Alarm State"),
            ("statesText", "States Text"),
            ("numberOfStates", "Number of States"),
            ("bacnetObjectType", "Object Type"),
            ("defaultAttribute", "Default Attribute"),
            ("alarmsEnabled", "Alarms Enabled"),
            ("ipAddress", "IP Address"),
            ("firmwareVersion", "Firmware Version"),
            ("memoryUsage", "Memory Usage"),
            ("cpuUsage", "CPU Usage"),
            ("id", "Identifier"),
            ("overrideExpirationTime", "Override Expiration Time"),
        ),
    ),
    EnumSet(
        "displayPrecisionEnumSet",
        67,
        "Display Precision",
        (
            ("displayPrecision1", "1"),
            ("displayPrecisionPt1", "0.1"),
            ("displayPrecisionPt01", "0.01"),
        ),
    ),
    EnumSet(
        "viewNameEnumSet",
        1005,
        "View Name",
        (("focusView", "Focus"), ("diagnosticView", "Diagnostic"), ("optionsView", "Options")),
    ),
    EnumSet(
        "binarypvEnumSet",
        2,
        "Binary Present Value",
        (("bacbinInactive", "Inactive"), ("bacbinActive", "Active")),
    ),
    EnumSet(
        "statesEnumSet",
        36,
        "States",
        (
            ("state0", "State 0"),
            ("state1", "State 1"),
            ("state2", "State 2"),
            ("state3", "State 3"),
        ),
    ),
    EnumSet(
        "objectStatusEnumSet",
        4,
        "Object Status",
        (
            ("osNormal", "Normal"),
            ("osFault", "Fault"),
            ("osOffline", "Offline"),
            ("osOperatorOverride", "Operator Override"),
            ("osOutOfService", "Out of Service"),
            ("osHighPriority", "High Priority"),
            ("osAlarm", "Alarm"),
        ),
    ),
    EnumSet(
        "spaceTypesEnumSet",
        1766,
        "Space Types",
        (("generic", "Generic"), ("building", "Building"), ("floor", "Floor"), ("room", "Room")),
    ),
    EnumSet("noYesEnumSet", 3, "No Yes", (("fanNo", "No"), ("fanYes", "Yes"))),
    EnumSet(
        "objectModeEnumSet",
        512,
        "Object Mode",
        (
            ("presentValueReadOnly", "Read Only"),
            ("presentValueWritable", "Writable"),
            ("presentValueWritableWithPriority", "Writable With Priority"),
        ),
    ),
    EnumSet(
        "timeZoneEnumSet",
        576,
        "Time Zone",
        (("centralTime", "Central Time"), ("easternTime", "Eastern Time"), ("utc", "UTC")),
    ),
    EnumSet(
        "auditActionTypeEnumSet",
        1223,
        "Audit Action Type",
        (
            ("commandAuditActionType", "Command"),
            ("writeAuditActionType", "Write"),
            ("createAuditActionType", "Create"),
            ("deleteAuditActionType", "Delete"),
        ),
    ),
    EnumSet(
        "auditOriginAppEnumSet",
        1224,
        "Audit Origin Application",
        (
            ("generalAuditOriginApp", "General"),
            ("deviceManagerAuditOriginApp", "Device Manager"),
            ("systemSecurityAuditOriginApp", "System Security"),
            ("interlockAuditOriginApp", "Interlock"),
        ),
    ),
    EnumSet(
        "auditClassesEnumSet",
        1225,
        "Audit Classes",
        (
            ("userActionAuditClass", "User Action"),
            ("systemErrorAuditClass", "System Error"),
            ("applicationAuditClass", "Application"),
        ),
    ),
    EnumSet(
        "statusEnumSet",
        1200,
        "Status",
        (
            ("ok", "Ok"),
            ("objectNotFound", "Object not found"),
            ("attributeNotFound", "Attribute not found"),
            ("deviceOffline", "Device offline"),
            ("notAuthorized", "Not authorized"),
            ("invalidValue", "Invalid value"),
            ("readOnlyAttribute", "Attribute is read only"),
        ),
    ),
)

ENUM_SETS: dict[str, EnumSet] = {
    enum.id: enum
    for enum in (
        *_SETS,
        EnumSet(
            "enumerationSetNamesEnumSet",
            0,
            "Enumeration Set Names",
            tuple((enum.id, enum.title) for enum in _SETS),
        ),
    )
}
"""Every set by id, the set of all sets (``enumerationSetNamesEnumSet``) included."""


def enum(set_id: str) -> EnumSet:
    return ENUM_SETS[set_id]


def priority_name(level: int) -> str:
    return f"writePriorityEnumSet.{PRIORITIES[level][0]}"


def priority_level(value: str) -> int | None:
    for level, (short, _) in enumerate(PRIORITIES):
        if value == f"writePriorityEnumSet.{short}":
            return level
    return None


def resolve(set_id: str, value: str) -> str | None:
    """The full member id for ``value`` given either fully (``set.member``) or short."""
    found = ENUM_SETS[set_id]
    full = value if value.startswith(f"{set_id}.") else f"{set_id}.{value}"
    return full if full in found else None


def title_of(member: str) -> str:
    set_id, _, short = member.partition(".")
    found = ENUM_SETS.get(set_id)
    if found is not None:
        for name, title in found.members:
            if name == short:
                return title
    return member


def as_json_schema(found: EnumSet, base: str) -> dict[str, object]:
    """The set as ``GET /schemas/enums/{id}`` answers it (the published example's shape)."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": found.title,
        "$id": f"{base}/schemas/enums/{found.id}",
        "setId": found.set_id,
        "allOf": [
            {
                "oneOf": [
                    {"const": found.member(short), "title": title, "memberId": index}
                    for index, (short, title) in enumerate(found.members)
                ]
            }
        ],
    }
