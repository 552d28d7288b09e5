"""The background task that emails one invite its link.

Its arguments are the invite id and the digest of the token it was queued for, never
the raw token: the token is rebuilt from the invite row when the task runs (see
`invites.tokens`). Before sending, the task checks that the invite is still live,
not accepted, not expired, and still has that digest; a refresh in between moves the
digest on, so a burst of refreshes of one invite emails at most the newest link.

Delivery failures (SMTP errors, timeouts, refused connections) never escape the task:
when the task backend can run a task later (`supports_defer`, e.g. django-tasks-db)
the task queues itself again with a growing delay, up to `MAX_ATTEMPTS`; otherwise,
and after the last attempt, the failure is logged and the invite waits for the next
`refresh_invites` run.

Once the email is handed to the email backend, the invite's `sent_at` is set, unless
a refresh replaced the link meanwhile.
"""

from __future__ import annotations

import hmac
import logging
import smtplib
from datetime import timedelta

from django.utils import timezone

from invites.emails import KINDS, EmailKind, send_invite_email
from invites.models import Invite
from invites.tasks_compat import task
from invites.tokens import rebuild_token

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
# Delay before attempt n + 1 (n = 1, 2, 3): 1, 4, then 16 minutes.
RETRY_BASE_DELAY = timedelta(minutes=1)
RETRY_FACTOR = 4

DELIVERY_ERRORS = (smtplib.SMTPException, OSError)


class Outcome:
    """What a run of `deliver_invite_email` did; stored as the task's return value."""

    SENT = "sent"
    SKIPPED_MISSING = "skipped: invite not found"
    SKIPPED_DELETED = "skipped: invite deleted"
    SKIPPED_ACCEPTED = "skipped: invite accepted"
    SKIPPED_EXPIRED = "skipped: invite expired"
    SKIPPED_STALE = "skipped: token refreshed since"
    UNREBUILDABLE = "failed: token cannot be rebuilt"
    RETRYING = "failed: retry queued"
    FAILED = "failed: delivery error"


@task()
def deliver_invite_email(invite_id: str, token_hash: str, kind: EmailKind, attempt: int = 1) -> str:
    """Email the invite its accept link, unless it moved on since `token_hash` was queued."""
    if kind not in KINDS:
        raise ValueError(f"Unknown invite email kind: {kind!r}.")
    invite = Invite.all_objects.filter(pk=invite_id).select_related("invited_by").first()
    if invite is None:
        return _skipped(invite_id, Outcome.SKIPPED_MISSING)
    reason = _skip_reason(invite, token_hash)
    if reason is not None:
        return _skipped(invite_id, reason)

    token = rebuild_token(invite)
    if token is None:
        # SECRET_KEY changed without the old key in SECRET_KEY_FALLBACKS.
        logger.error(
            "Invite email for %s not sent: no configured secret key rebuilds its token.",
            invite_id,
        )
        return Outcome.UNREBUILDABLE

    try:
        send_invite_email(invite, token, kind=kind)
    except DELIVERY_ERRORS as error:
        return _handle_delivery_error(invite_id, token_hash, kind, attempt, error)
    _mark_sent(invite)
    logger.debug("Invite email for %s sent (%s, attempt %d).", invite_id, kind, attempt)
    return Outcome.SENT


def _mark_sent(invite: Invite) -> None:
    """Record that the email with the invite's current link went to the email backend.

    Keyed on the digest the email's token was built from: when a refresh committed
    while the email was going out, the row holds a newer link that was not sent, and
    it must stay unmarked.
    """
    now = timezone.now()
    Invite.all_objects.filter(pk=invite.pk, token_hash=invite.token_hash).update(
        sent_at=now, updated_at=now
    )


def _skipped(invite_id: str, reason: str) -> str:
    logger.debug("Invite email for %s not sent (%s).", invite_id, reason)
    return reason


def _skip_reason(invite: Invite, token_hash: str) -> str | None:
    if invite.is_deleted:
        return Outcome.SKIPPED_DELETED
    if invite.accepted:
        return Outcome.SKIPPED_ACCEPTED
    if not hmac.compare_digest(invite.token_hash, token_hash):
        return Outcome.SKIPPED_STALE
    if invite.is_expired:
        return Outcome.SKIPPED_EXPIRED
    return None


def retry_delay(attempt: int) -> timedelta:
    """How long to wait after failed attempt number `attempt` (1-based)."""
    return RETRY_BASE_DELAY * RETRY_FACTOR ** (attempt - 1)


def _handle_delivery_error(
    invite_id: str, token_hash: str, kind: EmailKind, attempt: int, error: Exception
) -> str:
    # Only the error's class and SMTP code are logged: a server's reply text may quote
    # the message, and with it the link.
    reason = type(error).__name__
    code = getattr(error, "smtp_code", None)
    if code is not None:
        reason = f"{reason} {code}"

    backend = deliver_invite_email.get_backend()
    if attempt < MAX_ATTEMPTS and backend.supports_defer:
        delay = retry_delay(attempt)
        try:
            deliver_invite_email.using(run_after=timezone.now() + delay).enqueue(
                invite_id, token_hash, kind, attempt + 1
            )
        except Exception:
            # The queue itself failed (database down?): log it, the worker goes on.
            logger.exception("Could not queue a retry of the invite email for %s.", invite_id)
        else:
            logger.warning(
                "Invite email for %s failed (%s, attempt %d of %d); retrying in %s.",
                invite_id,
                reason,
                attempt,
                MAX_ATTEMPTS,
                delay,
            )
            return Outcome.RETRYING
    logger.error(
        "Invite email for %s failed (%s, attempt %d); giving up until the next "
        "refresh_invites run.",
        invite_id,
        reason,
        attempt,
    )
    return Outcome.FAILED
