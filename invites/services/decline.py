"""Decline: the invitee says no."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from invites import signals
from invites.models import Invite
from invites.services.lookup import find_open_invite


@sensitive_variables()
def decline_invite(token: str) -> Invite:
    """Decline the invite of `token`: its token stops working and it is never emailed again.

    Works on pending and expired invites. Raises `InvalidInviteToken`,
    `InviteAlreadyAccepted` or `InviteDeclined`. A declined invite no longer blocks a
    new invite for the same email and target. Sends `invite_declined` after commit.
    """
    with transaction.atomic():
        invite = find_open_invite(token, lock=True, allow_expired=True)
        now = timezone.now()
        invite.declined_at = now
        invite.updated_at = now
        invite.save(update_fields=["declined_at", "updated_at"])
        signals.send_on_commit(signals.invite_declined, Invite, [{"invite": invite}])
    return invite
