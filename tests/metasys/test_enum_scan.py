"""``tools/metasys_enum_scan.py`` on documents made up here (tests never read the vendor's): what
it finds, what it keeps, and that a second run changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tools.metasys_enum_scan import BEGIN, END, main

GUIDE = """Limits the alarms returned to specified types.
Example: type=alarmValueEnumSet.avHighLimit
Only the long name (for example, alarmValueEnumSet.avHighLimit instead of avHighLimit) is accepted.
The site's own set: enumerationSetNamesEnumSet.customEnumSet30001.
"""
PUBLISHED = {
    "example": {
        "type": "alarmValueEnumSet.avOnline",
        "text": "see\nenumerationSetNamesEnumSet.writePriorityEnumSet",
        "statesText": "twostateEnumSet.binarypvEnumSet",
    },
    "oneOf": [{"const": "alarmValueEnumSet.avOnline", "title": "Online"}],
}
CONTRACT = f"""components:
  schemas:
{BEGIN}
    alarmValueEnumSet:
      enum:
      - alarmValueEnumSet.avTrouble
{END}
    Other:
      type: string
"""


def scanned(tmp_path: Path) -> tuple[str, dict[str, dict[str, object]]]:
    guide = tmp_path / "guide.txt"
    guide.write_text(GUIDE, encoding="utf-8")
    published = tmp_path / "published.json"
    published.write_text(json.dumps(PUBLISHED), encoding="utf-8")
    contract = tmp_path / "contract.yaml"
    contract.write_text(CONTRACT, encoding="utf-8")
    assert main([str(guide), str(published), "--contract", str(contract)]) == 0
    text = contract.read_text(encoding="utf-8")
    return text, yaml.safe_load(text)["components"]["schemas"]


def test_every_set_member_of_the_documents_joins_its_set_and_the_sandboxs_own_stay(
    tmp_path: Path,
) -> None:
    _, schemas = scanned(tmp_path)
    alarm = schemas["alarmValueEnumSet"]
    assert alarm["enum"] == [
        "alarmValueEnumSet.avTrouble",
        "alarmValueEnumSet.avHighLimit",
        "alarmValueEnumSet.avOnline",
    ]
    assert alarm["x-titles"] == {"alarmValueEnumSet.avOnline": "Online"}
    assert "**Sandbox choice:** also `avTrouble`" in str(alarm["description"])
    assert schemas["twostateEnumSet"]["enum"] == ["twostateEnumSet.binarypvEnumSet"]
    assert schemas["Other"] == {"type": "string"}


def test_the_set_of_sets_names_every_set_but_no_sites_custom_set(tmp_path: Path) -> None:
    _, schemas = scanned(tmp_path)
    assert schemas["enumerationSetNamesEnumSet"]["enum"] == [
        "enumerationSetNamesEnumSet.writePriorityEnumSet",
        "enumerationSetNamesEnumSet.alarmValueEnumSet",
        "enumerationSetNamesEnumSet.twostateEnumSet",
        "enumerationSetNamesEnumSet.binarypvEnumSet",
    ]


def test_a_second_run_changes_nothing(tmp_path: Path) -> None:
    first, _ = scanned(tmp_path)
    contract = tmp_path / "contract.yaml"
    guide, published = tmp_path / "guide.txt", tmp_path / "published.json"
    assert main([str(guide), str(published), "--contract", str(contract)]) == 0
    assert contract.read_text(encoding="utf-8") == first
