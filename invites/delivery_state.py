"""What happened to the email of each invite's current link, recorded on the invite.

Every write here is keyed on (invite id, token digest): a task, a retry or a bounce
is always about one link, and a refresh that replaced the link meanwhile leaves a new
link whose state is its own (`queued`, nothing sent). Writing by id alone would put an
old link's retry time or failure on the new link, which then looks handled and is lost.

The states (`DeliveryStatus`): `not_sent` (minted with emails off), `queued`, `sent`,
`retrying` (a failed attempt, another one due), `failed` (no retry left:
`send_invite_emails` or a refresh queues it again), `bounced` (the provider reported
it undeliverable; see `invites.contrib.anymail`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db.models import Count, F
from django.utils import timezone

from invites.models import DeliveryStatus, Invite

# Longest `delivery_error` stored: the column's length.
MAX_ERROR_LENGTH = 200


def of_links(invites: Iterable[Invite], *, using: str = "default") -> Any:
    """The rows of `invites` that still carry the link each instance has.

    Token digests are unique, so no row matches one invite's id and another's digest.
    """
    invites = list(invites)
    return Invite.all_objects.using(using).filter(
        pk__in=[invite.pk for invite in invites],
        token_hash__in=[invite.token_hash for invite in invites],
    )


def record_sent(invites: Iterable[Invite], *, now: datetime, using: str = "default") -> None:
    """The email of each link went to the email backend."""
    of_links(invites, using=using).update(
        sent_at=now,
        updated_at=now,
        delivery_status=DeliveryStatus.SENT,
        delivery_attempts=F("delivery_attempts") + 1,
        delivery_error="",
    )


def record_failures(
    failed: Mapping[Invite, str],
    status: DeliveryStatus,
    *,
    due: datetime | None = None,
    using: str = "default",
) -> None:
    """A failed attempt for each link (its reason): `retrying` at `due`, or `failed`.

    Only links still unsent: another task for the same link may have sent it meanwhile,
    and a bounce report is not undone by a late failure.
    """
    by_reason: dict[str, list[Invite]] = defaultdict(list)
    for invite, reason in failed.items():
        by_reason[reason[:MAX_ERROR_LENGTH]].append(invite)
    now = timezone.now()
    for reason, invites in by_reason.items():
        changes: dict[str, Any] = {
            "delivery_status": status,
            "delivery_attempts": F("delivery_attempts") + 1,
            "delivery_error": reason,
            "updated_at": now,
        }
        if due is not None:
            # `send_invite_emails` (but with --stale-after 0s) leaves it to the retry.
            changes["queued_at"] = due
        of_links(invites, using=using).filter(sent_at__isnull=True).update(**changes)


def record_deferred(invites: Iterable[Invite], *, due: datetime, using: str = "default") -> None:
    """Each link's email waits for its cooldown: queued again for `due`."""
    of_links(invites, using=using).filter(sent_at__isnull=True).update(queued_at=due)


def restore_last_emailed(
    previous: Mapping[Invite, datetime | None], *, using: str = "default"
) -> None:
    """Undo a claim's `last_emailed_at` where nothing went out: no cooldown was used.

    Keyed on the link too: an invite refreshed since keeps the stamp, so its new link
    waits at most one cooldown, and never loses its email.
    """
    by_value: dict[datetime | None, list[Invite]] = defaultdict(list)
    for invite, value in previous.items():
        by_value[value].append(invite)
    for value, invites in by_value.items():
        of_links(invites, using=using).update(last_emailed_at=value)


def mark_bounced(invite_id: Any, token_hash: str, reason: str) -> bool:
    """Record that the provider could not deliver this link's email; False if it moved on."""
    updated = Invite.all_objects.filter(pk=invite_id, token_hash=token_hash).update(
        delivery_status=DeliveryStatus.BOUNCED,
        delivery_error=reason[:MAX_ERROR_LENGTH],
        updated_at=timezone.now(),
    )
    return bool(updated)


def status_counts() -> dict[str, int]:
    """How many pending (live, open, unexpired) invites are in each delivery state."""
    counts = dict.fromkeys(DeliveryStatus.values, 0)
    rows = Invite.objects.pending().values("delivery_status").annotate(count=Count("pk"))
    for row in rows.order_by():
        counts[row["delivery_status"]] = row["count"]
    return counts
