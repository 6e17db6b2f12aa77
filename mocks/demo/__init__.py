"""``standin demo``: every reference client through its vendor's documented workflow.

One workflow per API, registered in ``WORKFLOWS``: an API joins the demo there.
"""

from __future__ import annotations

import argparse

from mocks.demo.atmotube import AtmotubeWeek
from mocks.demo.atrius import AtriusGuide
from mocks.demo.buildingminds import BuildingMindsOnboarding
from mocks.demo.locus import LocusWorkflows
from mocks.demo.metasys import MetasysSession
from mocks.demo.runner import WorkflowResult, add_arguments, run_demo, summary
from mocks.demo.runner import main as _main
from mocks.demo.workflow import DemoContext, Step, Workflow, WorkflowFactory

WORKFLOWS: dict[str, WorkflowFactory] = {
    "atrius": AtriusGuide,
    "atmotube": AtmotubeWeek,
    "buildingminds": BuildingMindsOnboarding,
    "locus": LocusWorkflows,
    "metasys": MetasysSession,
}
"""API key -> its documented workflow, run in this order."""


def configure(parser: argparse.ArgumentParser) -> None:
    """The ``standin demo`` arguments."""
    add_arguments(parser, WORKFLOWS)


def main(args: argparse.Namespace) -> int:
    return _main(args, WORKFLOWS)


__all__ = [
    "WORKFLOWS",
    "DemoContext",
    "Step",
    "Workflow",
    "WorkflowFactory",
    "WorkflowResult",
    "configure",
    "main",
    "run_demo",
    "summary",
]
