"""The README's examples run as written."""

import re
from pathlib import Path

from mocks import Sandbox

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_the_pytest_example_in_the_readme_passes(standin: Sandbox) -> None:
    (block,) = python_blocks()
    namespace: dict[str, object] = {}
    exec(compile(block, str(README), "exec"), namespace)
    tests = [value for name, value in namespace.items() if name.startswith("test_")]
    assert len(tests) == 1
    tests[0](standin)  # type: ignore[operator]


def test_the_readme_names_the_two_commands_and_the_credentials() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make run" in text
    assert "make test" in text
    assert "3f6c1b9e-2a7d-4c58-9e1f-5b8d0a4c7e21" in text
