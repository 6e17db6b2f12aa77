"""A long list encoded a slice at a time (so a worker thread encoding it lets the event loop in
between) is the same bytes as encoded at once."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from standin._core.rendering import dumps, dumps_members

ITEMS = st.lists(
    st.one_of(
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.text(max_size=5),
        st.dictionaries(st.text(max_size=3), st.booleans(), max_size=3),
        st.lists(st.floats(allow_nan=False), max_size=3),
    ),
    max_size=40,
)


@settings(max_examples=100, derandomize=True)
@given(items=ITEMS, per_call=st.integers(min_value=1, max_value=12))
def test_a_list_encoded_a_slice_at_a_time_is_the_same_bytes_as_at_once(
    items: list[Any], per_call: int
) -> None:
    assert b"[" + dumps_members(items, per_call) + b"]" == dumps(items)
