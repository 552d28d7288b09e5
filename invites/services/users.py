"""Users as the invite services see them: found by email, built and saved for an accept."""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Field, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from invites import bulk
from invites.adapter import DefaultInviteAdapter
from invites.addresses import ACE_PREFIX
from invites.exceptions import UserAlreadyExists
from invites.models import Invite, email_key

logger = logging.getLogger(__name__)

# Any character outside ASCII (NUL left out: PostgreSQL text cannot hold it), written
# so that SQLite's Python `re` and PostgreSQL's regular expressions read it alike.
NON_ASCII_PATTERN = "[^\x01-\x7f]"

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


def check_user_fields(User: Any, user_fields: Mapping[str, Any]) -> None:
    # Unknown keys are the adapter's to judge (`populate_user`); these never reach it.
    protected = PROTECTED_USER_FIELDS | {User.USERNAME_FIELD, User.get_email_field_name()}
    refused = sorted(set(user_fields) & protected)
    if refused:
        raise TypeError(f"accept_invite() does not take the user field(s): {', '.join(refused)}.")


# How often a derived username is chosen again after another accept took it first.
USERNAME_ATTEMPTS = 5


def save_new_user(user: AbstractBaseUser, email: str, *, derive_username: bool) -> None:
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
            setattr(user, User.USERNAME_FIELD, free_username(User, email))


def derived_username(value: str) -> str:
    """The username an email derives: NFKC, lower case, and `_` for what a username
    cannot hold.

    Django's login form NFKC-normalises what is typed, so a username kept in another
    form could never be typed; in lower case, `invites.backends.UsernameBackend` finds
    it whatever case the email is typed in.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).lower())
    return re.sub(r"[^\w.@+-]", "_", folded)


def free_username(User: Any, email: str) -> str:
    """A username derived from `email` that fits the field and is not taken yet."""
    username_field = User._meta.get_field(User.USERNAME_FIELD)
    max_length = getattr(username_field, "max_length", None) or 150
    base = derived_username(email)[:max_length]
    candidate = base
    manager = User._default_manager
    for _attempt in range(10):
        if not manager.filter(**{f"{User.USERNAME_FIELD}__iexact": candidate}).exists():
            return candidate
        suffix = "-" + secrets.token_hex(3)
        candidate = base[: max_length - len(suffix)] + suffix
    raise ValidationError(_("Could not find a free username for this email."), code="username")


def scanned_emails(email_field: str) -> Q:
    """Users whose email's key no database function computes: non-ASCII ones, and
    punycode domains (an A-label's letters are not always in their canonical form)."""
    return Q(**{f"{email_field}__regex": NON_ASCII_PATTERN}) | Q(
        **{f"{email_field}__icontains": ACE_PREFIX}
    )


def user_email_keys(emails: Iterable[str]) -> set[str]:
    """The `email_key`s of existing users whose email matches one of `emails`.

    Exact for every Unicode variant, on every database: a user's ASCII email matches a
    key only through its ASCII lower case, which every database computes the same way,
    so the database looks those up by `lower(email)`; a user's non-ASCII email can
    match an ASCII key ("ß" and "SS", fullwidth letters, a Unicode domain and its
    punycode), which no database function decides portably, so every such user (and
    every user with a punycode domain) is read and Python compares `email_key`s.
    """
    User = get_user_model()
    email_field = User.get_email_field_name()
    try:
        email_column = cast("Field[Any, Any]", User._meta.get_field(email_field))
    except FieldDoesNotExist:
        return set()
    keys = {email_key(email) for email in emails}
    ascii_keys = sorted(key for key in keys if key.isascii())
    found: set[str] = set()
    manager = User._default_manager
    for chunk in bulk.chunked(ascii_keys, bulk.in_clause_chunk_size()):
        users = (
            manager.annotate(_invites_email=Lower(email_field))
            .filter(_invites_email__in=bulk.values_in(chunk, email_column))
            .values_list(email_field, flat=True)
        )
        found.update(email_key(email) for email in users if email)
    non_ascii = manager.filter(scanned_emails(email_field))
    found.update(
        key
        for email in non_ascii.values_list(email_field, flat=True)
        if email and (key := email_key(email)) in keys
    )
    return found


def users_by_email_key(emails: Iterable[str]) -> dict[str, list[AbstractBaseUser]]:
    """The existing users whose email matches one of `emails`, by `email_key`.

    Matched as `user_email_keys` matches, in a query per chunk; their groups come
    prefetched, so the adapter's default `is_member` asks the database nothing more.
    """
    User = get_user_model()
    email_field = User.get_email_field_name()
    try:
        email_column = cast("Field[Any, Any]", User._meta.get_field(email_field))
    except FieldDoesNotExist:
        return {}
    manager = User._default_manager
    try:
        User._meta.get_field("groups")
    except FieldDoesNotExist:
        base = manager.all()
    else:
        base = manager.prefetch_related("groups")
    keys = {email_key(email) for email in emails}
    ascii_keys = sorted(key for key in keys if key.isascii())
    found: dict[str, list[AbstractBaseUser]] = {}

    def add(users: Iterable[AbstractBaseUser]) -> None:
        for user in users:
            email = getattr(user, email_field, None)
            if email and (key := email_key(email)) in keys:
                found.setdefault(key, []).append(user)

    for chunk in bulk.chunked(ascii_keys, bulk.in_clause_chunk_size()):
        add(
            base.annotate(_invites_email=Lower(email_field)).filter(
                _invites_email__in=bulk.values_in(chunk, email_column)
            )
        )
    add(base.filter(scanned_emails(email_field)))
    return found


def build_new_user(
    adapter: DefaultInviteAdapter, invite: Invite, password: str, user_fields: Mapping[str, Any]
) -> tuple[AbstractBaseUser, bool]:
    """The invitee's unsaved user, validated; and whether its username was derived.

    The adapter builds it (`new_user`, then `populate_user`); whatever it did, the
    account gets the address the invite went to, and a username derived from it where
    the model has one and it is still empty.
    """
    User = get_user_model()
    user = adapter.new_user(invite)
    adapter.populate_user(invite, user, user_fields)
    email_field = User.get_email_field_name()
    setattr(user, email_field, invite.email)
    derive_username = email_field != User.USERNAME_FIELD and not getattr(
        user, User.USERNAME_FIELD, None
    )
    if derive_username:
        setattr(user, User.USERNAME_FIELD, free_username(User, invite.email))
    # The stubs name the default User; the validators take any user model.
    validate_password(password, user=user)  # type: ignore[arg-type]
    user.set_password(password)
    # A derived username is the app's to change: whether it is still free is settled by
    # the insert itself (`save_new_user`), which a concurrent accept cannot race past
    # as it can a uniqueness query.
    excluded = ["password", User.USERNAME_FIELD] if derive_username else ["password"]
    user.full_clean(exclude=excluded)
    return user, derive_username
