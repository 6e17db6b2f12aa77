"""Navigation trees (INTERNAL): the "all items" (network) tree, read live from the object tree,
and the user views the fixture defines, whose entries outlive the objects they name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from standin.metasys import errors
from standin.metasys.state.model import MetasysObject, User
from standin.metasys.state.objects import ObjectTree, object_id

FOLDER_TYPE = "objectTypeEnumSet.containerClass"


@dataclass(frozen=True)
class ViewEntry:
    """One node of a user view: a folder of the view (``object_id`` None) or an object, as the
    view remembers it (so an object deleted since still shows, flagged by the condition)."""

    id: str
    name: str
    item_reference: str
    object_type: str
    classification: str
    object_id: str | None
    children: tuple[ViewEntry, ...] = ()


@dataclass(frozen=True)
class UserView:
    id: str
    name: str
    item_reference: str
    administrators_only: bool
    entries: tuple[ViewEntry, ...] = field(default_factory=tuple)

    def can_read(self, user: User) -> bool:
        return user.can_write or not self.administrators_only

    def objects(self) -> list[str]:
        """The ids of the objects the view names, in tree order."""
        found: list[str] = []
        pending = list(reversed(self.entries))
        while pending:
            entry = pending.pop()
            if entry.object_id is not None:
                found.append(entry.object_id)
            pending.extend(reversed(entry.children))
        return found


def load_user_views(tree: ObjectTree, site: str, raw_views: list[dict[str, Any]]) -> list[UserView]:
    """The fixture's ``userViews``: each a name, ``administratorsOnly`` and ``items`` (folders with
    ``name`` and ``items``, or objects as ``{object: <path below the site>}``)."""
    views = []
    for raw in raw_views:
        reference = f"{site}:{site}/$site.UserTrees.{raw['name'].replace(' ', '')}"
        entries = tuple(_entry(tree, site, reference, item) for item in raw.get("items", []))
        views.append(
            UserView(
                id=object_id(tree.salt, reference),
                name=raw["name"],
                item_reference=reference,
                administrators_only=bool(raw.get("administratorsOnly", False)),
                entries=entries,
            )
        )
    return views


def _entry(tree: ObjectTree, site: str, parent_reference: str, raw: dict[str, Any]) -> ViewEntry:
    if "object" in raw:
        obj = tree.find(f"{site}:{raw['object']}")
        if obj is None:
            raise ValueError(f"user view names an unknown object {raw['object']}")
        return _object_entry(obj, ())
    reference = f"{parent_reference}.{raw['name'].replace(' ', '')}"
    return ViewEntry(
        id=object_id(tree.salt, reference),
        name=raw["name"],
        item_reference=reference,
        object_type=FOLDER_TYPE,
        classification="folder",
        object_id=None,
        children=tuple(_entry(tree, site, reference, item) for item in raw.get("items", [])),
    )


def network_tree(tree: ObjectTree) -> ViewEntry:
    """The "all items" tree as it is now: the site and every object below it."""
    return _live(tree, tree.root)


def _live(tree: ObjectTree, obj: MetasysObject) -> ViewEntry:
    return _object_entry(obj, tuple(_live(tree, child) for child in tree.children(obj)))


def _object_entry(obj: MetasysObject, children: tuple[ViewEntry, ...]) -> ViewEntry:
    """An object as a tree entry (a user view names objects without their children)."""
    return ViewEntry(
        id=obj.id,
        name=obj.name,
        item_reference=obj.item_reference,
        object_type=obj.type.enum_id,
        classification=obj.type.classification,
        object_id=obj.id,
        children=children,
    )


def find_view(views: list[UserView], tree_id: str) -> UserView:
    wanted = tree_id.lower()
    for view in views:
        if view.id == wanted:
            return view
    raise errors.not_found(f"The tree {tree_id} was not found.")
