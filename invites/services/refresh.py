"""Refresh (resend): a new token and expiry for one or many invites."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from uuid import UUID

from django.db import OperationalError, transaction
from django.utils import timezone

from invites import bulk, delivery, signals
from invites.conf import invites_settings
from invites.exceptions import (
    InviteAlreadyAccepted,
    InviteDeclined,
    InviteNotFound,
)
from invites.models import Invite
from invites.services.ids import RequestedIds, parse_ids
from invites.tokens import mint_tokens

logger = logging.getLogger(__name__)


# Two overlapping bulk refreshes can deadlock: the UPDATE takes its row locks in the
# order its join yields rows, which is not always the id order (a small table is
# scanned in storage order). PostgreSQL then aborts one of them after
# `deadlock_timeout`; a call that owns its transaction simply runs again.
DEADLOCK_ATTEMPTS = 3
DEADLOCK_SQLSTATE = "40P01"


def refresh_invite_tokens(invite_ids: Iterable[UUID | str]) -> list[Invite]:
    """Give each invite a new token and expiry, revoking the old token; send `invite_resent`.

    Medusa's `refreshInviteTokensWorkflow`. Returns the invites in the order first
    given (duplicates collapsed), each with `invite.token` set to its new raw token.
    Raises `InviteNotFound`, then `InviteAlreadyAccepted`, then `InviteDeclined`, each
    naming every such id; nothing changes then.
    """
    # Thousands of ids, tokens and instances are made and kept: the cyclic collector
    # would walk them again and again for nothing (see `bulk.gc_paused`).
    with bulk.gc_paused():
        requested = parse_ids(invite_ids)
    if not requested.order:
        return []
    for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
        try:
            with bulk.gc_paused():
                return _refresh(requested)
        except OperationalError as error:
            if attempt == DEADLOCK_ATTEMPTS or not _is_retryable_deadlock(error):
                raise
            logger.warning("Bulk refresh hit a deadlock (attempt %d); retrying.", attempt)
    raise AssertionError("unreachable")


def _refresh(requested: RequestedIds) -> list[Invite]:
    now = timezone.now()
    expires_at = now + invites_settings.VALID_DURATION
    minted = list(mint_tokens(requested.uuids))
    send_emails = invites_settings.SEND_EMAILS
    with transaction.atomic():
        refreshed: dict[UUID, Invite] = {}
        if len(requested.uuids) == len(requested.order):  # no malformed id: try the write
            refreshed = bulk.refresh_tokens(
                requested.uuids,
                minted,
                expires_at=expires_at,
                now=now,
                queued_at=now if send_emails else None,
            )
        if len(refreshed) < len(requested.order):
            # Raising rolls back whatever the update above wrote.
            _check_refreshable(requested, refreshed)
            # Skipped, yet live and open: cannot happen while the rows are locked.
            raise InviteNotFound(
                [requested.given[u] for u in requested.uuids if u not in refreshed]
            )

        invites = [refreshed[uuid] for uuid in requested.uuids]
        for invite, token in zip(invites, minted, strict=True):
            invite.token = token.token
        if send_emails:
            # In this transaction: on the database queue the emails commit with the tokens.
            delivery.queue_invite_emails(invites, "resent")
        signals.send_on_commit(
            signals.invite_resent,
            Invite,
            ({"invite": invite, "token": invite.token} for invite in invites),
        )
    return invites


def _is_retryable_deadlock(error: OperationalError) -> bool:
    """A deadlock that rolled back only this call's own transaction."""
    is_deadlock = getattr(error.__cause__, "sqlstate", None) == DEADLOCK_SQLSTATE
    # Inside a caller's atomic block the whole transaction is lost: only the caller
    # can run it again.
    return is_deadlock and not transaction.get_connection().in_atomic_block


def check_refreshable(invite_ids: Iterable[UUID | str]) -> list[UUID]:
    """Check ids as `refresh_invite_tokens` would, changing nothing; return them parsed.

    Raises the same `InviteNotFound`, then `InviteAlreadyAccepted`, then
    `InviteDeclined`. For callers that
    refresh in several transactions (the `refresh_invites` command) and must refuse bad
    ids before the first one.
    """
    requested = parse_ids(invite_ids)
    _check_refreshable(requested)
    return requested.uuids


def _check_refreshable(requested: RequestedIds, refreshed: Collection[UUID] = ()) -> None:
    """Name every requested id that cannot be refreshed: not found first, then accepted,
    then declined.

    Ids in `refreshed` are known to be fine and are not looked up again.
    """
    skipped = [uuid for uuid in requested.uuids if uuid not in refreshed]
    closure = bulk.live_closure(skipped)
    missing = requested.missing({*refreshed, *closure})
    if missing:
        raise InviteNotFound(missing)
    accepted = [requested.given[uuid] for uuid in skipped if closure[uuid] == "accepted"]
    if accepted:
        raise InviteAlreadyAccepted(accepted)
    declined = [requested.given[uuid] for uuid in skipped if closure[uuid] == "declined"]
    if declined:
        raise InviteDeclined(declined)
