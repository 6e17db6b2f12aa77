"""The shared JSON reader takes only what the encoder can answer back, and says why not."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from standin._core.bodies import MAX_JSON_DEPTH, parse_json
from standin._core.errors import VendorError


def refused(reason: str) -> VendorError:
    return VendorError(400, {"reason": reason})


def nested(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'"x\\ud800"', "no low surrogate in string: line 1 column 3 (char 2)"),
        (b'"\\udc00 y"', "invalid high surrogate in string: line 1 column 2 (char 1)"),
        (
            b'"\xed\xa0\x80"',
            "str is not valid UTF-8: surrogates not allowed: line 1 column 1 (char 0)",
        ),
        (b"1e400", "number is infinity when parsed as double: line 1 column 1 (char 0)"),
        (b"[-1e400]", "number is infinity when parsed as double: line 1 column 2 (char 1)"),
        (b"NaN", "unexpected character, expected a JSON value: line 1 column 1 (char 0)"),
        (
            b'{"a": Infinity}',
            "unexpected character, expected a JSON value: line 1 column 7 (char 6)",
        ),
        (nested(MAX_JSON_DEPTH + 1), "nesting is deeper than 64 levels"),
        (b'{"a": ' + nested(MAX_JSON_DEPTH) + b"}", "nesting is deeper than 64 levels"),
    ],
)
def test_what_could_not_be_answered_back_is_refused_with_the_reason(
    raw: bytes, reason: str
) -> None:
    with pytest.raises(VendorError) as caught:
        parse_json(raw, refused)
    assert caught.value.body == {"reason": reason}


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b'"\\ud83d\\ude00"', "\U0001f600"),
        (b"18446744073709551615", 2**64 - 1),
        (b"-9223372036854775808", -(2**63)),
        (b"18446744073709551616", float(2**64)),
        (b"1.7976931348623157e308", 1.7976931348623157e308),
        (nested(MAX_JSON_DEPTH), orjson.loads(nested(MAX_JSON_DEPTH))),
    ],
)
def test_what_can_be_answered_back_is_read_and_encodes_again(raw: bytes, value: Any) -> None:
    read = parse_json(raw, refused)
    assert read == value
    assert orjson.loads(orjson.dumps(read)) == value


def test_without_a_depth_bound_the_readers_own_1024_levels_hold() -> None:
    assert parse_json(nested(1024), refused, max_depth=None) is not None
    with pytest.raises(VendorError):
        parse_json(nested(1025), refused, max_depth=None)
