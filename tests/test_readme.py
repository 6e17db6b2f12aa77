"""The README's examples run as written: its Python blocks as a user's test files, its shell
blocks against `standin serve` started here (with the ports substituted)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from bench.servers import free_port

README = Path(__file__).resolve().parent.parent / "README.md"
BIN = Path(sys.executable).parent
"""Where this environment's `standin` is: the README's `.venv/bin/` in a checkout."""

NOT_RUN = {
    "make run": "installs into .venv and serves on port 8000 until stopped; this test starts "
    "`standin serve` itself",
    "make test": "the whole suite, of which this test is a part",
    "--credentials atrius.json": "checks the real vendor with credentials of your own",
    "-m bench.": "benchmarks, run from the repository's root by `make bench`; "
    "tests/test_bench_startup_and_locus.py runs them on one run each",
}
"""Shell commands of the README this test does not run, each with why (a part of the command)."""


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def shell_blocks() -> list[list[str]]:
    """Each ```sh block's commands, continuation lines joined."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    return [re.sub(r"\\\n\s*", "", block).strip().splitlines() for block in blocks]


def test_the_pytest_examples_in_the_readme_pass(pytester: pytest.Pytester) -> None:
    """Every Python block is a test file a user could copy, run by pytest with the plugin."""
    blocks = python_blocks()
    assert blocks
    pytester.makepyfile(**{f"test_readme_{i}": block for i, block in enumerate(blocks)})
    tests = sum(len(re.findall(r"^(?:async )?def test_", block, re.MULTILINE)) for block in blocks)
    # Plain asserts: rewriting would warn that this session already imported standin.
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "error", "--assert=plain")
    outcomes = result.parseoutcomes()
    assert result.ret == 0, result.stdout.str()
    # A vendor_live test runs twice: [standin] passes, [live] is skipped without credentials.
    assert outcomes["passed"] >= tests, outcomes


@contextmanager
def standin_serve(*options: str) -> Iterator[int]:
    """`standin serve` with ``options`` on a free port, until it answers its health check."""
    port = free_port()
    command = [str(BIN / "standin"), "serve", *options, "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    _, err = server.communicate(timeout=5)
                    message = f"{shlex.join(command)} did not start: {err.decode()}"
                    raise RuntimeError(message) from None
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stderr is not None:
            server.stderr.close()


def test_the_shell_commands_in_the_readme_run(tmp_path: Path) -> None:
    """Each command as a user would type it, the ports moved to free ones: the combined server's
    8000, and a server the block starts itself. curl must get a 2xx (--fail), every command
    must exit 0."""
    ran: list[str] = []
    skipped: set[str] = set()
    failures: list[str] = []
    with standin_serve("--host", "127.0.0.1") as combined:
        for block in shell_blocks():
            with ExitStack() as block_servers:
                ports = {"8000": str(combined)}
                for command in block:
                    reason = next((part for part in NOT_RUN if part in command), None)
                    if reason is not None:
                        skipped.add(reason)
                        continue
                    words = shlex.split(command, comments=True)
                    if words[:2] == [".venv/bin/standin", "serve"]:
                        readme_port = words[words.index("--port") + 1]
                        options = [w for w in words[2:] if w not in ("--port", readme_port)]
                        port = block_servers.enter_context(standin_serve(*options))
                        ports[readme_port] = str(port)
                        ran.append(command)
                        continue
                    run = command.replace(".venv/bin/", f"{BIN}/")
                    for readme_port, port in ports.items():
                        run = run.replace(f"127.0.0.1:{readme_port}", f"127.0.0.1:{port}")
                    run = re.sub(r"^curl ", "curl --fail --silent --show-error ", run)
                    done = subprocess.run(
                        ["bash", "-c", run], cwd=tmp_path, capture_output=True, timeout=300
                    )
                    ran.append(command)
                    if done.returncode != 0:
                        failures.append(
                            f"{command}\n  exit {done.returncode}: {done.stderr.decode()[-2000:]}"
                        )
    assert failures == []
    assert skipped == set(NOT_RUN), "a command named in NOT_RUN is no longer in the README"
    assert len(ran) >= 10


def test_the_readme_names_the_two_commands_and_the_credentials() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make run" in text
    assert "make test" in text
    assert "3f6c1b9e-2a7d-4c58-9e1f-5b8d0a4c7e21" in text
