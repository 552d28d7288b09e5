"""The invite lists' tie-breaker: the primary key, in the direction of the first sort key.

Sorting by `email` then `id`, or by `-email` then `-id`, reads one index (`email`, `id`)
forwards or backwards; a tie-breaker running against the first key would need a sort.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import OrderBy

TIE_BREAKERS = {"pk", "-pk", "id", "-id"}


def with_tie_breaker(ordering: Sequence[Any]) -> list[Any]:
    """`ordering` without any primary key term, then `pk` or `-pk` as its first key runs."""
    fields = [field for field in ordering if field not in TIE_BREAKERS]
    if not fields:
        return ["-pk"]
    first = fields[0]
    if isinstance(first, OrderBy):
        descending = first.descending
    else:
        descending = isinstance(first, str) and first.startswith("-")
    return [*fields, "-pk" if descending else "pk"]
