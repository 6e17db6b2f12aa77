"""A check's results for people (a summary per operation) and for CI (JUnit XML)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from standin.check.runner import CheckReport, OperationResult

DETAIL_LINES = 40
DETAILS_SHOWN = 3
"""Failing examples shown per operation, each cut at DETAIL_LINES (the JUnit XML has all)."""


def _statuses(result: OperationResult) -> str:
    return " ".join(f"{status}x{count}" for status, count in sorted(result.statuses.items()))


def _reasons(result: OperationResult) -> list[tuple[str, int]]:
    """The most frequent first, ties by name (schemathesis reports an example's in any order)."""
    return sorted(result.reasons.items(), key=lambda item: (-item[1], item[0]))


def _verdict(result: OperationResult) -> str:
    if result.skipped is not None:
        return "SKIP"
    return "PASS" if result.ok else "FAIL"


def summary(report: CheckReport, max_examples: int) -> str:
    width = max((len(r.label) for r in report.operations), default=0)
    lines = [
        f"standin check {report.api} against {report.base_url} "
        f"(seed {report.seed}, at most {max_examples} examples per operation)",
    ]
    for result in report.operations:
        head = f"  {_verdict(result)}  {result.label:<{width}}"
        if result.skipped is not None:
            lines.append(f"{head}  skipped: {result.skipped}")
            continue
        lines.append(
            f"{head}  {result.examples:>3} examples  {result.passed:>3} passed  "
            f"{result.failed:>3} failed  statuses {_statuses(result) or '-'}"
        )
        if result.examples == 0 and not result.reasons:
            lines.append("          no example could be generated")
        for reason, count in _reasons(result):
            lines.append(f"          {reason} ({count})")
    run = [r for r in report.operations if r.skipped is None]
    failed = [r for r in run if not r.ok]
    lines.append(
        f"{len(run)} operations run, {len(failed)} failed, "
        f"{len(report.operations) - len(run)} skipped; "
        f"{sum(r.examples for r in run)} examples; "
        f"{report.throttled} answers 429 waited out, {report.waited:.1f} s spent pacing; "
        f"{report.seconds:.1f} s"
    )
    if run and not report.succeeded:
        lines.append("no example was answered 2xx: are the credentials right?")
    for result in failed:
        for number, detail in enumerate(result.details[:DETAILS_SHOWN], start=1):
            shown = detail.splitlines()
            lines.append(f"\n--- {result.label}, failing example {number}:")
            lines.extend(shown[:DETAIL_LINES])
            if len(shown) > DETAIL_LINES:
                more = len(shown) - DETAIL_LINES
                lines.append(f"    ... {more} more lines (the JUnit XML has them all)")
        if len(result.details) > DETAILS_SHOWN:
            lines.append(f"    ... {len(result.details) - DETAILS_SHOWN} more failing examples")
    lines.append("PASSED" if report.ok else "FAILED")
    return "\n".join(lines)


def report_json(report: CheckReport, max_examples: int) -> dict[str, Any]:
    """What ``summary`` says, as data (``standin check --json``): every failing example's
    detail in full, as the JUnit XML has it."""
    run = [r for r in report.operations if r.skipped is None]
    return {
        "api": report.api,
        "base_url": report.base_url,
        "seed": report.seed,
        "max_examples": max_examples,
        "passed": report.ok,
        "some_example_answered_2xx": report.succeeded,
        "operations_run": len(run),
        "operations_failed": sum(1 for r in run if not r.ok),
        "operations_skipped": len(report.operations) - len(run),
        "examples": sum(r.examples for r in run),
        "throttled": report.throttled,
        "pacing_seconds": round(report.waited, 3),
        "seconds": round(report.seconds, 3),
        "operations": [
            {
                "operation": result.label,
                "verdict": _verdict(result),
                "skipped": result.skipped,
                "examples": result.examples,
                "passed": result.passed,
                "failed": result.failed,
                "statuses": {str(status): n for status, n in sorted(result.statuses.items())},
                "reasons": dict(_reasons(result)),
                "failing_examples": list(result.details),
                "seconds": round(result.seconds, 3),
            }
            for result in report.operations
        ],
    }


def junit_xml(report: CheckReport) -> ET.ElementTree[ET.Element]:
    """One test suite for the API: a test case per operation of its contract, and one that
    some example was answered 2xx (else the run proved little: refused credentials?)."""
    run = [r for r in report.operations if r.skipped is None]
    failures = sum(1 for r in run if not r.ok) + int(not report.succeeded)
    counts = {
        "tests": str(len(report.operations) + 1),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(len(report.operations) - len(run)),
        "time": f"{report.seconds:.3f}",
    }
    root = ET.Element("testsuites", {"name": "standin check", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": f"standin check {report.api}", **counts})
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("api", report.api),
        ("base_url", report.base_url),
        ("seed", str(report.seed)),
        ("throttled", str(report.throttled)),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    classname = f"standin.check.{report.api}"
    for result in report.operations:
        attributes = {"classname": classname, "name": result.label, "time": f"{result.seconds:.3f}"}
        case = ET.SubElement(suite, "testcase", attributes)
        if result.skipped is not None:
            ET.SubElement(case, "skipped", {"message": result.skipped})
            continue
        if not result.ok:
            reasons = "; ".join(f"{reason} ({n})" for reason, n in _reasons(result))
            failure = ET.SubElement(
                case,
                "failure",
                {"message": reasons or "no example could be generated", "type": "conformance"},
            )
            failure.text = "\n\n".join(result.details)
        out = ET.SubElement(case, "system-out")
        out.text = (
            f"{result.examples} examples, {result.passed} passed, {result.failed} failed; "
            f"statuses {_statuses(result) or '-'}"
        )
    overall = ET.SubElement(
        suite, "testcase", {"classname": classname, "name": "some example answered 2xx"}
    )
    if not report.succeeded:
        message = "no example was answered 2xx: are the credentials right?"
        ET.SubElement(overall, "failure", {"message": message, "type": "conformance"})
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit_xml(report: CheckReport, path: Path) -> None:
    junit_xml(report).write(path, encoding="utf-8", xml_declaration=True)
