"""Import many entries, each judged on its own, all created or none."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from invites import bulk, imports
from invites.exceptions import (
    InvalidImportRows,
    InviteAlreadyExists,
    UserAlreadyExists,
)
from invites.imports import ImportCheck, ImportResult, RowProblem
from invites.models import Invite, email_key
from invites.services.create import create_invites, parse_entry, user_email_keys


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
            email, _metadata = parse_entry(entry)
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
    taken = user_email_keys(email for email, _key in valid.values())
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
