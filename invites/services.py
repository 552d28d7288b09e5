"""Business actions on invites: create, refresh (resend), accept, delete.

Each function is one atomic action: it either changes everything it was asked to or
raises an `invites.exceptions.InviteError` and changes nothing. Signals go out only
after the transaction commits. Views, the admin, management commands and tests all
call these; none re-implements them.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Collection, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from uuid import UUID

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Field
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_variables

from invites import bulk, delivery, imports, signals
from invites.adapter import get_adapter
from invites.conf import invites_settings
from invites.exceptions import (
    InvalidImportRows,
    InvalidInviteToken,
    InviteAlreadyAccepted,
    InviteAlreadyExists,
    InviteExpired,
    InviteNotFound,
    UserAlreadyExists,
)
from invites.imports import ImportCheck, ImportResult, RowProblem
from invites.metadata import validate_metadata as validate_metadata_limits
from invites.models import Invite, email_key
from invites.tokens import MAX_TOKEN_LENGTH, hash_token, mint_tokens

logger = logging.getLogger(__name__)

UUID_RE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}", re.IGNORECASE
)

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


# --- ids ----------------------------------------------------------------------------


@dataclass
class RequestedIds:
    """The ids a caller passed: parsed, de-duplicated, with their original spelling."""

    uuids: list[UUID] = field(default_factory=list)
    given: dict[UUID, Any] = field(default_factory=dict)
    # Every distinct value in first-occurrence order, parsed (UUID) or not (None).
    order: list[tuple[Any, UUID | None]] = field(default_factory=list)

    def missing(self, found: Container[UUID]) -> list[Any]:
        """The caller's values that are malformed or not among `found`, in given order."""
        return [value for value, uuid in self.order if uuid is None or uuid not in found]


def _parse_ids(invite_ids: Iterable[Any]) -> RequestedIds:
    if isinstance(invite_ids, (str, bytes, UUID)):
        raise TypeError("invite_ids must be an iterable of ids, not a single id.")
    requested = RequestedIds()
    seen: set[Any] = set()
    for value in invite_ids:
        uuid = parse_invite_id(value)
        key: Any = uuid if uuid is not None else ("malformed", repr(value))
        if key in seen:
            continue
        seen.add(key)
        requested.order.append((value, uuid))
        if uuid is not None:
            requested.uuids.append(uuid)
            requested.given[uuid] = value
    return requested


def parse_invite_id(value: Any) -> UUID | None:
    """An invite id as the services read it (a UUID, or its canonical or 32-hex-digit
    spelling), or None for anything malformed."""
    if isinstance(value, UUID):
        return value
    if isinstance(value, str) and UUID_RE.fullmatch(value):
        return UUID(value)
    return None


def _lock_requested(requested: RequestedIds) -> dict[UUID, Invite]:
    """Lock the live invites asked for; raise `InviteNotFound` naming every other id."""
    found = bulk.lock_live_invites(requested.uuids)
    missing = requested.missing(found)
    if missing:
        raise InviteNotFound(missing)
    return found


# --- refresh ------------------------------------------------------------------------


# Two overlapping bulk refreshes can deadlock: the UPDATE takes its row locks in the
# order its join yields rows, which is not always the id order (a small table is
# scanned in storage order). PostgreSQL then aborts one of them after
# `deadlock_timeout`; a call that owns its transaction simply runs again.
DEADLOCK_ATTEMPTS = 3
DEADLOCK_SQLSTATE = "40P01"


def refresh_invite_tokens(invite_ids: Iterable[UUID | str]) -> list[Invite]:
    """Give each invite a new token and expiry, revoking the old token; send `invite_resent`.

    Medusa's `refreshInviteTokensWorkflow`. Returns the invites in the order first
    given (duplicates collapsed), each with `invite.token` set to its new raw token.
    """
    requested = _parse_ids(invite_ids)
    if not requested.order:
        return []
    for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
        try:
            return _refresh(requested)
        except OperationalError as error:
            if attempt == DEADLOCK_ATTEMPTS or not _is_retryable_deadlock(error):
                raise
            logger.warning("Bulk refresh hit a deadlock (attempt %d); retrying.", attempt)
    raise AssertionError("unreachable")


def _refresh(requested: RequestedIds) -> list[Invite]:
    now = timezone.now()
    expires_at = now + invites_settings.VALID_DURATION
    minted = list(mint_tokens(requested.uuids))
    send_emails = invites_settings.SEND_EMAILS
    with transaction.atomic():
        refreshed: dict[UUID, Invite] = {}
        if len(requested.uuids) == len(requested.order):  # no malformed id: try the write
            refreshed = bulk.refresh_tokens(
                requested.uuids,
                minted,
                expires_at=expires_at,
                now=now,
                queued_at=now if send_emails else None,
            )
        if len(refreshed) < len(requested.order):
            # Raising rolls back whatever the update above wrote.
            _check_refreshable(requested, refreshed)
            # Skipped, yet live and not accepted: cannot happen while the rows are locked.
            raise InviteNotFound(
                [requested.given[u] for u in requested.uuids if u not in refreshed]
            )

        invites = [refreshed[uuid] for uuid in requested.uuids]
        for invite, token in zip(invites, minted, strict=True):
            invite.token = token.token
        if send_emails:
            # In this transaction: on the database queue the emails commit with the tokens.
            delivery.queue_invite_emails(invites, "resent")
        signals.send_on_commit(
            signals.invite_resent,
            Invite,
            ({"invite": invite, "token": invite.token} for invite in invites),
        )
    return invites


def _is_retryable_deadlock(error: OperationalError) -> bool:
    """A deadlock that rolled back only this call's own transaction."""
    is_deadlock = getattr(error.__cause__, "sqlstate", None) == DEADLOCK_SQLSTATE
    # Inside a caller's atomic block the whole transaction is lost: only the caller
    # can run it again.
    return is_deadlock and not transaction.get_connection().in_atomic_block


def check_refreshable(invite_ids: Iterable[UUID | str]) -> list[UUID]:
    """Check ids as `refresh_invite_tokens` would, changing nothing; return them parsed.

    Raises the same `InviteNotFound`, then `InviteAlreadyAccepted`. For callers that
    refresh in several transactions (the `refresh_invites` command) and must refuse bad
    ids before the first one.
    """
    requested = _parse_ids(invite_ids)
    _check_refreshable(requested)
    return requested.uuids


def _check_refreshable(requested: RequestedIds, refreshed: Collection[UUID] = ()) -> None:
    """Name every requested id that cannot be refreshed: not found first, then accepted.

    Ids in `refreshed` are known to be fine and are not looked up again.
    """
    skipped = [uuid for uuid in requested.uuids if uuid not in refreshed]
    acceptance = bulk.live_acceptance(skipped)
    missing = requested.missing({*refreshed, *acceptance})
    if missing:
        raise InviteNotFound(missing)
    accepted = [requested.given[uuid] for uuid in skipped if acceptance[uuid]]
    if accepted:
        raise InviteAlreadyAccepted(accepted)


# --- create -------------------------------------------------------------------------


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
    parsed = [_parse_entry(entry) for entry in entries]
    keys = [email_key(email) for email, _metadata in parsed]
    if parsed:
        _check_no_invites(parsed, keys)
        _check_no_users(parsed, keys)
    return parsed, keys


# Built once: a 100,000-row import would otherwise look the message up 100,000 times.
EMAIL_VALIDATOR = EmailValidator(message=gettext_lazy("“%(value)s” is not a valid email address."))


def _parse_entry(entry: Any) -> tuple[str, dict[str, Any] | None]:
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
    taken = _user_email_keys({email for email, _metadata in parsed})
    clashes = [email for (email, _metadata), key in zip(parsed, keys, strict=True) if key in taken]
    if clashes:
        raise UserAlreadyExists(clashes)


def _user_email_keys(emails: Iterable[str]) -> set[str]:
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


# --- accept -------------------------------------------------------------------------


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
    if email_key(invite.email) in _user_email_keys([invite.email]):
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
            if email_key(email) in _user_email_keys([email]):
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


# --- delete -------------------------------------------------------------------------


def delete_invites(invite_ids: Iterable[UUID | str]) -> None:
    """Soft-delete invites: their email is free again and their token stops working."""
    requested = _parse_ids(invite_ids)
    if not requested.order:
        return
    with transaction.atomic():
        found = _lock_requested(requested)
        now = timezone.now()
        for chunk in bulk.chunked(requested.uuids, bulk.in_clause_chunk_size()):
            pks = bulk.values_in(chunk, bulk.invite_field("id"))
            Invite.all_objects.filter(pk__in=pks).update(deleted_at=now, updated_at=now)
        invites = [found[uuid] for uuid in requested.uuids]
        for invite in invites:
            invite.deleted_at = now
            invite.updated_at = now
        signals.send_on_commit(signals.invite_deleted, Invite, ({"invite": i} for i in invites))


# --- import: many entries, each judged on its own -----------------------------------------


def check_import(
    entries: Iterable[str | Mapping[str, Any]], *, skip_existing: bool = False
) -> ImportCheck:
    """Judge every entry as `create_invites` would, changing nothing.

    Unlike `create_invites`, which stops at the first kind of refusal, this names every
    entry that cannot be created, with its code (`invites.imports`: `invalid`,
    `duplicate`, `invite_exists`, `user_exists`). The first of several entries with one
    email is judged on its own; the later ones are `duplicate`. With `skip_existing`,
    entries with a live invite or a user are skipped instead of refused.
    """
    entries = list(entries)
    problems: dict[int, RowProblem] = {}
    valid: dict[int, tuple[str, str]] = {}  # index -> (email, key)
    first_of: dict[str, int] = {}
    for index, entry in enumerate(entries):
        try:
            email, _metadata = _parse_entry(entry)
        except ValidationError as error:
            problems[index] = RowProblem(
                index, _given_email(entry), imports.INVALID, " ".join(error.messages)
            )
            continue
        key = email_key(email)
        if key in first_of:
            message = _("This email appears earlier in the same import.")
            problems[index] = RowProblem(index, email, imports.DUPLICATE, message)
            continue
        first_of[key] = index
        valid[index] = (email, key)

    live = _live_invite_keys(list(first_of))
    taken = _user_email_keys(email for email, _key in valid.values())
    for index, (email, key) in valid.items():
        if key in live:
            problems[index] = RowProblem(
                index, email, imports.INVITE_EXISTS, _("An invite already exists for this email.")
            )
        elif key in taken:
            problems[index] = RowProblem(
                index, email, imports.USER_EXISTS, _("A user already exists with this email.")
            )

    ordered = [problems[index] for index in sorted(problems)]
    skipped = [p for p in ordered if skip_existing and p.code in imports.EXISTING]
    refused = [p for p in ordered if not (skip_existing and p.code in imports.EXISTING)]
    indexes = [index for index in range(len(entries)) if index not in problems]
    return ImportCheck(
        entries=[entries[index] for index in indexes],
        indexes=indexes,
        refused=refused,
        skipped=skipped,
    )


# A create that meets an invite or a user made after the check judges again, this often.
IMPORT_ATTEMPTS = 3


def import_invites(
    entries: Iterable[str | Mapping[str, Any]],
    *,
    skip_existing: bool = False,
    invited_by: AbstractBaseUser | None = None,
) -> ImportResult:
    """Create an invite per entry, all or nothing, naming every entry that cannot be.

    Raises `InvalidImportRows` listing every refused entry (see `check_import`); with
    `skip_existing`, entries whose email has a live invite or a user are left out and
    listed in the result's `skipped`. The rest go to one `create_invites` call.
    """
    entries = list(entries)
    for _attempt in range(IMPORT_ATTEMPTS):
        checked = check_import(entries, skip_existing=skip_existing)
        if checked.refused:
            raise InvalidImportRows(checked.refused)
        try:
            created = create_invites(checked.entries, invited_by=invited_by)
        except (InviteAlreadyExists, UserAlreadyExists):
            # An invite or a user for one of these emails appeared since the check.
            continue
        return ImportResult(created=created, skipped=checked.skipped)
    checked = check_import(entries, skip_existing=skip_existing)
    raise InvalidImportRows(checked.refused or checked.skipped)


def _given_email(entry: Any) -> str:
    """An entry's email as the caller wrote it, for reports (even when it is no email)."""
    value = entry.get("email") if isinstance(entry, Mapping) else entry
    return value.strip()[:254] if isinstance(value, str) else ""


def _live_invite_keys(keys: Sequence[str]) -> set[str]:
    """The email keys among `keys` that a live invite holds."""
    found: set[str] = set()
    key_field = bulk.invite_field("email_key")
    for chunk in bulk.chunked(sorted(keys), bulk.in_clause_chunk_size()):
        found.update(
            Invite.objects.filter(email_key__in=bulk.values_in(chunk, key_field)).values_list(
                "email_key", flat=True
            )
        )
    return found
