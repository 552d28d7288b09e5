"""Walking a large selection in keyset batches: bounded memory, one index range a query."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def keyset_batches(queryset: Any, *, size: int) -> Iterator[list[Any]]:
    """What `queryset` matches, in primary-key order, `size` rows a query.

    Each query starts after the last key of the one before (`pk > last ... LIMIT size`),
    never at an `OFFSET`: every batch costs the same at any table size, only one batch
    is in memory at a time, and rows the caller changes or deletes meanwhile are never
    met twice. `queryset` may be a `values_list("pk", flat=True)`; then batches hold keys.
    """
    ordered = queryset.order_by("pk")
    last: Any = None
    while True:
        page = ordered if last is None else ordered.filter(pk__gt=last)
        batch = list(page[:size])
        if not batch:
            return
        yield batch
        last = getattr(batch[-1], "pk", batch[-1])
        if len(batch) < size:
            return
