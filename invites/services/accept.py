"""Accept an invite: the invitee becomes a new user."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from invites.adapter import get_adapter
from invites.addresses import validate_address
from invites.exceptions import UserAlreadyExists
from invites.models import Invite, email_key
from invites.services.acceptance import complete_acceptance, mark_accepted
from invites.services.lookup import check_token_shape, find_open_invite
from invites.services.users import (
    build_new_user,
    check_user_fields,
    save_new_user,
    user_email_keys,
)


# The raw token and the password are hidden from error reports (`sensitive_variables`):
# the debug page and the admins' error email list every frame's local variables.
@sensitive_variables()
def accept_invite(token: str, *, password: str, **user_fields: Any) -> AbstractBaseUser:
    """Create the invitee's user from a raw token, apply the invite's grants, accept it.

    Raises `InvalidInviteToken`, `InviteAlreadyAccepted`, `InviteDeclined`,
    `InviteExpired`, `UserAlreadyExists` (that user joins with `join_invite`), or
    `ValidationError` (password or user fields, or an invite email that
    `validate_address` refuses). The user is built by the adapter
    (`new_user`, then `populate_user` with `user_fields`), always with the invite's
    email; `grant` and `invite_accepting` run in the same transaction, so either
    raising leaves no user and the invite open. Safe against concurrent accepts and
    joins of one token: the row is locked, so exactly one wins.
    """
    check_user_fields(get_user_model(), user_fields)
    check_token_shape(token)
    if not isinstance(password, str):
        raise ValidationError(_("Enter a password."), code="required")
    adapter = get_adapter()

    with transaction.atomic():
        invite = find_open_invite(token, lock=True)
        _check_no_user(invite)
        # An invite stored before addresses were judged as they are now may hide a
        # character that makes it another spelling of an existing user's mailbox.
        validate_address(invite.email)
        user, derive_username = build_new_user(adapter, invite, password, user_fields)
        mark_accepted(invite)
        save_new_user(user, invite.email, derive_username=derive_username)
        complete_acceptance(adapter, invite, user, created=True)
    return user


@sensitive_variables()
def check_invite_token(token: str) -> Invite:
    """The invite that `token` would let a new user accept now, changing nothing.

    Raises what `accept_invite` raises for the token itself, in the same order:
    `InvalidInviteToken`, `InviteAlreadyAccepted`, `InviteDeclined`, `InviteExpired`,
    `UserAlreadyExists`.
    """
    invite = find_open_invite(token)
    _check_no_user(invite)
    return invite


def _check_no_user(invite: Invite) -> None:
    if email_key(invite.email) in user_email_keys([invite.email]):
        raise UserAlreadyExists([invite.email])
