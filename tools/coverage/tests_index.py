"""Which tests exercise which operations, read from the tests' source (no test is run).

A test exercises an operation when its body, or a helper function of its module or of its
API's conftest.py that it calls, either

- sends a request to a path of the operation: ``client.get("/atrius/meters/")``,
  ``api.patch(f"/meters/{uuid}")``, ``respx.get(f"{BASE}/api/v1/data")``,
  ``http.request("PUT", url)``; a path written elsewhere in the test (a loop's tuple, a
  variable) counts when only one operation has that path;
- calls a reference client method that calls the operation (``atrius.meter(uuid)``), as the
  client probe found; or
- is a schemathesis test of the API's contract (``@schema.parametrize()``, a state machine
  from ``schema.as_state_machine()``): it exercises every operation of the contract.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CLIENTS = "standin.clients"
"""The reference clients' package: a test module that imports it calls client methods."""
HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
REQUEST_CALLS = frozenset({"request", "build_request", "stream"})
_HOLE = "\x00"
"""Stands for a value computed at run time inside a path being read."""


@dataclass(frozen=True)
class PathMention:
    test: str
    method: str | None
    path: str


@dataclass
class TestIndex:
    """What each test of one API's directory mentions; tests are ``file.py::name``."""

    tests: list[str] = field(default_factory=list)
    paths: list[PathMention] = field(default_factory=list)
    client_calls: list[tuple[str, str]] = field(default_factory=list)
    contract_wide: list[str] = field(default_factory=list)


def index_tests(folder: Path, api: str, client_methods: frozenset[str]) -> TestIndex:
    """Read every ``test_*.py`` in ``folder`` (an API's test directory)."""
    index = TestIndex()
    conftest = folder / "conftest.py"
    shared = _helpers(_parse(conftest)) if conftest.exists() else {}
    for file in sorted(folder.glob("test_*.py")):
        module = _parse(file)
        helpers = {**shared, **_helpers(module)}
        schemas = _schema_names(module)
        # A method name alone says little (``state.readings`` is not ``client.readings``):
        # client calls count in modules that use a reference client.
        methods = client_methods if _imports_clients(module) else frozenset()
        for name, node in _tests(module, schemas):
            test = f"{file.name}::{name}"
            index.tests.append(test)
            if _is_schemathesis(node, schemas):
                index.contract_wide.append(test)
            reader = _TestReader(api, methods, helpers)
            reader.read(node)
            index.paths.extend(PathMention(test, m, p) for m, p in reader.paths)
            index.client_calls.extend((test, name) for name in sorted(reader.client_calls))
    return index


def _parse(file: Path) -> ast.Module:
    return ast.parse(file.read_text(encoding="utf-8"), filename=str(file))


def _imports_clients(module: ast.Module) -> bool:
    """Whether ``module`` imports a reference client (``standin.clients`` or a module of it)."""
    for node in ast.walk(module):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            if _is_clients(node.module or ""):
                return True
            if node.module == "standin" and any(a.name == "clients" for a in node.names):
                return True
        if isinstance(node, ast.Import) and any(_is_clients(a.name) for a in node.names):
            return True
    return False


def _is_clients(module: str) -> bool:
    return module == CLIENTS or module.startswith(CLIENTS + ".")


def _helpers(module: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    return {
        node.name: node
        for node in module.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and not node.name.startswith("test_")
    }


def _schema_names(module: ast.Module) -> set[str]:
    """Module-level names bound to a schemathesis schema (``schemathesis.openapi.from_*``)."""
    names: set[str] = set()
    for node in module.body:
        if isinstance(node, ast.Assign) and "schemathesis" in ast.unparse(node.value):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Call):
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return node.id if isinstance(node, ast.Name) else None


def _tests(module: ast.Module, schemas: set[str]) -> Iterator[tuple[str, ast.AST]]:
    for node in module.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name.startswith("test_"):
                yield node.name, node
        elif isinstance(node, ast.ClassDef):
            if _is_schemathesis(node, schemas):
                yield node.name, node
            elif node.name.startswith("Test"):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and (
                        item.name.startswith("test_")
                    ):
                        yield f"{node.name}::{item.name}", item


def _is_schemathesis(node: ast.AST, schemas: set[str]) -> bool:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return any(
            isinstance(d, ast.Call)
            and isinstance(d.func, ast.Attribute)
            and d.func.attr == "parametrize"
            and _root_name(d.func) in schemas
            for d in node.decorator_list
        )
    if isinstance(node, ast.ClassDef):
        return any(
            isinstance(base, ast.Call)
            and isinstance(base.func, ast.Attribute)
            and base.func.attr == "as_state_machine"
            and _root_name(base.func) in schemas
            for base in node.bases
        )
    return False


class _TestReader:
    def __init__(
        self,
        api: str,
        client_methods: frozenset[str],
        helpers: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
    ) -> None:
        self.api = api
        self.client_methods = client_methods
        self.helpers = helpers
        self.paths: list[tuple[str | None, str]] = []
        self.client_calls: set[str] = set()
        self._read: set[str] = set()

    def read(self, node: ast.AST) -> None:
        used: set[int] = set()
        for child in ast.walk(node):
            if isinstance(child, ast.Call):
                self._call(child, used)
            elif isinstance(child, ast.Subscript):
                # A key (``contract["paths"]["/meters/"]``) looks a path up; it sends nothing.
                used.update(id(n) for n in ast.walk(child.slice))
        for child in ast.walk(node):
            if id(child) not in used and isinstance(child, ast.Constant | ast.JoinedStr):
                path = self._path(child)
                if path is not None:
                    self.paths.append((None, path))

    def _call(self, call: ast.Call, used: set[int]) -> None:
        func = call.func
        if isinstance(func, ast.Name) and func.id in self.helpers and func.id not in self._read:
            self._read.add(func.id)
            self.read(self.helpers[func.id])
            return
        if not isinstance(func, ast.Attribute):
            return
        if func.attr in self.client_methods:
            self.client_calls.add(func.attr)
        method: str | None = None
        target: ast.expr | None = None
        if func.attr in HTTP_VERBS:
            method = func.attr.upper()
            target = call.args[0] if call.args else _keyword(call, "url", "path")
        elif func.attr in REQUEST_CALLS and call.args:
            first = call.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                method = first.value.upper()
                target = call.args[1] if len(call.args) > 1 else _keyword(call, "url")
        elif func.attr == "route":
            given = _keyword(call, "method")
            if isinstance(given, ast.Constant) and isinstance(given.value, str):
                method = given.value.upper()
                target = _keyword(call, "url", "path")
        if method is None or target is None:
            return
        path = self._path(target)
        if path is not None:
            used.update(id(n) for n in ast.walk(target))
            self.paths.append((method, path))

    def _path(self, node: ast.expr) -> str | None:
        text = _text(node)
        if text is None or len(text) > 500:
            return None
        text = text.lstrip(_HOLE)
        if text.startswith(("http://", "https://")):
            text = urlsplit(text.replace(_HOLE, "1")).path
        # A template (``/meters/{uuid}``) names an operation, as a contract test does; it sends
        # nothing.
        if not text.startswith("/") or "{" in text or "}" in text:
            return None
        text = text.split("?", 1)[0].replace(_HOLE, "1")
        prefix = f"/{self.api}"
        if text == prefix or text.startswith(prefix + "/"):
            text = text[len(prefix) :] or "/"
        return text


def _keyword(call: ast.Call, *names: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg in names:
            return keyword.value
    return None


def _text(node: ast.expr) -> str | None:
    """A string expression's text, with a hole for each part computed at run time."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else _HOLE
            for v in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        if left is None and right is None:
            return None
        return (left if left is not None else _HOLE) + (right if right is not None else _HOLE)
    return None
