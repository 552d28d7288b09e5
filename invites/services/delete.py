"""Delete (soft) invites."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from invites import bulk, signals
from invites.models import Invite
from invites.services.ids import lock_requested, parse_ids


def delete_invites(invite_ids: Iterable[UUID | str]) -> None:
    """Soft-delete invites: their email is free again and their token stops working."""
    requested = parse_ids(invite_ids)
    if not requested.order:
        return
    with transaction.atomic():
        found = lock_requested(requested)
        now = timezone.now()
        for chunk in bulk.chunked(requested.uuids, bulk.in_clause_chunk_size()):
            pks = bulk.values_in(chunk, bulk.invite_field("id"))
            Invite.all_objects.filter(pk__in=pks).update(deleted_at=now, updated_at=now)
        invites = [found[uuid] for uuid in requested.uuids]
        for invite in invites:
            invite.deleted_at = now
            invite.updated_at = now
        signals.send_on_commit(signals.invite_deleted, Invite, ({"invite": i} for i in invites))
