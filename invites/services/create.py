"""Create invites: into the site, or into a target with a role and groups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from invites import bulk, delivery, signals
from invites.adapter import get_adapter
from invites.conf import invites_settings
from invites.models import DeliveryStatus, Invite, email_domain
from invites.services.entries import Batch, prepare_batch
from invites.services.refusals import check_invitees, check_no_open_invites
from invites.tokens import mint_tokens

Entries = Iterable[str | Mapping[str, Any]]


def create_invites(
    entries: Entries,
    *,
    invited_by: AbstractBaseUser | None = None,
    target: models.Model | None = None,
    role: str = "",
    groups: Iterable[Group | str] | None = (),
) -> list[Invite]:
    """Create one invite per entry (an email, or `{"email", "metadata", "role"}`).

    `target` is a saved model instance (None: the site itself), `role` the role of
    every entry without its own, `groups` `Group` instances or names. Raises, with
    nothing created: `ValidationError` for a malformed entry, an unknown group, a role
    that the adapter's `get_roles(target)` does not list, or an unsaved target;
    `PermissionDenied` when the adapter's `can_invite(invited_by, ...)` refuses; then
    `InviteAlreadyExists` (an open invite for an email and the same target, or an
    email twice in the call), `UserAlreadyExists` (a user has the email and the invite
    grants nothing), `AlreadyMember` (the adapter's `is_member` says that user has what
    it grants). Each returned invite carries `invite.token`; `invite_created` goes out
    after commit.
    """
    batch = _creatable(entries, invited_by=invited_by, target=target, role=role, groups=groups)
    if not batch.entries:
        return []

    now = timezone.now()
    expires_at = now + invites_settings.VALID_DURATION
    send_emails = invites_settings.SEND_EMAILS
    inviter = cast(Any, invited_by) if invited_by is not None and invited_by.pk else None
    target_type_id, target_id = batch.target_key or (None, None)
    invites = [
        Invite(
            email=entry.email,
            email_key=entry.key,
            email_domain=email_domain(entry.key),
            metadata=entry.metadata,
            role=entry.role,
            target_type_id=target_type_id,
            target_id=target_id,
            invited_by=inviter,
            expires_at=expires_at,
            created_at=now,
            updated_at=now,
            queued_at=now if send_emails else None,
            delivery_status=DeliveryStatus.QUEUED if send_emails else DeliveryStatus.NOT_SENT,
        )
        for entry in batch.entries
    ]
    for invite, minted in zip(invites, mint_tokens([i.pk for i in invites]), strict=True):
        invite.token_nonce = minted.nonce
        invite.token_hash = minted.digest
        invite.token = minted.token

    try:
        with transaction.atomic():
            bulk.insert_invites(invites)
            if batch.groups:
                bulk.insert_invite_groups(
                    [(invite.pk, group.pk) for invite in invites for group in batch.groups]
                )
            if send_emails:
                delivery.queue_invite_emails(invites, "created")
            signals.send_on_commit(
                signals.invite_created,
                Invite,
                ({"invite": invite, "token": invite.token} for invite in invites),
            )
    except IntegrityError:
        # Another transaction created an open invite for one of these emails meanwhile.
        check_no_open_invites(batch)
        raise
    return invites


def check_creatable(
    entries: Entries,
    *,
    invited_by: AbstractBaseUser | None = None,
    target: models.Model | None = None,
    role: str = "",
    groups: Iterable[Group | str] | None = (),
) -> None:
    """Check entries as `create_invites` would, changing nothing.

    Raises the same errors in the same order. For forms that show these refusals
    before anything is written; `create_invites` checks again, since an invite or user
    may appear in between.
    """
    _creatable(entries, invited_by=invited_by, target=target, role=role, groups=groups)


def _creatable(
    entries: Entries,
    *,
    invited_by: AbstractBaseUser | None,
    target: models.Model | None,
    role: str,
    groups: Iterable[Group | str] | None,
) -> Batch:
    """The call's entries and what they invite into, once every refusal has been checked."""
    adapter = get_adapter()
    batch = prepare_batch(
        entries, adapter=adapter, invited_by=invited_by, target=target, role=role, groups=groups
    )
    if batch.entries:
        check_no_open_invites(batch)
        check_invitees(adapter, batch)
    return batch
