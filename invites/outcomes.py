"""What a run of the email task came to per invite, and its one-line summary."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta


class Outcome:
    """What a run did for one invite; a batch task returns how many had each."""

    SENT = "sent"
    SKIPPED_MISSING = "skipped: invite not found"
    SKIPPED_DELETED = "skipped: invite deleted"
    SKIPPED_ACCEPTED = "skipped: invite accepted"
    SKIPPED_DECLINED = "skipped: invite declined"
    SKIPPED_EXPIRED = "skipped: invite expired"
    SKIPPED_STALE = "skipped: token refreshed since"
    SKIPPED_SENT = "skipped: link already sent"
    DEFERRED = "deferred: emailed within the cooldown"
    UNREBUILDABLE = "failed: token cannot be rebuilt"
    RETRYING = "failed: retry queued"
    FAILED = "failed: delivery error"


def summary(
    kind: str,
    attempt: int,
    outcomes: Mapping[str, str],
    *,
    reasons: Counter[str],
    retry_in: timedelta | None,
) -> tuple[int, str]:
    """`(log level, line)` for a run: its counts, and the errors by class and SMTP code.

    Only the errors' classes and codes: a server's reply text may quote the message,
    and with it the link. INFO when all went out, WARNING with retries, ERROR with
    failures; an empty line for an empty run.
    """
    counts = Counter(outcomes.values())
    if not counts:
        return logging.DEBUG, ""
    sent, retrying, failed = (counts[o] for o in (Outcome.SENT, Outcome.RETRYING, Outcome.FAILED))
    failed += counts[Outcome.UNREBUILDABLE]
    deferred = counts[Outcome.DEFERRED]
    skipped = sum(counts.values()) - sent - retrying - failed - deferred
    parts = [f"{sent} sent", f"{retrying} retrying", f"{failed} failed"]
    parts += [f"{deferred} deferred", f"{skipped} skipped"]
    message = f"Invite emails ({kind}, attempt {attempt}): {', '.join(parts)}"
    if reasons:
        errors = ", ".join(f"{reason}: {n}" for reason, n in reasons.most_common())
        message += f"; errors: {errors}"
    if retry_in is not None:
        message += f"; retry in {retry_in}"
    if counts[Outcome.UNREBUILDABLE]:
        message += (
            f"; {counts[Outcome.UNREBUILDABLE]} tokens cannot be rebuilt by any configured "
            "secret key (SECRET_KEY changed without SECRET_KEY_FALLBACKS?)"
        )
    if failed:
        first = next(i for i, o in outcomes.items() if o in (Outcome.FAILED, Outcome.UNREBUILDABLE))
        message += (
            f"; the failed ones (first: {first}) wait until send_invite_emails or "
            "refresh_invites queues them"
        )
    level = logging.ERROR if failed else logging.WARNING if retrying else logging.INFO
    return level, message
