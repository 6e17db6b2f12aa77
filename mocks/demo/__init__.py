"""``standin demo``: every reference client through its vendor's documented workflow.

One workflow per API, registered in ``WORKFLOWS``: an API joins the demo there.
"""

from __future__ import annotations

import argparse

from standin.demo.atmotube import AtmotubeWeek
from standin.demo.atrius import AtriusGuide
from standin.demo.buildingminds import BuildingMindsOnboarding
from standin.demo.locus import LocusWorkflows
from standin.demo.metasys import MetasysSession
from standin.demo.runner import WorkflowResult, run_demo, summary
from standin.demo.runner import main as _main
from standin.demo.workflow import DemoContext, Step, Workflow, WorkflowFactory

WORKFLOWS: dict[str, WorkflowFactory] = {
    "atrius": AtriusGuide,
    "atmotube": AtmotubeWeek,
    "buildingminds": BuildingMindsOnboarding,
    "locus": LocusWorkflows,
    "metasys": MetasysSession,
}
"""API key -> its documented workflow, run in this order."""


def main(args: argparse.Namespace) -> int:
    return _main(args, WORKFLOWS)


__all__ = [
    "WORKFLOWS",
    "DemoContext",
    "Step",
    "Workflow",
    "WorkflowFactory",
    "WorkflowResult",
    "main",
    "run_demo",
    "summary",
]
