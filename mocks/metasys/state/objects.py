"""The object tree: every object by id and by item reference, parents and children in order."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from standin._core.store import Collection, Store
from standin.metasys.state.model import MetasysObject
from standin.metasys.types import NETWORK_CLASSIFICATIONS

ID_NAMESPACE = uuid.UUID("6f1c3a52-5d0e-5a8e-9b1c-4d3e2f1a0b9c")


def object_id(salt: str, item_reference: str) -> str:
    """Stable ids (Metasys ids are name-based UUIDs too): the same reference, the same id."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{salt}{item_reference}"))


class ObjectTree:
    def __init__(self, salt: str, store: Store) -> None:
        self.salt = salt
        self.objects: Collection[str, MetasysObject] = store.collection(
            "objects", str, MetasysObject
        )
        self.by_reference: dict[str, str] = {}
        self.root_id = ""

    def __getitem__(self, object_id: str) -> MetasysObject:
        found = self.objects.get(object_id)
        if found is None:
            raise KeyError(object_id)
        return found

    def __len__(self) -> int:
        return len(self.objects)

    def all(self) -> list[MetasysObject]:
        return list(self.objects.values())

    def add(self, obj: MetasysObject) -> MetasysObject:
        self.objects.put(obj.id, obj)
        self.by_reference[obj.item_reference] = obj.id
        if obj.parent_id is None:
            self.root_id = obj.id
        else:
            self[obj.parent_id].children.append(obj.id)
        return obj

    def get(self, object_id: str) -> MetasysObject | None:
        return self.objects.get(object_id)

    def find(self, item_reference: str) -> MetasysObject | None:
        found = self.by_reference.get(item_reference)
        return None if found is None else self[found]

    @property
    def root(self) -> MetasysObject:
        return self[self.root_id]

    def children(self, obj: MetasysObject) -> list[MetasysObject]:
        return [self[child] for child in obj.children]

    def descendants(self, obj: MetasysObject) -> Iterator[MetasysObject]:
        for child in self.children(obj):
            yield child
            yield from self.descendants(child)

    def ancestors(self, obj: MetasysObject) -> list[MetasysObject]:
        """Parent first, root last."""
        found = []
        current = obj
        while current.parent_id is not None:
            current = self[current.parent_id]
            found.append(current)
        return found

    def path_to(self, root: MetasysObject, target: MetasysObject) -> list[MetasysObject] | None:
        """The objects from ``root`` down to ``target`` (both included), or None if not below."""
        chain = [target, *self.ancestors(target)]
        for index, obj in enumerate(chain):
            if obj.id == root.id:
                return list(reversed(chain[: index + 1]))
        return None

    def host_device(self, obj: MetasysObject) -> MetasysObject | None:
        """The nearest network device holding ``obj`` (itself if it is one)."""
        for candidate in (obj, *self.ancestors(obj)):
            if candidate.type.classification in NETWORK_CLASSIFICATIONS:
                return candidate
        return None

    def hosting_devices(self, obj: MetasysObject) -> list[MetasysObject]:
        """Every network device holding ``obj``, nearest first (its controller, trunk, engine)."""
        return [
            candidate
            for candidate in (obj, *self.ancestors(obj))
            if candidate.type.classification in NETWORK_CLASSIFICATIONS
        ]

    def remove(self, obj: MetasysObject) -> list[MetasysObject]:
        """Remove ``obj`` and everything below it; returns what was removed."""
        removed = [obj, *self.descendants(obj)]
        if obj.parent_id is not None:
            self[obj.parent_id].children.remove(obj.id)
        for gone in removed:
            self.objects.delete(gone.id)
            self.by_reference.pop(gone.item_reference, None)
        return removed

    def child_reference(self, parent: MetasysObject, label: str) -> str:
        """The item reference of a new child: devices start a path with ``/``, others ``.``."""
        separator = "." if "/" in parent.item_reference else "/"
        return f"{parent.item_reference}{separator}{label}"

    def new_id(self, item_reference: str) -> str:
        return object_id(self.salt, item_reference)
