"""Queueing invite emails: one task per batch of invites, committed with the caller's write.

The services call `queue_invite_emails` inside the transaction that mints the tokens.
When the task queue is a table of the same database (django-tasks-db's backend), the
tasks are written in that transaction: they commit with the new tokens or roll back
with them, and a process killed right after the commit has queued every email. Any
other backend gets its tasks after the commit (an immediate backend must not send a
link that could still roll back); a process killed in between leaves invites whose
`sent_at` is null and whose `queued_at` ages, which `send_invite_emails` queues again.

Task arguments are `"<invite id>:<token digest>"` strings, never raw tokens (one string
per invite rather than a pair: the task framework walks its arguments several times
per enqueue, and that walk was most of the cost of queueing).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import DatabaseError, router, transaction
from django.db.models import Q
from django.utils import timezone

from invites.bulk import chunked
from invites.conf import invites_settings
from invites.emails import KINDS, EmailKind
from invites.models import DeliveryStatus, Invite
from invites.tasks import deliver_invite_emails

logger = logging.getLogger(__name__)

# Invites per task: the writes of a bulk queueing grow with N / EMAIL_BATCH_SIZE, and a
# worker killed mid-batch re-sends at most this many emails.
EMAIL_BATCH_SIZE = 200


def queue_invite_emails(
    invites: Sequence[Invite],
    kind: EmailKind,
    *,
    using: str = "default",
    run_after: datetime | None = None,
) -> None:
    """Queue the emails of `invites` (their current links), `EMAIL_BATCH_SIZE` per task.

    Call it inside the transaction that minted the tokens: the tasks commit with it on
    the database queue, and are queued right after the commit on any other backend.
    A queue that refuses a task (a misconfigured queue name, a backend that is down) is
    logged, never raised: the invites stay findable by `send_invite_emails`. A database
    error while writing the task rows inside the caller's transaction is raised: that
    transaction is unusable, and the whole call rolls back, tokens and emails together.
    """
    batches = [
        [task_argument(invite) for invite in chunk] for chunk in chunked(invites, EMAIL_BATCH_SIZE)
    ]
    if not batches:
        return
    if queue_is_transactional(using):
        for batch in batches:
            _enqueue(batch, kind, run_after=run_after, in_transaction=True)
    else:

        def enqueue_all() -> None:
            for batch in batches:
                _enqueue(batch, kind, run_after=run_after, in_transaction=False)

        transaction.on_commit(enqueue_all, using=using)


def task_argument(invite: Invite) -> str:
    """What a task carries for one invite: `"<id>:<digest>"` of the link to send."""
    return f"{invite.pk}:{invite.token_hash}"


def queue_is_transactional(using: str = "default") -> bool:
    """Whether the email task's backend writes its tasks into the `using` database."""
    try:
        from django_tasks_db.backend import DatabaseBackend
    except ImportError:  # pragma: no cover - the `[db]` extra is not installed
        return False
    if not isinstance(deliver_invite_emails.get_backend(), DatabaseBackend):
        return False
    from django_tasks_db.models import DBTaskResult

    return bool(router.db_for_write(DBTaskResult) == using)


def _enqueue(
    batch: list[str],
    kind: EmailKind,
    *,
    run_after: datetime | None,
    in_transaction: bool,
) -> None:
    task: Any = deliver_invite_emails
    if run_after is not None:
        task = task.using(run_after=run_after)
    try:
        # No savepoint around it: one per batch cost as much as the INSERT itself.
        task.enqueue(batch, kind)
    except Exception as error:
        if in_transaction and isinstance(error, DatabaseError):
            raise
        # The queue refused (misconfigured, or down): the tokens stand, and
        # `send_invite_emails` finds these invites once `queued_at` is stale.
        logger.exception(
            "Could not queue the emails of %d invites (first: %s).",
            len(batch),
            batch[0].partition(":")[0],
        )


def email_kind(invite: Invite) -> EmailKind:
    """`created` while the invite still has the token minted with it, else `resent`.

    A refresh moves `expires_at` to its own time plus `VALID_DURATION`; creation sets
    `expires_at` to `created_at` plus it. Should the setting change in between, the
    email says "resent", which is still true of a link that was meant to be sent.
    """
    if invite.expires_at - invite.created_at == invites_settings.VALID_DURATION:
        return "created"
    return "resent"


def unsent_invites(stale_after: timedelta, *, now: datetime) -> Any:
    """Live, pending invites whose current link is unsent and not queued since `stale_after`.

    A link in backoff or deferred by the cooldown has `queued_at` in the future (when
    its next attempt is due), so it counts as queued within any positive `stale_after`;
    a zero `stale_after` takes every unsent link, whatever is due when.
    """
    unsent = Invite.objects.pending().filter(sent_at__isnull=True)
    if stale_after > timedelta(0):
        unsent = unsent.filter(Q(queued_at__isnull=True) | Q(queued_at__lte=now - stale_after))
    return unsent.only("pk", "token_hash", "expires_at", "created_at", "accepted")


def unsent_invites_of(invite_ids: Iterable[Any]) -> Any:
    """The live, pending invites among `invite_ids` whose current link is unsent."""
    ids = [value for value in map(_uuid_or_none, invite_ids) if value is not None]
    return unsent_invites(timedelta(0), now=timezone.now()).filter(pk__in=ids)


def _uuid_or_none(value: Any) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        return None


def requeue(invites: Iterable[Invite], *, now: datetime) -> int:
    """Queue the email of each invite's current link again and stamp `queued_at`.

    One transaction per batch; returns how many were queued. Each batch is queued by
    kind (`created` or `resent`) so the email says what happened.
    """
    queued = 0
    for chunk in chunked(list(invites), EMAIL_BATCH_SIZE):
        with transaction.atomic():
            # Only rows still unsent with the same link: a refresh or a worker may have
            # moved on since they were selected.
            for kind in KINDS:
                of_kind = [invite for invite in chunk if email_kind(invite) == kind]
                if not of_kind:
                    continue
                Invite.all_objects.filter(
                    pk__in=[invite.pk for invite in of_kind],
                    token_hash__in=[invite.token_hash for invite in of_kind],
                    sent_at__isnull=True,
                ).update(queued_at=now, updated_at=now, delivery_status=DeliveryStatus.QUEUED)
                queue_invite_emails(of_kind, kind)
                queued += len(of_kind)
    return queued
