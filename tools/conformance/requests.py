"""Checks a request a client sent against the contract's operation for it."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from tools.conformance.contract import ContractReader, Operation


def request_problems(
    reader: ContractReader, operation: Operation, request: httpx.Request, path: dict[str, str]
) -> list[str]:
    """What in ``request`` breaks the contract of ``operation``; empty when nothing does."""
    problems: list[str] = []
    security_query = _security_query_names(reader, operation)
    for (place, name), parameter in operation.parameters.items():
        schema = parameter.get("schema", {})
        if place == "path":
            _check_value(reader, f"path parameter {name}", path.get(name), schema, problems)
        elif place == "header":
            value = request.headers.get(name)
            if value is None:
                if parameter.get("required"):
                    problems.append(f"required header {name} missing")
            else:
                _check_value(reader, f"header {name}", value, schema, problems)
    problems += _query_problems(reader, operation, request, security_query)
    problems += _security_problems(reader, operation, request)
    problems += _body_problems(reader, operation, request)
    return problems


def _query_problems(
    reader: ContractReader, operation: Operation, request: httpx.Request, allowed: set[str]
) -> list[str]:
    problems: list[str] = []
    declared = {name: p for (place, name), p in operation.parameters.items() if place == "query"}
    sent: dict[str, list[str]] = {}
    for name, value in parse_qsl(urlsplit(str(request.url)).query, keep_blank_values=True):
        sent.setdefault(name, []).append(value)
    for name, values in sent.items():
        if name in allowed and name not in declared:
            continue
        if name not in declared:
            problems.append(f"query parameter {name} is not in the contract")
            continue
        schema = declared[name].get("schema", {})
        resolved = reader.resolved(schema)
        if resolved.get("type") == "array":
            # form style: repeated (explode, the default) or comma separated.
            items = values if declared[name].get("explode", True) else values[0].split(",")
            _check_value(reader, f"query parameter {name}", items, schema, problems)
        elif len(values) > 1:
            problems.append(f"query parameter {name} sent {len(values)} times")
        else:
            _check_value(reader, f"query parameter {name}", values[0], schema, problems)
    for name, parameter in declared.items():
        if parameter.get("required") and name not in sent:
            problems.append(f"required query parameter {name} missing")
    return problems


def _security_query_names(reader: ContractReader, operation: Operation) -> set[str]:
    schemes = reader.contract.get("components", {}).get("securitySchemes", {})
    return {
        schemes[name]["name"]
        for requirement in operation.security
        for name in requirement
        if schemes.get(name, {}).get("type") == "apiKey" and schemes[name].get("in") == "query"
    }


def _security_problems(
    reader: ContractReader, operation: Operation, request: httpx.Request
) -> list[str]:
    """Unless the operation allows no credentials, one of its requirements is met."""
    requirements = operation.security
    if not requirements or any(not requirement for requirement in requirements):
        return []
    schemes = reader.contract.get("components", {}).get("securitySchemes", {})
    for requirement in requirements:
        if all(_meets(schemes.get(name, {}), request) for name in requirement):
            return []
    wanted = " or ".join(" + ".join(requirement) for requirement in requirements)
    return [f"no credentials of the operation's security ({wanted})"]


def _meets(scheme: dict[str, Any], request: httpx.Request) -> bool:
    kind = scheme.get("type")
    if kind == "apiKey":
        name = scheme.get("name", "")
        where = scheme.get("in")
        if where == "query":
            return bool(request.url.params.get(name))
        if where == "header":
            return bool(request.headers.get(name))
        return name in request.headers.get("cookie", "")
    authorization = request.headers.get("authorization", "")
    if kind == "http":
        scheme_name = str(scheme.get("scheme", "")).lower()
        word, _, credential = authorization.partition(" ")
        return word.lower() == scheme_name and bool(credential.strip())
    if kind in ("oauth2", "openIdConnect"):
        word, _, credential = authorization.partition(" ")
        return word.lower() == "bearer" and bool(credential.strip())
    return False


def _body_problems(
    reader: ContractReader, operation: Operation, request: httpx.Request
) -> list[str]:
    body = operation.spec.get("requestBody")
    content = request.content
    if body is None:
        return [f"a body of {len(content)} bytes, but the operation takes none"] if content else []
    body = reader.resolved(body)
    if not content:
        return ["the required request body is missing"] if body.get("required") else []
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    declared: dict[str, Any] = body.get("content", {})
    if media_type not in declared:
        return [f"content type {media_type!r} is not one of {sorted(declared)}"]
    schema = declared[media_type].get("schema", {})
    try:
        if media_type == "application/x-www-form-urlencoded":
            pairs = parse_qsl(content.decode(), keep_blank_values=True, strict_parsing=True)
            value: Any = dict(pairs)
            if len(value) != len(pairs):
                return ["a form field sent twice"]
        elif "json" in media_type:
            value = json.loads(content)
        elif media_type == "application/zip":
            return [] if zipfile.is_zipfile(io.BytesIO(content)) else ["the body is not a ZIP file"]
        else:
            return []
    except ValueError as error:
        return [f"the {media_type} body does not parse: {error}"]
    problems: list[str] = []
    _check_value(reader, "request body", value, schema, problems, coerce=False)
    return problems


def _check_value(
    reader: ContractReader,
    what: str,
    value: Any,
    schema: dict[str, Any],
    problems: list[str],
    *,
    coerce: bool = True,
) -> None:
    if value is None:
        problems.append(f"{what} missing")
        return
    candidates = _readings(value) if coerce else [value]
    validator = reader.validator(schema)
    if any(validator.is_valid(candidate) for candidate in candidates):
        return
    error = next(iter(sorted(validator.iter_errors(candidates[-1]), key=str)), None)
    problems.append(f"{what} {value!r} is not valid: {getattr(error, 'message', error)}")


def _readings(value: Any) -> list[Any]:
    """The values a parameter's text may stand for: itself, a number, a boolean."""
    if isinstance(value, list):
        return [value, [_scalar(v) for v in value]]
    return [value, _scalar(value)]


def _scalar(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
