"""Signals of the invite lifecycle, all sent with `sender=Invite`.

Services send them through `send_on_commit`: once per invite, only after the
surrounding transaction commits (never on rollback), and robustly: a receiver that
raises is logged and neither the caller nor the other receivers notice. The one
exception is `invite_accepting`, sent inside the accept transaction so that a receiver
can write in it, or veto the accept by raising.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

# An invite was created. Keyword arguments: `invite`, `token` (the raw token).
invite_created = Signal()

# An invite's token was refreshed so that it can be sent again (Medusa's
# `invite.resent`). Keyword arguments: `invite`, `token` (the new raw token).
invite_resent = Signal()

# An invite is being accepted, by a new user (`accept_invite`) or an existing one
# (`join_invite`). Unlike the others, this one is sent INSIDE the accept transaction,
# after the adapter's `grant`, with plain `send()`: a receiver that raises rolls the
# whole accept back (no user, no grant, the invite stays open) and the error reaches
# the caller. For integrations that must write in the same transaction (a verified
# email address, an audit row). Keyword arguments: `invite`, `user`, `created`
# (whether the user was made by this accept).
invite_accepting = Signal()

# A browser opened a valid invite link: the accept page showed an invite that can still
# be accepted or joined. Sent on the page's GET (a reload sends it again), outside any
# transaction, robustly. Keyword arguments: `invite`, `request`. The raw token is not
# passed: a receiver that must recognise the link later keeps a digest of
# `invite.token_hash`, which a refresh replaces.
invite_opened = Signal()

# An invite was accepted. Keyword arguments: `invite`, `user`, `created` (whether a new
# user was made: True for `accept_invite`, False for `join_invite`).
invite_accepted = Signal()

# The invitee declined an invite. Keyword arguments: `invite`.
invite_declined = Signal()

# An invite was soft-deleted. Keyword arguments: `invite`.
invite_deleted = Signal()


def send_robust(signal: Signal, sender: type, **kwargs: Any) -> None:
    """Send `signal`, logging (never raising) what any receiver raises."""
    for receiver, response in signal.send_robust(sender=sender, **kwargs):
        if isinstance(response, Exception):
            # Only the receiver and the invite id are logged: kwargs hold raw tokens.
            invite = kwargs.get("invite")
            logger.error(
                "Invite signal receiver %s failed for invite %s",
                getattr(receiver, "__qualname__", repr(receiver)),
                getattr(invite, "pk", None),
                exc_info=(type(response), response, response.__traceback__),
            )


def send_on_commit(
    signal: Signal, sender: type, payloads: Iterable[dict[str, Any]], *, using: str | None = None
) -> None:
    """Send `signal` once per payload after the current transaction commits."""
    payloads = list(payloads)
    if not payloads:
        return

    def send_all() -> None:
        # Asked once, when the callback runs: with no receiver, nothing to call per payload.
        if not signal.has_listeners(sender):
            return
        for payload in payloads:
            send_robust(signal, sender, **payload)

    transaction.on_commit(send_all, using=using)


__all__ = [
    "invite_accepted",
    "invite_accepting",
    "invite_created",
    "invite_declined",
    "invite_deleted",
    "invite_opened",
    "invite_resent",
    "send_on_commit",
    "send_robust",
]
