"""The bounded memo: it answers what was put, empties itself when full, and pickles empty."""

from __future__ import annotations

import pickle

import pytest

from standin._core.memo import BoundedMemo


def test_a_memo_answers_what_was_put_and_nothing_else() -> None:
    memo: BoundedMemo[str, int] = BoundedMemo(4)
    assert memo.get("a") is None
    assert memo.put("a", 1) == 1
    assert memo.get("a") == 1
    assert memo.get_or_make("b", lambda: 2) == 2
    assert memo.get_or_make("b", lambda: 3) == 2
    assert len(memo) == 2


def test_a_full_memo_forgets_everything_before_it_keeps_a_new_key() -> None:
    memo: BoundedMemo[int, int] = BoundedMemo(3)
    for key in range(3):
        memo.put(key, key)
    memo.put(2, 20)  # a key it has: nothing forgotten
    assert [memo.get(key) for key in range(3)] == [0, 1, 20]
    memo.put(3, 3)
    assert [memo.get(key) for key in range(4)] == [None, None, None, 3]
    assert len(memo) == 1


def test_a_memo_pickles_empty_with_its_capacity() -> None:
    memo: BoundedMemo[str, bytes] = BoundedMemo(2)
    memo.put("page", b"x" * 1000)
    copy = pickle.loads(pickle.dumps(memo))
    assert len(copy) == 0
    copy.put("a", b"")
    copy.put("b", b"")
    copy.put("c", b"")
    assert len(copy) == 1


def test_a_memo_needs_room_for_one() -> None:
    with pytest.raises(ValueError, match="capacity must be positive"):
        BoundedMemo(0)
