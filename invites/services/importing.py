"""Import many entries, each judged on its own, all created or none."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from invites import imports
from invites.adapter import get_adapter
from invites.exceptions import (
    AlreadyMember,
    InvalidImportRows,
    InviteAlreadyExists,
    UserAlreadyExists,
)
from invites.imports import ImportCheck, ImportResult, RowProblem
from invites.services.create import create_invites
from invites.services.entries import (
    Entry,
    check_permission,
    check_roles,
    parse_entry,
    prepare_batch,
)
from invites.services.refusals import member_emails, open_invite_keys
from invites.services.users import user_email_keys


def check_import(
    entries: Iterable[str | Mapping[str, Any]],
    *,
    skip_existing: bool = False,
    invited_by: AbstractBaseUser | None = None,
    target: models.Model | None = None,
    role: str = "",
    groups: Iterable[Group | str] | None = (),
) -> ImportCheck:
    """Judge every entry as `create_invites` would, changing nothing.

    Unlike `create_invites`, which stops at the first kind of refusal, this names every
    entry that cannot be created, with its code (`invites.imports`: `invalid`,
    `duplicate`, `invite_exists`, `user_exists`, `already_member`). The first of
    several entries with one email is judged on its own; the later ones are
    `duplicate`. With `skip_existing`, entries with an open invite into the same
    target, or a user who cannot be invited, are skipped instead of refused. What
    concerns the whole call (the target, `role`, the groups, the inviter's permission)
    raises as `create_invites` raises it: `ValidationError` or `PermissionDenied`.
    """
    entries = list(entries)
    adapter = get_adapter()
    # The call's own inputs first: they are no row's fault.
    batch = prepare_batch(
        [], adapter=adapter, invited_by=invited_by, target=target, role=role, groups=groups
    )
    problems: dict[int, RowProblem] = {}
    valid: dict[int, Entry] = {}
    first_of: dict[str, int] = {}
    for index, entry in enumerate(entries):
        try:
            parsed = parse_entry(entry, role=role)
            check_roles(adapter, target, [parsed.role])
        except ValidationError as error:
            problems[index] = RowProblem(
                index, _given_email(entry), imports.INVALID, " ".join(error.messages)
            )
            continue
        if parsed.key in first_of:
            message = _("This email appears earlier in the same import.")
            problems[index] = RowProblem(index, parsed.email, imports.DUPLICATE, message)
            continue
        first_of[parsed.key] = index
        valid[index] = parsed

    # A row's own role must be one the inviter may give, as the call's role was.
    check_permission(
        adapter,
        invited_by,
        target=target,
        roles=[row.role for row in valid.values()],
        groups=batch.groups,
    )

    live = open_invite_keys(first_of, batch.target_key)
    for index, row in valid.items():
        if row.key in live:
            problems[index] = RowProblem(
                index,
                row.email,
                imports.INVITE_EXISTS,
                _("An invite already exists for this email."),
            )
    rest = {index: row for index, row in valid.items() if index not in problems}
    if not batch.grants_something:
        taken = user_email_keys(row.email for row in rest.values())
        for index, row in rest.items():
            if row.key in taken:
                problems[index] = RowProblem(
                    index,
                    row.email,
                    imports.USER_EXISTS,
                    _("A user already exists with this email."),
                )
    else:
        members = set(member_emails(adapter, batch, list(rest.values())))
        for index, row in rest.items():
            if row.email in members:
                problems[index] = RowProblem(
                    index,
                    row.email,
                    imports.ALREADY_MEMBER,
                    _("This person already has what the invite would give."),
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
    target: models.Model | None = None,
    role: str = "",
    groups: Iterable[Group | str] | None = (),
) -> ImportResult:
    """Create an invite per entry, all or nothing, naming every entry that cannot be.

    Raises `InvalidImportRows` listing every refused entry (see `check_import`); with
    `skip_existing`, entries whose email has an open invite into the same target or a
    user who cannot be invited are left out and listed in the result's `skipped`. The
    rest go to one `create_invites` call with the same `target`, `role` and `groups`.
    """
    entries = list(entries)
    into: dict[str, Any] = {"invited_by": invited_by, "target": target, "role": role}
    for _attempt in range(IMPORT_ATTEMPTS):
        checked = check_import(entries, skip_existing=skip_existing, groups=groups, **into)
        if checked.refused:
            raise InvalidImportRows(checked.refused)
        try:
            created = create_invites(checked.entries, groups=groups, **into)
        except (InviteAlreadyExists, UserAlreadyExists, AlreadyMember):
            # An invite or a user for one of these emails appeared since the check.
            continue
        return ImportResult(created=created, skipped=checked.skipped)
    checked = check_import(entries, skip_existing=skip_existing, groups=groups, **into)
    raise InvalidImportRows(checked.refused or checked.skipped)


def _given_email(entry: Any) -> str:
    """An entry's email as the caller wrote it, for reports (even when it is no email)."""
    value = entry.get("email") if isinstance(entry, Mapping) else entry
    return value.strip()[:254] if isinstance(value, str) else ""
