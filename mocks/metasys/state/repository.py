"""The historical time series repository (PRIVATE ``GET /timeSeries``): one series per trended
attribute of the site, kept when its object is deleted, as the reference says the repository
keeps samples of objects that no longer exist."""

from __future__ import annotations

from dataclasses import dataclass

from standin.metasys.state.objects import ObjectTree, object_id


@dataclass(frozen=True)
class SeriesRecord:
    id: str
    object_id: str
    item_reference: str
    attribute: str
    object_type: str


def repository(tree: ObjectTree) -> list[SeriesRecord]:
    """Every trended attribute of the site as it was loaded (objects created through the API
    trend nothing)."""
    return [
        SeriesRecord(
            id=object_id(tree.salt, f"timeSeries:{obj.item_reference}.{attribute}"),
            object_id=obj.id,
            item_reference=obj.item_reference,
            attribute=f"attributeEnumSet.{attribute}",
            object_type=obj.type.enum_id,
        )
        for obj in tree.all()
        for attribute in obj.trended
    ]


def search(records: list[SeriesRecord], text: str | None) -> list[SeriesRecord]:
    """Series whose item reference contains ``text`` (case sensitive, as the reference's rules
    say names and values are)."""
    if not text:
        return list(records)
    return [r for r in records if text in r.item_reference]
