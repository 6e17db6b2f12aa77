"""The README's examples run as written."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_the_pytest_examples_in_the_readme_pass(pytester: pytest.Pytester) -> None:
    """Every Python block is a test file a user could copy, run by pytest with the plugin."""
    blocks = python_blocks()
    assert blocks
    pytester.makepyfile(**{f"test_readme_{i}": block for i, block in enumerate(blocks)})
    tests = sum(len(re.findall(r"^def test_", block, re.MULTILINE)) for block in blocks)
    # Plain asserts: rewriting would warn that this session already imported standin.
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "error", "--assert=plain")
    outcomes = result.parseoutcomes()
    assert result.ret == 0, result.stdout.str()
    # A vendor_live test runs twice: [standin] passes, [live] is skipped without credentials.
    assert outcomes["passed"] >= tests, outcomes


def test_the_readme_names_the_two_commands_and_the_credentials() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make run" in text
    assert "make test" in text
    assert "3f6c1b9e-2a7d-4c58-9e1f-5b8d0a4c7e21" in text
