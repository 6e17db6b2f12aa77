"""The pieces every reference client shares (clients/_http.py)."""

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from standin.clients._http import (
    HttpClientOwner,
    json_object,
    json_string,
    parse_json,
    retry_after_delay,
    retry_after_seconds,
    retry_while_429,
)

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def answer(headers: dict[str, str] | None = None, content: bytes = b"{}") -> httpx.Response:
    return httpx.Response(429, headers=headers, content=content)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), (" 2.5 ", 2.5), ("0", 0.0), (None, None), ("-1", None), ("nan", None),
     ("inf", None), ("soon", None), ("Thu, 01 Jan 2026 12:00:30 GMT", None)],
)  # fmt: skip
def test_retry_after_delay_reads_only_a_usable_number_of_seconds(
    value: str | None, seconds: float | None
) -> None:
    assert retry_after_delay(value) == seconds


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("7", 7.0), ("Thu, 01 Jan 2026 12:00:30 GMT", 30.0), ("Thu, 01 Jan 2026 11:59:00 GMT", 0.0),
     ("-1", None), ("nan", None), ("soon", None), ("Thu, 01 Jan 2026 12:00:30 -0000", None)],
)  # fmt: skip
def test_retry_after_seconds_reads_a_delay_or_an_http_date(
    header: str, seconds: float | None
) -> None:
    assert retry_after_seconds(answer({"Retry-After": header}), NOW) == seconds


def test_retry_after_seconds_is_none_without_the_header() -> None:
    assert retry_after_seconds(answer(), NOW) is None


class Broken(Exception):
    pass


def broken(response: httpx.Response, why: str) -> Broken:
    return Broken(f"{response.status_code}: {why}")


def test_parse_json_applies_the_parser_to_the_body() -> None:
    assert parse_json(answer(content=b'{"a": "b"}'), lambda b: json_object(b, "it"), broken) == {
        "a": "b"
    }


def test_parse_json_raises_the_clients_error_for_a_body_that_is_not_json() -> None:
    with pytest.raises(Broken, match=r"^429: not JSON$"):
        parse_json(answer(content=b"<html>"), lambda body: body, broken)


def refuse_type(body: Any) -> Any:
    raise TypeError("a type the contract does not allow")


@pytest.mark.parametrize(
    ("parse", "why"),
    [
        (lambda body: json_string(body, "the body"), "the body is not a string"),
        (lambda body: json_object(body, "the body")["missing"], "'missing'"),
        (refuse_type, "a type the contract does not allow"),
    ],
)
def test_parse_json_raises_the_clients_error_for_a_body_the_parser_refuses(
    parse: Any, why: str
) -> None:
    with pytest.raises(Broken, match=f"^429: {why}$"):
        parse_json(answer(content=b"{}"), parse, broken)


class Owner(HttpClientOwner):
    def __init__(self, http: httpx.Client, owns: bool) -> None:
        self._http, self._owns_http = http, owns


def test_a_client_closes_the_http_client_it_made_when_its_block_ends() -> None:
    http = httpx.Client()
    with Owner(http, owns=True) as owner:
        assert isinstance(owner, Owner)
    assert http.is_closed


def test_a_client_leaves_open_an_http_client_it_was_given() -> None:
    with httpx.Client() as http:
        Owner(http, owns=False).close()
        assert not http.is_closed


def scripted(*statuses: int) -> tuple[list[float], Any]:
    """A sender answering ``statuses`` in turn with Retry-After equal to the attempt number,
    and the list the sleeper fills."""
    answers = iter(statuses)
    attempts = iter(range(1, len(statuses) + 1))
    slept: list[float] = []

    def send() -> httpx.Response:
        return httpx.Response(next(answers), headers={"Retry-After": str(next(attempts))})

    return slept, send


def waited(response: httpx.Response) -> float:
    return float(response.headers["Retry-After"])


def test_retry_while_429_waits_each_429_out_and_returns_the_first_other_answer() -> None:
    slept, send = scripted(429, 429, 201)
    response = retry_while_429(
        send, max_retries=2, sleep=slept.append, wait=waited, rate_limited=broken_429
    )
    assert response.status_code == 201
    assert slept == [1.0, 2.0]


def broken_429(response: httpx.Response, wait: float) -> Broken:
    return Broken(f"{response.status_code} after all, wait {wait}")


def test_retry_while_429_raises_the_clients_error_after_its_retries() -> None:
    slept, send = scripted(429, 429, 429, 200)
    with pytest.raises(Broken, match=r"^429 after all, wait 3\.0$"):
        retry_while_429(
            send, max_retries=2, sleep=slept.append, wait=waited, rate_limited=broken_429
        )
    assert slept == [1.0, 2.0]
