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
        if self.id in SETS_OF_SETS:
            return False
        return len(self.members) == 2 or self.id in TWO_STATE_SETS


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

TWO_STATE_SETS = ("binarypvEnumSet", "faultOkEnumSet")
"""The two-state sets the documents name (``twostateEnumSet``'s members), whatever their size."""
SETS_OF_SETS = ("twostateEnumSet", "multistateEnumSet")
"""Sets whose members are sets: multi-state whatever their size."""

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
            ("writeError", "Write Error"),
            ("activationFailure", "Activation Failure"),
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
            ("bacAvClass", "AV"),
            ("bacAiClass", "BACnet Analog Input"),
            ("bacBvClass", "BV"),
            ("bacBoClass", "BACnet Binary Output"),
            ("bacMvClass", "MV"),
            ("bacnetIntegrationClass", "BACnet Integration"),
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
            ("archiveCommand", "Archive"),
            ("changeAuditClassCommand", "Change Audit Enabled Class Level"),
            ("routeSamplesCommand", "Route Samples"),
            ("rediscoverTextStringsCommand", "Rediscover Text Strings"),
            ("activateChangesCommand", "Activate Changes"),
            ("resetCommand", "Reset"),
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
        "Unit",
        (
            ("noUnits", "no units"),
            ("degF", "deg F"),
            ("degC", "deg C"),
            ("percent", "%"),
            ("cubicFeetPerMinute", "CFM"),
            ("inchesOfWater", "in W.C."),
            ("partsPerMillion", "PPM"),
            ("percentRelativeHumidity", "%RH"),
            ("squareMeters", "sq meter"),
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
            ("administrativeCategory", "Administrative"),
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
            ("avHighLimit", "High Limit"),
            ("avOnline", "Online"),
            ("avUnreliable", "Unreliable"),
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
            ("auditEnabledClasLev", "Enabled Audit Level"),
            ("alarmRate", "Alarm Rate"),
        ),
    ),
    EnumSet(
        "displayPrecisionEnumSet",
        0,
        "Display Precision",
        (
            ("displayPrecisionPt000001", "1000000ths"),
            ("displayPrecisionPt00001", "100000ths"),
            ("displayPrecisionPt0001", "10000ths"),
            ("displayPrecisionPt001", "1000ths"),
            ("displayPrecisionPt01", "100ths"),
            ("displayPrecisionPt1", "10ths"),
            ("displayPrecision1", "1s"),
            ("displayPrecision10", "10s"),
            ("displayPrecision100", "100s"),
            ("displayPrecision1000", "1000s"),
            ("displayPrecision10000", "10000s"),
            ("displayPrecision100000", "100000s"),
            ("displayPrecision1000000", "1000000s"),
        ),
    ),
    EnumSet(
        "viewNameEnumSet",
        1005,
        "View Name",
        (
            ("focusView", "Focus"),
            ("diagnosticView", "Diagnostic"),
            ("optionsView", "Options"),
            ("networkView", "Network"),
            ("configView", "Configuration"),
        ),
    ),
    EnumSet(
        "viewGroupEnumSet",
        1006,
        "View Group",
        (
            ("objectGrp", "Object"),
            ("statusGrp", "Status"),
            ("engValuesGrp", "Engineering Values"),
            ("displayGrp", "Display"),
            ("internalLogicIfGrp", "Internal Logic Interface"),
            ("noGrp", "None"),
            ("defaultStateGrp", "Default State"),
            ("restartOptionsGrp", "Restart Options"),
            ("connectionStatusGrp", "Connection Status"),
        ),
    ),
    EnumSet(
        "groupTypeEnumSet",
        1007,
        "Group Type",
        (("basicGrpType", "Basic"), ("advancedGrpType", "Advanced"), ("keyGrpType", "Key")),
    ),
    EnumSet(
        "binarypvEnumSet",
        6,
        "Inactive Active",
        (("bacbinInactive", "Inactive"), ("bacbinActive", "Active")),
    ),
    EnumSet(
        "statesEnumSet",
        102,
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
        505,
        "Object Status",
        (
            ("osNormal", "Normal"),
            ("osFault", "Fault"),
            ("osOffline", "Offline"),
            ("osOperatorOverride", "Operator Override"),
            ("osOutOfService", "Out of Service"),
            ("osHighPriority", "High Priority"),
            ("osAlarm", "Alarm"),
            ("osLowAlarm", "Low Alarm"),
        ),
    ),
    EnumSet(
        "spaceTypesEnumSet",
        1766,
        "Space Types",
        (("generic", "Generic"), ("building", "Building"), ("floor", "Floor"), ("room", "Room")),
    ),
    EnumSet("noYesEnumSet", 854, "No/Yes", (("fanNo", "No"), ("fanYes", "Yes"))),
    EnumSet(
        "falsetrueEnumSet",
        855,
        "False True",
        (("falsetrueFalse", "False"), ("falsetrueTrue", "True")),
    ),
    EnumSet(
        "objectModeEnumSet",
        40530,
        "Object Mode",
        (
            ("presentValueReadOnly", "Read Only"),
            ("presentValueWritable", "Writable"),
            ("presentValueWritableWithPriority", "Present Value Writable, With Priority"),
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
            ("subsystemAuditActionType", "Subsystem"),
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
        "auditTrailStringsEnumSet",
        1226,
        "Audit Trail Strings",
        (
            ("atstrSecurityUserLoginSuccessful", "User Login Successful"),
            ("atstrUsageAnalyticsTermsAccepted", "Usage Analytics Terms Accepted"),
            ("atstrSecurityUserLogout", "User Logout"),
            ("atstrSecurityPermissionsModified", "Permissions Modified"),
            ("atstrSecurityUpdateUserProperty", "User Property Updated"),
            ("atstrSecurityUserLoginFail", "User Login Failed"),
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
            ("writeAccessDeniedSecurity", "Write access denied by security"),
        ),
    ),
    EnumSet(
        "attributeCategoryEnumSet",
        1201,
        "Attribute Category",
        (
            ("nameCategory", "Name"),
            ("objectCategoryCategory", "Object Category"),
            ("bacnetDateTimeCategory", "BACnet Date Time"),
            ("objectNameCategory", "Object Name"),
            ("versionStructCategory", "Version"),
            ("restoreCommandPriorityCategory", "Restore Command Priority"),
            ("multistateNumberOfStatesCategory", "Number of States"),
            ("multistateStatesTextCategory", "States Text"),
        ),
    ),
    EnumSet(
        "activateChangesCmdEnumSet",
        1862,
        "Activate Changes Selection",
        (
            (
                "activateChangesCmdNoRestart",
                "Update Changes Pending Attributes Except Network Number",
            ),
            (
                "activateChangesCmdRestart",
                "Update All Changes Pending Attributes and Restart Device",
            ),
        ),
    ),
    EnumSet(
        "resetReasonEnumSet",
        1863,
        "Reset Reason",
        (("downloadCompleteResetReason", "Download Complete"),),
    ),
    EnumSet(
        "jciSystemStatusEnumSet",
        1864,
        "System Status",
        (
            ("startupInProgress", "Startup In Progress"),
            ("jciOperational", "Operational"),
            ("onboardUploadInProgress", "Onboard Upload In Progress"),
        ),
    ),
    EnumSet(
        "restorePriorityEnumSet",
        357,
        "Restore Priority",
        (
            ("7", "Operator Override"),
            ("10", "10 (Application)"),
            ("12", "12 (Application)"),
            ("15", "15 (Scheduling)"),
        ),
    ),
    EnumSet(
        "twostateEnumSet",
        801,
        "Two State",
        (("binarypvEnumSet", "Inactive Active"), ("faultOkEnumSet", "Fault Ok")),
    ),
    EnumSet(
        "multistateEnumSet",
        802,
        "Multi State",
        (("statesEnumSet", "States"), ("bosetupEnumSet", "BO Setup")),
    ),
    # Sets the documents name (as members of the set of sets) without naming any member of theirs:
    # served with no members rather than with members made up.
    EnumSet("bosetupEnumSet", 2, "BO Setup", ()),
    EnumSet("bacpolarityEnumSet", 3, "Normal Reverse", ()),
    EnumSet("faultOkEnumSet", 856, "Fault Ok", ()),
    EnumSet("multicastBehaviorEnumSet", 40542, "Multicast Behavior", ()),
    EnumSet("guideline36Occupancy", 40543, "Guideline 36 Effective Occupancy", ()),
    EnumSet("freezeProtectionState", 40544, "Freeze Protection State", ()),
    EnumSet("demandLimit", 40545, "Demand Limit", ()),
)

ENUM_SETS: dict[str, EnumSet] = {
    enum.id: enum
    for enum in (
        *_SETS,
        EnumSet(
            "enumerationSetNamesEnumSet",
            800,
            "Enum Set Names",
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
    members: dict[str, object] = {
        "oneOf": [
            {"const": found.member(short), "title": title, "memberId": index}
            for index, (short, title) in enumerate(found.members)
        ]
    }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": found.title,
        "$id": f"{base}/schemas/enums/{found.id}",
        "setId": found.set_id,
        # An empty oneOf is no JSON schema; a set whose members no document names admits nothing.
        "allOf": [members if found.members else {"not": {}}],
    }
