"""The refusals that depend on what the database holds, each set-based.

A create is refused when an open invite exists for an email and the same target (or an
email appears twice in the call), then when a user exists with an email and the invite
grants nothing, then when the adapter says that user already has what it grants. Every
check reads the database a chunk at a time, never a row at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.contrib.auth.base_user import AbstractBaseUser

from invites import bulk
from invites.adapter import DefaultInviteAdapter
from invites.exceptions import AlreadyMember, InviteAlreadyExists, UserAlreadyExists
from invites.models import Invite
from invites.services.entries import Batch, Entry
from invites.services.users import user_email_keys, users_by_email_key


def open_invite_keys(keys: Iterable[str], target_key: tuple[int, str] | None) -> set[str]:
    """The email keys among `keys` that an open, live invite into the same target holds.

    Accepted and declined invites are history: they never block a new invite. Invites
    with no target (plain, or with groups only) are all invites to the site.
    """
    queryset = Invite.objects.open()
    if target_key is None:
        queryset = queryset.filter(target_type__isnull=True)
    else:
        queryset = queryset.filter(target_type_id=target_key[0], target_id=target_key[1])
    found: set[str] = set()
    key_field = bulk.invite_field("email_key")
    for chunk in bulk.chunked(sorted(set(keys)), bulk.in_clause_chunk_size()):
        found.update(
            queryset.filter(email_key__in=bulk.values_in(chunk, key_field)).values_list(
                "email_key", flat=True
            )
        )
    return found


def check_no_open_invites(batch: Batch) -> None:
    """`InviteAlreadyExists` naming every email invited twice in the call or already."""
    clashes: dict[str, None] = {}
    seen: set[str] = set()
    for entry in batch.entries:
        if entry.key in seen:
            clashes[entry.email] = None
        seen.add(entry.key)
    existing = open_invite_keys(seen, batch.target_key)
    for entry in batch.entries:
        if entry.key in existing:
            clashes[entry.email] = None
    if clashes:
        raise InviteAlreadyExists(list(clashes))


def check_invitees(adapter: DefaultInviteAdapter, batch: Batch) -> None:
    """`UserAlreadyExists` (the invite grants nothing) or `AlreadyMember` (it grants
    what the user has) naming every such email."""
    if not batch.grants_something:
        taken = user_email_keys(entry.email for entry in batch.entries)
        clashes = [entry.email for entry in batch.entries if entry.key in taken]
        if clashes:
            raise UserAlreadyExists(clashes)
        return
    members = member_emails(adapter, batch, batch.entries)
    if members:
        raise AlreadyMember(members)


def member_emails(
    adapter: DefaultInviteAdapter, batch: Batch, entries: Sequence[Entry]
) -> list[str]:
    """The emails among `entries` whose existing user already has what `batch` grants."""
    users = users_by_email_key(entry.email for entry in entries)
    return [
        entry.email
        for entry in entries
        if any(_is_member(adapter, user, batch, entry) for user in users.get(entry.key, ()))
    ]


def _is_member(
    adapter: DefaultInviteAdapter, user: AbstractBaseUser, batch: Batch, entry: Entry
) -> bool:
    return adapter.is_member(user, target=batch.target, role=entry.role, groups=batch.groups)
