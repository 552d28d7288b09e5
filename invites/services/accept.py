"""Accept an invite: the invitee becomes a new user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from invites.adapter import get_adapter
from invites.addresses import validate_address
from invites.exceptions import InviteEmailMismatch, UserAlreadyExists
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
def accept_invite_for_new_user(
    token: str, *, user: AbstractBaseUser, save: Callable[[AbstractBaseUser], Any] | None = None
) -> Invite:
    """Accept the invite of `token` with a new user that the caller built (a sign-up form).

    For sign-up flows that build and validate the user themselves (django-allauth's
    form, a social login): `user` is unsaved and carries the invite's email. The invite
    is marked accepted, the user takes the invite's spelling of the email, then
    `save(user)` runs (default: `user.save()`), then the grants
    and `invite_accepting`, all in one transaction: anything raising leaves no user and
    the invite open. Raises what `accept_invite` raises for the token, then
    `InviteEmailMismatch` when the user's email is not the invite's (compared as
    invites compare emails), then `UserAlreadyExists`.
    """
    check_token_shape(token)
    if user.pk is not None:
        raise ValueError("accept_invite_for_new_user() takes an unsaved user.")
    adapter = get_adapter()
    email_field = get_user_model().get_email_field_name()
    email = getattr(user, email_field, None)
    with transaction.atomic():
        invite = find_open_invite(token, lock=True)
        if not isinstance(email, str) or email_key(email) != invite.email_key:
            raise InviteEmailMismatch()
        _check_no_user(invite)
        # The address the invite went to, as every accept records it.
        setattr(user, email_field, invite.email)
        mark_accepted(invite)
        if save is None:
            save_new_user(user, invite.email, derive_username=False)
        else:
            save(user)
        complete_acceptance(adapter, invite, user, created=True)
    return invite


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
