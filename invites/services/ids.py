"""Invite ids as callers give them: parsed, kept in order, looked up and locked."""

from __future__ import annotations

import re
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from invites import bulk
from invites.exceptions import (
    InviteNotFound,
)
from invites.models import Invite

UUID_RE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}", re.IGNORECASE
)


@dataclass
class RequestedIds:
    """The ids a caller passed: parsed, de-duplicated, with their original spelling."""

    uuids: list[UUID] = field(default_factory=list)
    given: dict[UUID, Any] = field(default_factory=dict)
    # Every distinct value in first-occurrence order, parsed (UUID) or not (None).
    order: list[tuple[Any, UUID | None]] = field(default_factory=list)

    def missing(self, found: Container[UUID]) -> list[Any]:
        """The caller's values that are malformed or not among `found`, in given order."""
        return [value for value, uuid in self.order if uuid is None or uuid not in found]


def parse_ids(invite_ids: Iterable[Any]) -> RequestedIds:
    if isinstance(invite_ids, (str, bytes, UUID)):
        raise TypeError("invite_ids must be an iterable of ids, not a single id.")
    requested = RequestedIds()
    seen: set[Any] = set()
    for value in invite_ids:
        uuid = parse_invite_id(value)
        key: Any = uuid if uuid is not None else ("malformed", repr(value))
        if key in seen:
            continue
        seen.add(key)
        requested.order.append((value, uuid))
        if uuid is not None:
            requested.uuids.append(uuid)
            requested.given[uuid] = value
    return requested


def parse_invite_id(value: Any) -> UUID | None:
    """An invite id as the services read it (a UUID, or its canonical or 32-hex-digit
    spelling), or None for anything malformed."""
    if isinstance(value, UUID):
        return value
    if isinstance(value, str) and UUID_RE.fullmatch(value):
        return UUID(value)
    return None


def lock_requested(requested: RequestedIds) -> dict[UUID, Invite]:
    """Lock the live invites asked for; raise `InviteNotFound` naming every other id."""
    found = bulk.lock_live_invites(requested.uuids)
    missing = requested.missing(found)
    if missing:
        raise InviteNotFound(missing)
    return found
