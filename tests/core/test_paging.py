import pytest

from standin._core.paging import (
    ContinuationRejected,
    ContinuationTokens,
    offset_limit,
    page_links,
    paginate,
    with_query,
)


def test_paginate_slices_one_based_pages_with_total() -> None:
    page = paginate(list(range(25)), page=2, page_size=10)
    assert page.items == list(range(10, 20))
    assert (page.total, page.page_count, page.has_next, page.has_previous) == (25, 3, True, True)
    last = paginate(list(range(25)), page=3, page_size=10)
    assert last.items == [20, 21, 22, 23, 24]
    assert not last.has_next


def test_paginate_past_the_end_is_empty() -> None:
    assert paginate([1, 2], page=5, page_size=10).items == []


def test_paginate_refuses_non_positive_page_or_size() -> None:
    with pytest.raises(ValueError, match="positive"):
        paginate([1], page=0, page_size=10)
    with pytest.raises(ValueError, match="positive"):
        paginate([1], page=1, page_size=0)


def test_page_links_are_absolute_and_keep_other_parameters() -> None:
    url = "https://api.example.com/buildings/?per_page=10&page=2&name=x"
    page = paginate(list(range(25)), page=2, page_size=10)
    next_url, previous_url = page_links(url, page)
    assert next_url == "https://api.example.com/buildings/?per_page=10&name=x&page=3"
    assert previous_url == "https://api.example.com/buildings/?per_page=10&name=x&page=1"


def test_first_and_last_pages_have_no_previous_or_next() -> None:
    url = "https://h/x?page=1"
    assert page_links(url, paginate([1, 2], 1, 10)) == (None, None)


def test_with_query_removes_parameters_set_to_none() -> None:
    assert with_query("https://h/x?a=1&b=2", b=None, c=3) == "https://h/x?a=1&c=3"


def test_offset_limit_and_unlimited() -> None:
    items = list(range(10))
    assert offset_limit(items, 2, 3) == [2, 3, 4]
    assert offset_limit(items, 8, None) == [8, 9]
    assert offset_limit(items, 20, 5) == []
    with pytest.raises(ValueError, match="negative"):
        offset_limit(items, -1, 1)


def test_continuation_token_round_trips_for_the_same_query() -> None:
    tokens = ContinuationTokens(b"secret")
    query = {"activityType": "alarm", "sort": "-creationTime"}
    token = tokens.encode(query, 200)
    assert tokens.decode(token, dict(reversed(list(query.items())))) == 200


def test_continuation_token_replayed_with_another_query_is_rejected() -> None:
    tokens = ContinuationTokens(b"secret")
    token = tokens.encode({"activityType": "alarm"}, 100)
    with pytest.raises(ContinuationRejected, match="another query"):
        tokens.decode(token, {"activityType": "audit"})


@pytest.mark.parametrize("token", ["", "!!!", "abcd", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
def test_forged_or_malformed_continuation_tokens_are_rejected(token: str) -> None:
    with pytest.raises(ContinuationRejected):
        ContinuationTokens(b"secret").decode(token, {})


def test_a_token_from_another_signer_is_rejected() -> None:
    token = ContinuationTokens(b"one").encode({}, 1)
    with pytest.raises(ContinuationRejected, match="not issued here"):
        ContinuationTokens(b"two").decode(token, {})
