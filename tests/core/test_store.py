from standin._core.store import MemoryStore


def test_collection_keeps_records_by_key_in_insertion_order() -> None:
    store = MemoryStore()
    things = store.collection("things", str, int)
    things.put("b", 2)
    things.put("a", 1)
    assert list(things.keys()) == ["b", "a"]
    assert list(things.values()) == [2, 1]
    assert things.get("a") == 1
    assert things.get("missing") is None
    assert "a" in things
    assert len(things) == 2


def test_delete_reports_whether_a_record_was_there() -> None:
    things = MemoryStore().collection("things", str, int)
    things.put("a", 1)
    assert things.delete("a") is True
    assert things.delete("a") is False
    assert len(things) == 0


def test_the_same_name_gives_the_same_collection() -> None:
    store = MemoryStore()
    store.collection("things", str, int).put("a", 1)
    assert store.collection("things", str, int).get("a") == 1
    assert store.names() == ["things"]


def test_iteration_survives_changes_during_it() -> None:
    things = MemoryStore().collection("things", int, int)
    for i in range(3):
        things.put(i, i)
    for key in things:
        things.delete(key)
    assert len(things) == 0


def test_stores_do_not_share_records() -> None:
    first, second = MemoryStore(), MemoryStore()
    first.collection("things", str, int).put("a", 1)
    assert second.collection("things", str, int).get("a") is None
