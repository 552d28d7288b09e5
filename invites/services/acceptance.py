"""The end of every accept, by a new user or an existing one: grant, record, signal."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from invites import signals
from invites.adapter import DefaultInviteAdapter
from invites.models import Invite


def grants_something(invite: Invite) -> bool:
    """Whether the invite gives more than an account: a target, or a group."""
    return invite.target_type_id is not None or invite.groups.exists()


def mark_accepted(invite: Invite) -> None:
    """Record the invite as accepted, before its new user exists.

    A new account closes the open plain site invites of its email (see
    `invites.receivers`); closing this one first leaves it to its own accept.
    `complete_acceptance` then names the user.
    """
    now = timezone.now()
    invite.accepted = True
    invite.accepted_at = now
    invite.updated_at = now
    invite.save(update_fields=["accepted", "accepted_at", "updated_at"])


def complete_acceptance(
    adapter: DefaultInviteAdapter, invite: Invite, user: AbstractBaseUser, *, created: bool
) -> None:
    """Apply the invite's grants to `user` and record who accepted; inside the transaction.

    Sends `invite_accepting` here, where a receiver's error rolls the accept back, and
    `invite_accepted` after the commit.
    """
    adapter.grant(invite, user)
    now = timezone.now()
    fields = ["accepted_by", "updated_at"]
    if not invite.accepted:
        invite.accepted = True
        invite.accepted_at = now
        fields += ["accepted", "accepted_at"]
    invite.accepted_by = user  # type: ignore[assignment]
    invite.updated_at = now
    invite.save(update_fields=fields)
    signals.invite_accepting.send(sender=Invite, invite=invite, user=user, created=created)
    signals.send_on_commit(
        signals.invite_accepted, Invite, [{"invite": invite, "user": user, "created": created}]
    )
