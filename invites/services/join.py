"""Join: an existing, signed-in user accepts an invite that grants something."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from invites.adapter import get_adapter
from invites.exceptions import InviteEmailMismatch, UserAlreadyExists
from invites.models import Invite, email_key
from invites.services.acceptance import complete_acceptance, grants_something
from invites.services.lookup import find_open_invite


@sensitive_variables()
def join_invite(token: str, *, user: Any) -> Invite:
    """Accept the invite of `token` as `user`, who already has an account; no user is made.

    Raises what `accept_invite` raises for the token (`InvalidInviteToken`,
    `InviteAlreadyAccepted`, `InviteDeclined`, `InviteExpired`), then
    `InviteEmailMismatch` when the user's email is not the invite's, then
    `UserAlreadyExists` for a plain site invite (it has nothing to give an existing
    user). The adapter's `grant` and `invite_accepting` run in the transaction that
    accepts; safe against concurrent joins and accepts of one token.
    """
    adapter = get_adapter()
    with transaction.atomic():
        invite = find_open_invite(token, lock=True)
        if not _is_invitee(user, invite):
            raise InviteEmailMismatch()
        if not grants_something(invite):
            raise UserAlreadyExists([invite.email])
        complete_acceptance(adapter, invite, user, created=False)
    return invite


def _is_invitee(user: Any, invite: Invite) -> bool:
    """Whether `user` is a saved, signed-in account with the invite's email."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "pk", None) is None:
        return False
    email = getattr(user, type(user).get_email_field_name(), None)
    return isinstance(email, str) and bool(email) and email_key(email) == invite.email_key
