"""What ``standin check`` says while it runs: a run of a rate-limited API takes minutes, and a
job that prints nothing for that long looks hung.

Every operation gets a line when it finishes, and every pacing wait a line with how long and
why. On a terminal a live display (rich) shows the operation under way and the count done, with
the same lines printed above it; elsewhere (CI logs, a pipe) the lines alone, flushed as they
come.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol, TextIO

if TYPE_CHECKING:
    from standin.check.runner import OperationResult


class Progress(Protocol):
    """Told of a check's run as it happens."""

    def begin(self, api: str, base_url: str, operations: int) -> None:
        """The run starts: ``operations`` operations in the contract."""
        ...

    def operation_started(self, label: str) -> None: ...

    def operation_finished(self, result: OperationResult) -> None: ...

    def waiting(self, seconds: float, reason: str) -> None:
        """A wait of ``seconds`` starts now (pacing under a limit, or a 429's Retry-After)."""
        ...

    def resumed(self) -> None:
        """The wait is over."""
        ...


def operation_line(result: OperationResult, done: int, total: int) -> str:
    """``[ 3/14] PASS  GET /meters/  20 examples, 0 failed (3.2 s)``."""
    counter = f"[{done:>{len(str(total))}}/{total}]"
    if result.skipped is not None:
        return f"{counter} SKIP  {result.label}: {result.skipped}"
    verdict = "PASS" if result.ok else "FAIL"
    line = (
        f"{counter} {verdict}  {result.label}  {result.examples} examples, "
        f"{result.failed} failed ({result.seconds:.1f} s)"
    )
    if result.reasons:
        top = sorted(result.reasons.items(), key=lambda item: (-item[1], item[0]))
        line += ": " + "; ".join(f"{reason} ({count})" for reason, count in top)
    elif result.examples == 0:
        line += ": no example could be generated"
    return line


def wait_line(seconds: float, reason: str) -> str:
    return f"waiting {seconds:.1f} s: {reason}"


def begin_line(api: str, base_url: str, operations: int) -> str:
    count = "1 operation" if operations == 1 else f"{operations} operations"
    return f"standin check {api} against {base_url}: {count}"


class Lines:
    """One line per event, flushed at once (a CI log shows each as it happens)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.total = 0
        self.done = 0

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def begin(self, api: str, base_url: str, operations: int) -> None:
        self.total = operations
        self._print(begin_line(api, base_url, operations))

    def operation_started(self, label: str) -> None:
        """Nothing: the line comes when the operation finishes."""

    def operation_finished(self, result: OperationResult) -> None:
        self.done += 1
        self._print(operation_line(result, self.done, self.total))

    def waiting(self, seconds: float, reason: str) -> None:
        self._print(wait_line(seconds, reason))

    def resumed(self) -> None:
        """Nothing: the next line says what happened next."""


class Live:
    """A rich progress bar: the operation under way (and a wait in it), the count done, the
    time spent; the same lines as :class:`Lines` are printed above it."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress
        self.task: Any = None
        self.total = 0
        self.done = 0
        self.label = ""

    def begin(self, api: str, base_url: str, operations: int) -> None:
        self.total = operations
        self.progress.console.print(
            begin_line(api, base_url, operations), markup=False, highlight=False, soft_wrap=True
        )
        self.task = self.progress.add_task("starting", total=operations)

    def operation_started(self, label: str) -> None:
        self.label = label
        self.progress.update(self.task, description=label)

    def operation_finished(self, result: OperationResult) -> None:
        self.done += 1
        line = operation_line(result, self.done, self.total)
        self.progress.console.print(line, markup=False, highlight=False, soft_wrap=True)
        self.progress.update(self.task, completed=self.done, description="")

    def waiting(self, seconds: float, reason: str) -> None:
        line = wait_line(seconds, reason)
        self.progress.console.print(line, markup=False, highlight=False, soft_wrap=True)
        # The reason is printed above; the bar stays short enough to keep its count.
        self.progress.update(self.task, description=f"{self.label} (waiting {seconds:.1f} s)")

    def resumed(self) -> None:
        self.progress.update(self.task, description=self.label)


@contextmanager
def progress_for(out: TextIO, *, live: bool | None = None) -> Iterator[Progress]:
    """The progress display for ``out``: live on a terminal when rich is installed, else lines.
    ``live=True`` forces the live display (a test's console), ``live=False`` the lines."""
    terminal = out.isatty() if live is None else live
    if terminal:
        try:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as Bar
        except ImportError:  # the check extra brings rich; without it, lines do
            terminal = False
    if not terminal:
        yield Lines(out)
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    console = Console(file=out, force_terminal=True)
    with Bar(*columns, console=console, transient=True) as bar:
        yield Live(bar)
