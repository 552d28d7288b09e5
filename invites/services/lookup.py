"""Finding the invite of a raw token: the one lookup accept, join and decline share."""

from __future__ import annotations

from typing import Any

from django.views.decorators.debug import sensitive_variables

from invites.exceptions import (
    InvalidInviteToken,
    InviteAlreadyAccepted,
    InviteDeclined,
    InviteExpired,
)
from invites.models import Invite
from invites.tokens import MAX_TOKEN_LENGTH, hash_token


# The raw token is hidden from error reports (`sensitive_variables`): the debug page and
# the admins' error email list every frame's local variables.
@sensitive_variables()
def find_open_invite(token: Any, *, lock: bool = False, allow_expired: bool = False) -> Invite:
    """The open invite of a raw token; with `lock`, its row is locked (`FOR UPDATE`).

    Raises, in this order: `InvalidInviteToken` (malformed, unknown, revoked by a
    refresh, or soft-deleted), `InviteAlreadyAccepted`, `InviteDeclined`, and, unless
    `allow_expired`, `InviteExpired`. Call it with `lock` inside a transaction.
    """
    check_token_shape(token)
    queryset = Invite.all_objects.select_for_update() if lock else Invite.all_objects.all()
    try:
        invite: Invite = queryset.get(token_hash=hash_token(token))
    except Invite.DoesNotExist:
        raise InvalidInviteToken() from None
    if invite.is_deleted:
        raise InvalidInviteToken()
    if invite.accepted:
        raise InviteAlreadyAccepted()
    if invite.is_declined:
        raise InviteDeclined()
    if invite.is_expired and not allow_expired:
        raise InviteExpired()
    return invite


@sensitive_variables()
def check_token_shape(token: Any) -> None:
    """`InvalidInviteToken` for anything that cannot be a raw token (no lookup)."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidInviteToken()


@sensitive_variables()
def check_invite_link(token: str) -> Invite:
    """The open, unexpired invite of `token`, changing nothing (for a page's GET).

    Raises `InvalidInviteToken`, `InviteAlreadyAccepted`, `InviteDeclined` or
    `InviteExpired`. Unlike `check_invite_token`, an existing user with the invite's
    email is no refusal: the page offers that user to sign in and join.
    """
    return find_open_invite(token)
