"""Built-in receivers: email invitees on `invite_created` and `invite_resent`.

The services send these signals after their transaction commits, so the receivers
enqueue directly: one `deliver_invite_email` task per invite, carrying the invite id
and the digest of the new token, never the token itself. The request that created or
refreshed never waits for SMTP. Turned off by `INVITES["SEND_EMAILS"] = False`, read
at send time so that `override_settings` applies.
"""

from __future__ import annotations

from typing import Any

from invites.conf import invites_settings
from invites.emails import EmailKind
from invites.models import Invite
from invites.tasks import deliver_invite_email


def enqueue_invite_email(invite: Invite, kind: EmailKind) -> None:
    """Queue the email of one invite for its current token."""
    deliver_invite_email.enqueue(str(invite.pk), invite.token_hash, kind)


def email_created_invite(sender: type[Invite], *, invite: Invite, **kwargs: Any) -> None:
    """`invite_created` receiver: queue the first invite email."""
    if invites_settings.SEND_EMAILS:
        enqueue_invite_email(invite, "created")


def email_resent_invite(sender: type[Invite], *, invite: Invite, **kwargs: Any) -> None:
    """`invite_resent` receiver: queue the email with the new link."""
    if invites_settings.SEND_EMAILS:
        enqueue_invite_email(invite, "resent")
