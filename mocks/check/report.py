"""A check's results for people (a summary per operation) and for CI (JUnit XML)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from mocks.check.runner import CheckReport, OperationResult

DETAIL_LINES = 25
"""Lines of each first failure shown in the summary (the JUnit XML keeps them whole)."""


def _statuses(result: OperationResult) -> str:
    return " ".join(f"{status}x{count}" for status, count in sorted(result.statuses.items()))


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
        for reason, count in result.reasons.most_common():
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
    for result in failed:
        for detail in result.details:
            shown = detail.splitlines()
            more = len(shown) - DETAIL_LINES
            lines.append(f"\n--- {result.label}: {shown[0]}")
            lines.extend(shown[1:DETAIL_LINES])
            if more > 0:
                lines.append(f"    ... {more} more lines (the JUnit XML has them all)")
    lines.append("PASSED" if report.ok else "FAILED")
    return "\n".join(lines)


def junit_xml(report: CheckReport) -> ET.ElementTree[ET.Element]:
    """One test suite for the API, one test case per operation of its contract."""
    run = [r for r in report.operations if r.skipped is None]
    counts = {
        "tests": str(len(report.operations)),
        "failures": str(sum(1 for r in run if not r.ok)),
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
    for result in report.operations:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": f"standin.check.{report.api}",
                "name": result.label,
                "time": f"{result.seconds:.3f}",
            },
        )
        if result.skipped is not None:
            ET.SubElement(case, "skipped", {"message": result.skipped})
            continue
        if not result.ok:
            reasons = "; ".join(f"{reason} ({n})" for reason, n in result.reasons.most_common())
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
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit_xml(report: CheckReport, path: Path) -> None:
    junit_xml(report).write(path, encoding="utf-8", xml_declaration=True)
