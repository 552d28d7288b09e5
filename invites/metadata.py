"""Limits of an invite's `metadata`: how deep it may nest and how large it may be.

Metadata is free-form, but not unbounded: a document nested a few hundred levels deep
makes the JSON encoders of Python and the database drivers recurse until they fail,
and a large one costs every read of the invite. Both limits are checked by walking the
value without recursion, before anything encodes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# The object itself is level 1: {"team": {"name": "x"}} is 2 levels deep.
MAX_METADATA_DEPTH = 10
# As compact JSON in UTF-8.
MAX_METADATA_BYTES = 16 * 1024


def metadata_depth(value: Any) -> int:
    """How many levels of objects and lists `value` nests (a scalar is 0)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def validate_metadata(value: Any) -> None:
    """Raise `ValidationError` when `value` nests or weighs more than the limits allow."""
    if metadata_depth(value) > MAX_METADATA_DEPTH:
        raise ValidationError(
            _("Metadata may be nested at most %(limit)d levels deep."),
            code="max_depth",
            params={"limit": MAX_METADATA_DEPTH},
        )
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_METADATA_BYTES:
        raise ValidationError(
            _("Metadata may take at most %(limit)d bytes as JSON."),
            code="max_size",
            params={"limit": MAX_METADATA_BYTES},
        )
