"""``python -m tools.metasys_enum_scan REFERENCE_FILE...``: every ``<set>.<member>`` the Metasys
documents use, written into ``contracts/metasys.yaml`` as the enumeration sets the contract carries.

Run by hand against the vendor's documents (the Metasys reference text and the published v4
OpenAPI document; the repository does not hold them). Between its two marker comments under
``components.schemas`` the contract gets one schema per set, named after the set: its members (full
names) in ``enum`` and the display titles the documents give beside a member in ``x-titles``.
Members already listed there and not in the documents stay (the sandbox's own, hand-added), and
the schema's description names them; a rerun adds, it never drops. The fake serves exactly these
members (``tests/metasys/test_contract_lists.py``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

CONTRACT = Path(__file__).resolve().parents[1] / "contracts" / "metasys.yaml"
BEGIN = "    # BEGIN metasys_enum_scan"
END = "    # END metasys_enum_scan"
INDENT = "    "
MEMBER = re.compile(r"(?<![A-Za-z0-9\\])([a-z][A-Za-z0-9]*EnumSet)\.([A-Za-z0-9_]+)\b")
SET_NAMES = "enumerationSetNamesEnumSet"
SETS_OF_SETS = ("twostateEnumSet", "multistateEnumSet")
CUSTOM_SET = re.compile(r"^customEnumSet\d+$")
"""A site's own custom sets (made through ``POST /enumerations``), not sets Metasys defines: the
documents' examples name a site's (``customEnumSet30001``); the sandbox numbers a tenant's own."""


def strings(node: Any) -> Iterator[str]:
    """Every key and string value of a parsed JSON document, escapes already undone."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)
    elif isinstance(node, str):
        yield node


def titled(node: Any) -> Iterator[tuple[str, str]]:
    """(member, title) wherever a JSON object names a member (``const`` or ``id``) and a title."""
    if isinstance(node, dict):
        title = node.get("title")
        for key in ("const", "id"):
            value = node.get(key)
            if (
                isinstance(value, str)
                and isinstance(title, str)
                and title
                and MEMBER.fullmatch(value)
            ):
                yield value, title
        for value in node.values():
            yield from titled(value)
    elif isinstance(node, list):
        for value in node:
            yield from titled(value)


def scan(paths: Sequence[Path]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The members each set has in the documents (in order of first use) and their titles."""
    members: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    for path in paths:
        text = path.read_text(encoding="utf-8")
        texts: Sequence[str] = [text]
        if path.suffix == ".json":
            document = json.loads(text)
            texts = list(strings(document))
            for member, title in titled(document):
                titles.setdefault(member, title)
        for chunk in texts:
            for match in MEMBER.finditer(chunk):
                set_id, short = match.groups()
                if set_id == SET_NAMES and CUSTOM_SET.match(short):
                    continue
                found = members.setdefault(set_id, [])
                if match.group(0) not in found:
                    found.append(match.group(0))
    # The set of sets names every set: those the documents use, and those they list as two-state
    # or multi-state sets (``twostateEnumSet.binarypvEnumSet``).
    named = [*members, *(m.split(".", 1)[1] for s in SETS_OF_SETS for m in members.get(s, []))]
    names = members.setdefault(SET_NAMES, [])
    names += [
        f"{SET_NAMES}.{s}" for s in named if s != SET_NAMES and f"{SET_NAMES}.{s}" not in names
    ]
    return members, titles


def split(text: str) -> tuple[str, str, str]:
    head, begin, rest = text.partition(BEGIN)
    body, end, tail = rest.partition(END)
    if not begin or not end:
        raise SystemExit(f"the contract has no markers {BEGIN.strip()!r} ... {END.strip()!r}")
    return head, body.split("\n", 1)[1], tail


def listed(block: str) -> dict[str, dict[str, Any]]:
    """The sets the contract already carries between the markers."""
    lines = [line.removeprefix(INDENT) for line in block.splitlines()]
    loaded = yaml.safe_load("\n".join(lines)) or {}
    if not isinstance(loaded, dict):
        raise SystemExit("the contract's scanned block is not a mapping")
    return loaded


def schema(
    set_id: str, members: list[str], documented: set[str], titles: dict[str, str]
) -> dict[str, Any]:
    own = [member for member in members if member not in documented]
    description = (
        f"The members of `{set_id}`: every member the Metasys reference or the vendor's published"
        " v4 document uses (found by `tools/metasys_enum_scan.py`)."
    )
    if own:
        names = ", ".join(f"`{member.split('.', 1)[1]}`" for member in own)
        description += f" **Sandbox choice:** also {names}, which the documents do not name."
    known = {member: titles[member] for member in members if member in titles}
    if len(known) < len(members):
        description += (
            " **Sandbox choice:** a member whose title no document gives gets one read from its"
            " name (`avHighLimit`: High Limit); `x-titles` holds the documented ones."
        )
    found: dict[str, Any] = {"type": "string", "description": description, "enum": members}
    if known:
        found["x-titles"] = known
    return found


def render(sets: dict[str, dict[str, Any]]) -> str:
    dumped = yaml.safe_dump(sets, sort_keys=False, width=100, allow_unicode=True)
    return "".join(f"{INDENT}{line}\n" if line else "\n" for line in dumped.splitlines())


def merged(text: str, paths: Sequence[Path]) -> str:
    head, block, tail = split(text)
    scanned, titles = scan(paths)
    carried = listed(block)
    sets: dict[str, dict[str, Any]] = {}
    for set_id in sorted(set(scanned) | set(carried)):
        before = carried.get(set_id, {})
        members = list(before.get("enum", []))
        members += [member for member in scanned.get(set_id, []) if member not in members]
        kept = {**before.get("x-titles", {}), **titles}
        sets[set_id] = schema(set_id, members, set(scanned.get(set_id, [])), kept)
    return f"{head}{BEGIN}: written by tools/metasys_enum_scan.py\n{render(sets)}{END}{tail}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.metasys_enum_scan", description=__doc__)
    parser.add_argument("documents", nargs="+", type=Path, help="the reference text, the v4 JSON")
    parser.add_argument("--contract", type=Path, default=CONTRACT)
    args = parser.parse_args(argv)
    text = args.contract.read_text(encoding="utf-8")
    updated = merged(text, args.documents)
    if updated != text:
        args.contract.write_text(updated, encoding="utf-8")
        print(f"{args.contract}: enumeration sets updated", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
