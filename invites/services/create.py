"""Create invites, and the checks that an email may be invited."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.db.models import Field
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invites import bulk, delivery, signals
from invites.conf import invites_settings
from invites.exceptions import (
    InviteAlreadyExists,
    UserAlreadyExists,
)
from invites.metadata import validate_metadata as validate_metadata_limits
from invites.models import DeliveryStatus, Invite, email_key
from invites.tokens import mint_tokens

# Any character outside ASCII (NUL left out: PostgreSQL text cannot hold it), written
# so that SQLite's Python `re` and PostgreSQL's regular expressions read it alike.
NON_ASCII_PATTERN = "[^\x01-\x7f]"


def create_invites(
    entries: Iterable[str | Mapping[str, Any]], *, invited_by: AbstractBaseUser | None = None
) -> list[Invite]:
    """Create one invite per entry (an email, or `{"email": ..., "metadata": {...}}`).

    Raises `ValidationError` for a malformed entry, `InviteAlreadyExists` when a live
    invite exists for an email or an email appears twice, then `UserAlreadyExists`.
    Each returned invite carries `invite.token`; `invite_created` goes out after commit.
    """
    parsed, keys = _creatable(entries)
    if not parsed:
        return []

    now = timezone.now()
    expires_at = now + invites_settings.VALID_DURATION
    send_emails = invites_settings.SEND_EMAILS
    invites = [
        Invite(
            email=email,
            email_key=key,
            metadata=metadata,
            invited_by=cast(Any, invited_by) if invited_by is not None and invited_by.pk else None,
            expires_at=expires_at,
            created_at=now,
            updated_at=now,
            queued_at=now if send_emails else None,
            delivery_status=DeliveryStatus.QUEUED if send_emails else DeliveryStatus.NOT_SENT,
        )
        for (email, metadata), key in zip(parsed, keys, strict=True)
    ]
    for invite, minted in zip(invites, mint_tokens([i.pk for i in invites]), strict=True):
        invite.token_nonce = minted.nonce
        invite.token_hash = minted.digest
        invite.token = minted.token

    try:
        with transaction.atomic():
            bulk.insert_invites(invites)
            if send_emails:
                delivery.queue_invite_emails(invites, "created")
            signals.send_on_commit(
                signals.invite_created,
                Invite,
                ({"invite": invite, "token": invite.token} for invite in invites),
            )
    except IntegrityError:
        # Another transaction created an invite for one of these emails meanwhile.
        _check_no_invites(parsed, keys)
        raise
    return invites


def check_creatable(entries: Iterable[str | Mapping[str, Any]]) -> None:
    """Check entries as `create_invites` would, changing nothing.

    Raises the same `ValidationError`, `InviteAlreadyExists`, then `UserAlreadyExists`.
    For forms that show these refusals before anything is written; `create_invites`
    checks again, since an invite or user may appear in between.
    """
    _creatable(entries)


def _creatable(
    entries: Iterable[str | Mapping[str, Any]],
) -> tuple[list[tuple[str, dict[str, Any] | None]], list[str]]:
    """The parsed entries and their email keys, once every refusal has been checked."""
    if isinstance(entries, (str, bytes, Mapping)):
        entries = [entries]
    parsed = [parse_entry(entry) for entry in entries]
    keys = [email_key(email) for email, _metadata in parsed]
    if parsed:
        _check_no_invites(parsed, keys)
        _check_no_users(parsed, keys)
    return parsed, keys


# Built once: a 100,000-row import would otherwise look the message up 100,000 times.
EMAIL_VALIDATOR = EmailValidator(message=gettext_lazy("“%(value)s” is not a valid email address."))


def parse_entry(entry: Any) -> tuple[str, dict[str, Any] | None]:
    metadata = None
    if isinstance(entry, Mapping):
        unknown = set(entry) - {"email", "metadata"}
        if unknown:
            raise ValidationError(
                _("Unknown invite field(s): %(fields)s.")
                % {"fields": ", ".join(map(str, unknown))},
                code="invalid",
            )
        metadata = entry.get("metadata")
        entry = entry.get("email")
    if not isinstance(entry, str):
        raise ValidationError(_("Each invite needs an email address."), code="required")
    if metadata is not None and not isinstance(metadata, dict):
        raise ValidationError(_("Invite metadata must be a JSON object."), code="invalid")
    if metadata is not None:
        validate_metadata_limits(metadata)
    email = BaseUserManager.normalize_email(entry.strip())
    if len(email) > 254:
        raise ValidationError(
            _("“%(value)s” is longer than 254 characters."),
            code="max_length",
            params={"value": email[:60] + "…"},
        )
    EMAIL_VALIDATOR(email)
    return email, metadata


def _check_no_invites(parsed: list[tuple[str, Any]], keys: list[str]) -> None:
    clashes: dict[str, None] = {}
    seen: set[str] = set()
    for (email, _metadata), key in zip(parsed, keys, strict=True):
        if key in seen:
            clashes[email] = None
        seen.add(key)
    existing: set[str] = set()
    for chunk in bulk.chunked(sorted(seen), bulk.in_clause_chunk_size()):
        key_field = bulk.invite_field("email_key")
        existing.update(
            Invite.objects.filter(email_key__in=bulk.values_in(chunk, key_field)).values_list(
                "email_key", flat=True
            )
        )
    for (email, _metadata), key in zip(parsed, keys, strict=True):
        if key in existing:
            clashes[email] = None
    if clashes:
        raise InviteAlreadyExists(list(clashes))


def _check_no_users(parsed: list[tuple[str, Any]], keys: list[str]) -> None:
    taken = user_email_keys({email for email, _metadata in parsed})
    clashes = [email for (email, _metadata), key in zip(parsed, keys, strict=True) if key in taken]
    if clashes:
        raise UserAlreadyExists(clashes)


def user_email_keys(emails: Iterable[str]) -> set[str]:
    """The `email_key`s of existing users whose email matches one of `emails`.

    Exact for every Unicode variant, on every database: a user's ASCII email matches a
    key only through its ASCII lower case, which every database computes the same way,
    so the database looks those up by `lower(email)`; a user's non-ASCII email can
    match an ASCII key ("ß" and "SS", fullwidth letters), which no database function
    decides portably, so every such user is read and Python compares `email_key`s.
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
    non_ascii = manager.filter(**{f"{email_field}__regex": NON_ASCII_PATTERN})
    found.update(
        key
        for email in non_ascii.values_list(email_field, flat=True)
        if email and (key := email_key(email)) in keys
    )
    return found
