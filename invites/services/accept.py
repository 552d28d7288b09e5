"""Accept an invite: the invitee becomes a user."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from invites import signals
from invites.adapter import get_adapter
from invites.exceptions import (
    InvalidInviteToken,
    InviteAlreadyAccepted,
    InviteExpired,
    UserAlreadyExists,
)
from invites.models import Invite, email_key
from invites.services.create import user_email_keys
from invites.tokens import MAX_TOKEN_LENGTH, hash_token

logger = logging.getLogger(__name__)

# User fields an invitee never chooses: the email comes from the invite, the rest are
# privileges or bookkeeping.
PROTECTED_USER_FIELDS = frozenset(
    {
        "id",
        "pk",
        "password",
        "email",
        "is_active",
        "is_staff",
        "is_superuser",
        "groups",
        "user_permissions",
        "last_login",
        "date_joined",
    }
)


# The raw token and the password are hidden from error reports (`sensitive_variables`):
# the debug page and the admins' error email list every frame's local variables.
@sensitive_variables()
def accept_invite(token: str, *, password: str, **user_fields: Any) -> AbstractBaseUser:
    """Create the invitee's user from a raw token and mark the invite accepted.

    Raises `InvalidInviteToken`, `InviteAlreadyAccepted`, `InviteExpired`,
    `ValidationError` (password or user fields) or `UserAlreadyExists`. The user is
    built by the adapter (`new_user`, then `populate_user` with `user_fields`), always
    with the invite's email. Safe against
    concurrent accepts of one token: the row is locked, so exactly one wins.
    """
    User = get_user_model()
    _check_user_fields(User, user_fields)
    _check_token_shape(token)
    if not isinstance(password, str):
        raise ValidationError(_("Enter a password."), code="required")
    adapter = get_adapter()

    with transaction.atomic():
        invite = _acceptable_invite(Invite.all_objects.select_for_update(), token)

        user = adapter.new_user(invite)
        adapter.populate_user(invite, user, user_fields)
        # Whatever the adapter did, the account gets the address the invite went to.
        email_field = User.get_email_field_name()
        setattr(user, email_field, invite.email)
        derive_username = email_field != User.USERNAME_FIELD and not getattr(
            user, User.USERNAME_FIELD, None
        )
        if derive_username:
            setattr(user, User.USERNAME_FIELD, _free_username(User, invite.email))
        # The stubs name the default User; the validators take any user model.
        validate_password(password, user=user)  # type: ignore[arg-type]
        user.set_password(password)
        # A derived username is the app's to change: whether it is still free is settled
        # by the insert itself (`_save_new_user`), which a concurrent accept cannot race
        # past as it can a uniqueness query.
        excluded = ["password", User.USERNAME_FIELD] if derive_username else ["password"]
        user.full_clean(exclude=excluded)
        _save_new_user(user, invite.email, derive_username=derive_username)

        now = timezone.now()
        invite.accepted = True
        invite.accepted_at = now
        invite.updated_at = now
        invite.save(update_fields=["accepted", "accepted_at", "updated_at"])
        signals.send_on_commit(signals.invite_accepted, Invite, [{"invite": invite, "user": user}])
    return user


@sensitive_variables()
def check_invite_token(token: str) -> Invite:
    """The invite that `token` would accept now, changing nothing (for a page's GET).

    Raises what `accept_invite` raises for the token itself, in the same order:
    `InvalidInviteToken`, `InviteAlreadyAccepted`, `InviteExpired`, `UserAlreadyExists`.
    """
    _check_token_shape(token)
    return _acceptable_invite(Invite.all_objects.all(), token)


@sensitive_variables()
def _check_token_shape(token: Any) -> None:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidInviteToken()


@sensitive_variables()
def _acceptable_invite(queryset: Any, token: str) -> Invite:
    """The invite of `token` from `queryset`, if it can be accepted; else the domain error."""
    try:
        invite: Invite = queryset.get(token_hash=hash_token(token))
    except Invite.DoesNotExist:
        raise InvalidInviteToken() from None
    if invite.is_deleted:
        raise InvalidInviteToken()
    if invite.accepted:
        raise InviteAlreadyAccepted()
    if invite.is_expired:
        raise InviteExpired()
    if email_key(invite.email) in user_email_keys([invite.email]):
        raise UserAlreadyExists([invite.email])
    return invite


def _check_user_fields(User: Any, user_fields: Mapping[str, Any]) -> None:
    # Unknown keys are the adapter's to judge (`populate_user`); these never reach it.
    protected = PROTECTED_USER_FIELDS | {User.USERNAME_FIELD, User.get_email_field_name()}
    refused = sorted(set(user_fields) & protected)
    if refused:
        raise TypeError(f"accept_invite() does not take the user field(s): {', '.join(refused)}.")


# How often a derived username is chosen again after another accept took it first.
USERNAME_ATTEMPTS = 5


def _save_new_user(user: AbstractBaseUser, email: str, *, derive_username: bool) -> None:
    """Insert the new user; on a username that another accept just took, derive another.

    Each insert runs in a savepoint, so a collision leaves the accept's transaction (and
    its lock on the invite) usable. A collision on the email means the address was
    registered meanwhile: `UserAlreadyExists`.
    """
    User: Any = type(user)
    for attempt in range(1, USERNAME_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                user.save()
            return
        except IntegrityError:
            if email_key(email) in user_email_keys([email]):
                raise UserAlreadyExists([email]) from None
            username = getattr(user, User.USERNAME_FIELD)
            taken = User._default_manager.filter(
                **{f"{User.USERNAME_FIELD}__iexact": username}
            ).exists()
            if not (derive_username and taken) or attempt == USERNAME_ATTEMPTS:
                raise
            logger.info("A derived username was taken meanwhile (attempt %d); retrying.", attempt)
            setattr(user, User.USERNAME_FIELD, _free_username(User, email))


def _free_username(User: Any, email: str) -> str:
    """A username derived from `email` that fits the field and is not taken yet."""
    username_field = User._meta.get_field(User.USERNAME_FIELD)
    max_length = getattr(username_field, "max_length", None) or 150
    base = re.sub(r"[^\w.@+-]", "_", email)[:max_length]
    candidate = base
    manager = User._default_manager
    for _attempt in range(10):
        if not manager.filter(**{f"{User.USERNAME_FIELD}__iexact": candidate}).exists():
            return candidate
        suffix = "-" + secrets.token_hex(3)
        candidate = base[: max_length - len(suffix)] + suffix
    raise ValidationError(_("Could not find a free username for this email."), code="username")
