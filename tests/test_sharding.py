"""`make test` splits the suite into shards, one per core: every file runs in exactly one."""

from __future__ import annotations

import pytest

from tests.conftest import shard_files

FILES = [f"tests/api/test_{name}.py" for name in "abcdefg"]


def test_every_file_is_in_exactly_one_of_the_shards() -> None:
    shards = [shard_files(FILES, f"{k}/3") for k in (1, 2, 3)]
    assert sorted(path for shard in shards for path in shard) == sorted(FILES)
    assert [len(shard) for shard in shards] == [3, 2, 2]


def test_a_shard_keeps_whole_files_in_path_order_round_robin() -> None:
    assert shard_files([*FILES, FILES[0]], "2/2") == {FILES[1], FILES[3], FILES[5]}


@pytest.mark.parametrize("shard", ["0/2", "3/2", "1", "a/b", "1/0"])
def test_a_malformed_shard_is_a_usage_error(shard: str) -> None:
    with pytest.raises(pytest.UsageError):
        shard_files(FILES, shard)
