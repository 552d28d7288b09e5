"""The background task that emails a batch of invites their links.

Its arguments are `"<invite id>:<token digest>"` strings, never raw tokens: each token is
rebuilt from its invite row when the task runs (see `invites.tokens`). Delivery is
idempotent, keyed on (invite, current digest): an invite that moved on since it was
queued (refreshed, accepted, deleted, expired) or whose current link already went out
(`sent_at` set) is skipped.

A run, for one batch:

1. In one transaction: load the batch's invites in one query, locking their rows; skip
   those that moved on; defer those emailed within `INVITES["EMAIL_COOLDOWN"]` to a
   task due when it ends; build the messages of the rest and stamp `last_emailed_at`.
   The messages are built under the row lock, so no refresh can revoke a link between
   the check and the build: no email carries a link that was dead when it was built.
2. After the commit, send the messages over one mail connection.
3. Set `sent_at` on the invites whose message went out, unless a refresh replaced the
   link meanwhile (the new link is then unsent, and its own task is queued).

Failures (SMTP errors, timeouts, refused connections) never escape the task: when the
backend can run tasks later (`supports_defer`, e.g. django-tasks-db) the failed invites
are queued again as one task after the next of `INVITES["EMAIL_RETRY_DELAYS"]`
(state `retrying`); otherwise, and after the last retry, they are `failed` and
`send_invite_emails` finds them. Every write about a link (its retry time, its state,
its failure) is keyed on the link, never on the invite alone (see
`invites.delivery_state`). Each run logs one summary line with its counts.

A worker killed between sending and step 3 leaves invites that were emailed with
`sent_at` null: `send_invite_emails` queues them again, so at most one batch of emails
goes out twice. Nothing is lost.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import smtplib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.core.mail import EmailMessage
from django.db import DatabaseError, OperationalError, router, transaction
from django.utils import timezone

from invites import delivery_state
from invites.conf import invites_settings
from invites.emails import KINDS, EmailKind, build_invite_message, open_mail_connection
from invites.models import DeliveryStatus, Invite
from invites.tasks_compat import task
from invites.tokens import rebuild_token

logger = logging.getLogger(__name__)

DELIVERY_ERRORS = (smtplib.SMTPException, OSError)
CLAIM_ATTEMPTS = 3
DEADLOCK_SQLSTATE = "40P01"


class Outcome:
    """What a run did for one invite; a batch task returns how many had each."""

    SENT = "sent"
    SKIPPED_MISSING = "skipped: invite not found"
    SKIPPED_DELETED = "skipped: invite deleted"
    SKIPPED_ACCEPTED = "skipped: invite accepted"
    SKIPPED_EXPIRED = "skipped: invite expired"
    SKIPPED_STALE = "skipped: token refreshed since"
    SKIPPED_SENT = "skipped: link already sent"
    DEFERRED = "deferred: emailed within the cooldown"
    UNREBUILDABLE = "failed: token cannot be rebuilt"
    RETRYING = "failed: retry queued"
    FAILED = "failed: delivery error"


@task()
def deliver_invite_emails(invites: list[str], kind: EmailKind, attempt: int = 1) -> dict[str, int]:
    """Email each `"<invite id>:<token digest>"` its link, unless it moved on since queued."""
    outcomes = deliver(invites, kind, attempt)
    return dict(Counter(outcomes.values()))


@task()
def deliver_invite_email(invite_id: str, token_hash: str, kind: EmailKind, attempt: int = 1) -> str:
    """One invite's email; tasks queued before batching still run through here."""
    return deliver([f"{invite_id}:{token_hash}"], kind, attempt)[invite_id]


@dataclass
class Run:
    """One run over a batch: what each invite came to, and what is left to send."""

    kind: EmailKind
    attempt: int
    outcomes: dict[str, str] = field(default_factory=dict)
    messages: list[tuple[Invite, EmailMessage]] = field(default_factory=list)
    # The `last_emailed_at` each claimed invite had, restored when its send fails.
    previous: dict[Invite, datetime | None] = field(default_factory=dict)
    # Why each failed invite failed (error class and SMTP code), for the summary.
    reasons: Counter[str] = field(default_factory=Counter)
    retry_in: timedelta | None = None


def deliver(items: list[str], kind: EmailKind, attempt: int = 1) -> dict[str, str]:
    """Run one batch; return `{invite id: Outcome}` in the given order."""
    if kind not in KINDS:
        raise ValueError(f"Unknown invite email kind: {kind!r}.")
    wanted = {}
    for item in items:
        invite_id, _colon, digest = str(item).partition(":")
        wanted[invite_id] = digest
    using = router.db_for_write(Invite)
    for claim_attempt in range(1, CLAIM_ATTEMPTS + 1):
        run = Run(kind=kind, attempt=attempt)
        try:
            with transaction.atomic(using=using):
                _claim(run, wanted, using)
        except OperationalError as error:
            # A bulk refresh locks rows in its own order; PostgreSQL breaks the deadlock
            # by aborting one side, and the claim (which wrote nothing yet) runs again.
            if claim_attempt == CLAIM_ATTEMPTS or not _is_deadlock(error):
                raise
            logger.warning("Claiming a batch of invite emails hit a deadlock; retrying.")
        else:
            break
    if run.messages:
        _send(run, using)
    for invite_id, outcome in run.outcomes.items():
        logger.debug("Invite email for %s: %s (attempt %d).", invite_id, outcome, attempt)
    _log_summary(run)
    return {invite_id: run.outcomes[invite_id] for invite_id in wanted}


def _claim(run: Run, wanted: dict[str, str], using: str) -> None:
    """Lock, check, defer or build: step 1 of a run."""
    parsed = {invite_id: _parse_uuid(invite_id) for invite_id in wanted}
    rows = {
        str(invite.pk): invite
        for invite in Invite.all_objects.using(using)
        .select_for_update(of=("self",))
        .select_related("invited_by")
        .filter(pk__in=[pk for pk in parsed.values() if pk is not None])
        .order_by("pk")  # one lock order among workers: they never deadlock each other
    }
    now = timezone.now()
    cooldown = invites_settings.EMAIL_COOLDOWN
    can_defer = cooldown > timedelta(0) and deliver_invite_emails.get_backend().supports_defer
    deferred: list[tuple[Invite, datetime]] = []
    unrebuildable: dict[Invite, str] = {}
    for invite_id, digest in wanted.items():
        invite = rows.get(str(parsed[invite_id])) if parsed[invite_id] else None
        if invite is None:
            run.outcomes[invite_id] = Outcome.SKIPPED_MISSING
            continue
        reason = _skip_reason(invite, digest)
        if reason is not None:
            run.outcomes[invite_id] = reason
        elif can_defer and invite.last_emailed_at and invite.last_emailed_at + cooldown > now:
            deferred.append((invite, invite.last_emailed_at + cooldown))
            run.outcomes[invite_id] = Outcome.DEFERRED
        else:
            token = rebuild_token(invite)
            if token is None:
                # SECRET_KEY changed without the old key in SECRET_KEY_FALLBACKS.
                unrebuildable[invite] = "SecretKeyMismatch"
                run.outcomes[invite_id] = Outcome.UNREBUILDABLE
                continue
            run.messages.append((invite, build_invite_message(invite, token, kind=run.kind)))
            run.previous[invite] = invite.last_emailed_at

    if run.messages:
        delivery_state.of_links(run.previous, using=using).update(
            last_emailed_at=now, updated_at=now
        )
    if unrebuildable:
        delivery_state.record_failures(unrebuildable, DeliveryStatus.FAILED, using=using)
    if deferred:
        # One task for the batch, due when the last of its cooldowns ends: none of them
        # gets a second email within its cooldown, and every one gets its newest link.
        due = max(when for _invite, when in deferred)
        invites = [invite for invite, _when in deferred]
        delivery_state.record_deferred(invites, due=due, using=using)
        _enqueue(invites, run.kind, run.attempt, due)


def _send(run: Run, using: str) -> None:
    """Steps 2 and 3: send over one connection, record, retry the failures."""
    sent: list[Invite] = []
    failed: dict[Invite, str] = {}
    connection = open_mail_connection()
    is_open = False
    try:
        for number, (invite, message) in enumerate(run.messages):
            try:
                # Opened here, never by the backend itself: it would close a connection
                # of its own after the message, and a failed close would count a
                # message the server accepted as failed.
                if not is_open:
                    connection.open()
                    is_open = True
            except DELIVERY_ERRORS as error:
                # The server cannot be reached: the rest of the batch waits for the retry.
                for later, _message in run.messages[number:]:
                    failed[later] = _describe(error)
                break
            try:
                connection.send_messages([message])
            except DELIVERY_ERRORS as error:
                failed[invite] = _describe(error)
                # The connection may be half-broken: the next message opens a new one.
                _close_quietly(connection)
                is_open = False
            else:
                sent.append(invite)
    finally:
        _close_quietly(connection)

    if sent:
        # Keyed on the digest each email was built from: a refresh that committed
        # while it went out leaves a newer, unsent link that must stay unmarked.
        delivery_state.record_sent(sent, now=timezone.now(), using=using)
        for invite in sent:
            run.outcomes[str(invite.pk)] = Outcome.SENT
    if failed:
        _handle_failures(run, failed, using)


def _handle_failures(run: Run, failed: dict[Invite, str], using: str) -> None:
    run.reasons.update(failed.values())
    # Nothing went out, so the cooldown is not used up.
    delivery_state.restore_last_emailed(
        {invite: run.previous[invite] for invite in failed}, using=using
    )
    delays = invites_settings.EMAIL_RETRY_DELAYS
    if run.attempt <= len(delays) and deliver_invite_emails.get_backend().supports_defer:
        delay = delays[run.attempt - 1]
        due = timezone.now() + delay
        try:
            with transaction.atomic(using=using):
                delivery_state.record_failures(
                    failed, DeliveryStatus.RETRYING, due=due, using=using
                )
                _enqueue(list(failed), run.kind, run.attempt + 1, due)
        except Exception:
            # The queue itself failed (database down?): `send_invite_emails` finds them.
            logger.exception("Could not queue a retry of %d invite emails.", len(failed))
        else:
            run.retry_in = delay
            for invite in failed:
                run.outcomes[str(invite.pk)] = Outcome.RETRYING
            return
    with contextlib.suppress(DatabaseError):
        # Unrecorded, the invites still show `queued`; `send_invite_emails` finds them.
        delivery_state.record_failures(failed, DeliveryStatus.FAILED, using=using)
    for invite in failed:
        run.outcomes[str(invite.pk)] = Outcome.FAILED


def _enqueue(invites: list[Invite], kind: EmailKind, attempt: int, due: datetime) -> None:
    """Queue `invites` (their current links) again as one task due at `due`."""
    deliver_invite_emails.using(run_after=due).enqueue(
        [f"{invite.pk}:{invite.token_hash}" for invite in invites], kind, attempt
    )


def _log_summary(run: Run) -> None:
    """One line per run: how many invites came to what, and why the failures failed.

    Only the errors' classes and SMTP codes: a server's reply text may quote the
    message, and with it the link.
    """
    counts = Counter(run.outcomes.values())
    if not counts:
        return
    sent, retrying, failed = (counts[o] for o in (Outcome.SENT, Outcome.RETRYING, Outcome.FAILED))
    failed += counts[Outcome.UNREBUILDABLE]
    deferred = counts[Outcome.DEFERRED]
    skipped = sum(counts.values()) - sent - retrying - failed - deferred
    parts = [f"{sent} sent", f"{retrying} retrying", f"{failed} failed"]
    parts += [f"{deferred} deferred", f"{skipped} skipped"]
    message = f"Invite emails ({run.kind}, attempt {run.attempt}): {', '.join(parts)}"
    if run.reasons:
        errors = ", ".join(f"{reason}: {n}" for reason, n in run.reasons.most_common())
        message += f"; errors: {errors}"
    if run.retry_in is not None:
        message += f"; retry in {run.retry_in}"
    if counts[Outcome.UNREBUILDABLE]:
        message += (
            f"; {counts[Outcome.UNREBUILDABLE]} tokens cannot be rebuilt by any configured "
            "secret key (SECRET_KEY changed without SECRET_KEY_FALLBACKS?)"
        )
    if failed:
        first = next(
            i for i, o in run.outcomes.items() if o in (Outcome.FAILED, Outcome.UNREBUILDABLE)
        )
        message += (
            f"; the failed ones (first: {first}) wait until send_invite_emails or "
            "refresh_invites queues them"
        )
    level = logging.ERROR if failed else logging.WARNING if retrying else logging.INFO
    logger.log(level, "%s.", message)


def _skip_reason(invite: Invite, token_hash: str) -> str | None:
    if invite.is_deleted:
        return Outcome.SKIPPED_DELETED
    if invite.accepted:
        return Outcome.SKIPPED_ACCEPTED
    if not hmac.compare_digest(invite.token_hash, token_hash):
        return Outcome.SKIPPED_STALE
    if invite.is_expired:
        return Outcome.SKIPPED_EXPIRED
    if invite.sent_at is not None:
        return Outcome.SKIPPED_SENT
    return None


def _is_deadlock(error: OperationalError) -> bool:
    return getattr(error.__cause__, "sqlstate", None) == DEADLOCK_SQLSTATE


def _parse_uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except (TypeError, ValueError, AttributeError):
        return None


def _describe(error: Exception) -> str:
    reason = type(error).__name__
    code = getattr(error, "smtp_code", None)
    return reason if code is None else f"{reason} {code}"


def _close_quietly(connection: Any) -> None:
    # Closing a connection the server already dropped: nothing is left to release.
    with contextlib.suppress(*DELIVERY_ERRORS):
        connection.close()


def retry_delay(attempt: int) -> timedelta | None:
    """How long to wait after failed attempt number `attempt` (1-based); None: no retry."""
    delays = invites_settings.EMAIL_RETRY_DELAYS
    return delays[attempt - 1] if 1 <= attempt <= len(delays) else None
