"""A store's table of rows, as the row writer's :class:`Written` says to keep them (tests of
rows kept for capped logs and growing containers)."""

from __future__ import annotations

from standin._core.logrows import Row, Written


class Table:
    """The rows a store keeps, written as :class:`Written` says."""

    def __init__(self) -> None:
        self.rows: dict[tuple[int, int], bytes] = {}
        self.blob = b""

    def apply(self, written: Written) -> None:
        if written.full:
            self.rows.clear()
        for log_id in written.cleared:
            self.rows = {key: row for key, row in self.rows.items() if key[0] != log_id}
        for key in written.removed:
            self.rows.pop(key, None)
        for log_id, seq, blob in written.rows:
            self.rows[(log_id, seq)] = blob
        self.blob = written.blob

    def kept(self) -> list[Row]:
        return [(log_id, seq, blob) for (log_id, seq), blob in self.rows.items()]
