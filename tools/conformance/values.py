"""Hypothesis strategies for values valid against a contract's schemas.

hypothesis-jsonschema 0.23.1 draws object properties through Hypothesis's private
``cu.many(...).more()``, which this Hypothesis no longer has, so ``from_schema`` raises for
any object schema; nor does it follow a contract's ``$ref``s. So objects, arrays, ``allOf``,
``oneOf``/``anyOf`` and references are put together here, and only what lies below them
(strings, numbers, enums) comes from ``from_schema``. Some string formats are drawn directly,
because filtering ``from_schema``'s draws by a pattern almost never succeeds; an API's table
can give more (``overrides``). Every value is checked against its schema before use.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import string
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from tools.conformance.contract import ContractReader

MAX_DEPTH = 4
"""Below this many objects, optional properties and array items are left out."""
ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "examples",
        "example",
        "deprecated",
        "readOnly",
        "writeOnly",
        "externalDocs",
        "$comment",
        "default",
        "xml",
        "discriminator",
        "contentMediaType",
    }
)
PRINTABLE = st.characters(min_codepoint=32, max_codepoint=126)
"""Regex-drawn strings stay ASCII: ``\\d`` would also give digits no parser takes."""

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
"""Any JSON value, for schemas that say nothing (``{}``)."""

_moments = st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2099, 12, 31))
DATE_TIME_FORMS: tuple[Callable[[dt.datetime], str], ...] = (
    lambda m: m.strftime("%Y-%m-%dT%H:%M:%SZ"),
    lambda m: m.strftime("%Y-%m-%dT%H:%M:%S.") + f"{m.microsecond // 1000:03d}Z",
    lambda m: m.strftime("%Y-%m-%dT%H:%M:%S-05:00"),
    lambda m: m.strftime("%Y-%m-%dT%H:%M:%S+09:30"),
)
"""How date-times are printed: a contract's pattern picks the forms it allows."""
SAMPLE_MOMENT = dt.datetime(2024, 1, 15, 10, 30, 45, 123000)


def date_times(pattern: str | None = None) -> st.SearchStrategy[str]:
    forms = [f for f in DATE_TIME_FORMS if pattern is None or re.search(pattern, f(SAMPLE_MOMENT))]
    return st.sampled_from(forms or DATE_TIME_FORMS).flatmap(lambda form: _moments.map(form))


local_times = st.datetimes(
    min_value=dt.datetime(1000, 1, 1),
    timezones=st.builds(
        dt.timezone,
        st.integers(-14 * 60 + 1, 14 * 60 - 1).map(lambda m: dt.timedelta(minutes=m)),
    ),
).map(lambda moment: moment.replace(microsecond=0).isoformat())
"""Real local times with their offset (``2024-01-15T10:00:00-05:00``): a pattern alone would
admit impossible ones (month 13) that no client can make a datetime of."""
FORMATS: dict[str, st.SearchStrategy[str]] = {
    "date": st.dates(dt.date(1971, 1, 1), dt.date(2099, 12, 31)).map(dt.date.isoformat),
    "uuid": st.uuids().map(str),
    "uri": st.sampled_from(
        ["https://example.com/", "http://h.example/p?q=1", "https://x.example/a/b"]
    ),
    "email": st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.example", fullmatch=True),
}


class SchemaValues:
    """Strategies for values of one contract's schemas.

    ``overrides`` maps a string ``format`` or ``pattern`` (as the contract writes it) to the
    strategy to draw such strings from, for what the defaults here cannot draw well.
    """

    def __init__(
        self,
        reader: ContractReader,
        overrides: Mapping[str, st.SearchStrategy[Any]] | None = None,
    ) -> None:
        self.reader = reader
        self.overrides = dict(overrides or {})
        self._valid: dict[str, st.SearchStrategy[Any]] = {}

    def valid(self, schema: dict[str, Any] | bool) -> st.SearchStrategy[Any]:
        """Values valid against ``schema``, checked."""
        key = json.dumps(schema, sort_keys=True, default=str)
        if key not in self._valid:
            validator = self.reader.validator(schema)
            self._valid[key] = self.values(schema).filter(validator.is_valid)
        return self._valid[key]

    def merged(self, schema: dict[str, Any]) -> dict[str, Any]:
        """``schema`` resolved, with its ``allOf`` folded in."""
        schema = self.reader.resolved(schema)
        if "allOf" not in schema:
            return schema
        result: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in (self.merged(p) for p in schema["allOf"]):
            for key, value in part.items():
                if key == "required":
                    result["required"] = sorted({*result.get("required", []), *value})
                elif key == "properties":
                    properties = dict(result.get("properties", {}))
                    for name, sub in value.items():
                        if name in properties:
                            properties[name] = {"allOf": [properties[name], sub]}
                        else:
                            properties[name] = sub
                    result["properties"] = properties
                else:
                    result.setdefault(key, value)
        return result

    def values(self, schema: dict[str, Any] | bool, depth: int = 0) -> st.SearchStrategy[Any]:
        if schema is True:
            return json_values
        if schema is False:
            return st.nothing()
        schema = self.merged(schema)
        if "allOf" in schema:  # properties of the same name in two parts
            return self.values({k: v for k, v in schema.items() if k != "allOf"}, depth).filter(
                self.reader.validator(schema).is_valid
            )
        for combinator in ("oneOf", "anyOf"):
            if combinator in schema:
                rest = {k: v for k, v in schema.items() if k != combinator}
                chosen = schema[combinator]
                if depth >= MAX_DEPTH:  # a recursive schema ends in its plain branches
                    chosen = [b for b in chosen if "$ref" not in b] or chosen
                parts = [self.merged(branch) for branch in chosen]
                branches = [
                    self.values(_without_others(rest, part, parts), depth + 1) for part in parts
                ]
                strategy = st.one_of(branches)
                if combinator == "oneOf":  # a value of two branches is valid for neither
                    return strategy.filter(self.reader.validator(schema).is_valid)
                return strategy
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        kind = schema.get("type")
        if isinstance(kind, list):
            return st.one_of([self.values({**schema, "type": k}, depth) for k in kind])
        if kind == "object" or (kind is None and "properties" in schema):
            return self._object(schema, depth)
        if kind == "array" or (kind is None and "items" in schema):
            return self._array(schema, depth)
        if kind == "string":
            return self._string(schema)
        if kind is None and not set(schema) - ANNOTATIONS:
            return json_values
        return self._leaf(schema)

    def _object(self, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
        properties: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        deep = depth >= MAX_DEPTH
        named = st.fixed_dictionaries(
            {name: self.values(properties.get(name, True), depth + 1) for name in sorted(required)},
            optional={}
            if deep
            else {
                name: self.values(p, depth + 1)
                for name, p in properties.items()
                if name not in required
            },
        )
        extra = schema.get("additionalProperties", True)
        least = schema.get("minProperties", 0)
        if extra is False or (deep and least <= len(required)):
            return named
        keys: st.SearchStrategy[str] = (
            self.values(schema["propertyNames"], depth + 1)
            if "propertyNames" in schema
            else st.text(string.ascii_letters, min_size=1, max_size=8)
        )
        others = st.dictionaries(
            keys.filter(lambda name: name not in properties),
            json_scalars if extra is True else self.values(extra, depth + 1),
            min_size=max(0, least - len(required)),
            max_size=max(2, least),
        )
        return st.tuples(named, others).map(lambda parts: {**parts[1], **parts[0]})

    def _array(self, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
        least = schema.get("minItems", 0)
        most = min(schema.get("maxItems", 3), max(3, least))
        if depth >= MAX_DEPTH:
            most = least
        if most == 0:
            return st.just([])
        items = schema.get("items", True)
        if "prefixItems" in schema:
            return st.tuples(*(self.values(p, depth + 1) for p in schema["prefixItems"])).map(list)
        return st.lists(
            self.values(items, depth + 1),
            min_size=least,
            max_size=most,
            unique_by=(lambda v: repr(v)) if schema.get("uniqueItems") else None,
        )

    def _string(self, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
        form, pattern = schema.get("format"), schema.get("pattern")
        for key in (pattern, form):
            if key is not None and key in self.overrides:
                return _checked(self.overrides[key], schema)
        if form == "uri" and pattern is not None and pattern.startswith("/"):
            hosts = st.sampled_from(["https://example.com", "http://h.example"])
            path = st.from_regex(pattern.removesuffix("$"), fullmatch=True, alphabet=PRINTABLE)
            return _checked(st.tuples(hosts, path).map("".join), schema)
        if form == "date-time":
            return _checked(date_times(pattern), schema)
        if form in FORMATS:
            return _checked(FORMATS[form], schema)
        if pattern is not None:
            regex = pattern.removeprefix("^").removesuffix("$")
            return _checked(st.from_regex(regex, fullmatch=True, alphabet=PRINTABLE), schema)
        return self._leaf(schema)

    def _leaf(self, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
        """``from_schema``'s values, with what the schema references in reach."""
        leaf = _leaf(schema)
        if "$ref" in json.dumps(leaf):
            leaf = {**leaf, "components": self.reader.contract.get("components", {})}
        return from_schema(leaf)


def _without_others(
    rest: dict[str, Any], part: dict[str, Any], parts: list[dict[str, Any]]
) -> dict[str, Any]:
    """A branch of a combinator over ``rest``, without the optional properties only other
    branches require: "exactly one of a and b" is drawn as a, or as b, never both."""
    combined = {**rest, **part}
    own = set(part.get("required", [])) | set(rest.get("required", []))
    others = {name for p in parts if p is not part for name in p.get("required", [])} - own
    properties = combined.get("properties")
    if not others or not isinstance(properties, dict):
        return combined
    kept = {name: value for name, value in properties.items() if name not in others}
    return {**combined, "properties": kept}


def _leaf(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k not in ANNOTATIONS}


def _checked(strategy: st.SearchStrategy[Any], schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """``strategy`` kept to the string's pattern and lengths."""
    pattern = schema.get("pattern")
    least, most = schema.get("minLength", 0), schema.get("maxLength")

    def fits(value: Any) -> bool:
        if not isinstance(value, str):
            return True
        if pattern is not None and re.search(pattern, value) is None:
            return False
        return len(value) >= least and (most is None or len(value) <= most)

    return strategy.filter(fits)
