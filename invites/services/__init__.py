"""Business actions on invites: create, refresh (resend), accept, join, decline, delete,
resend failed emails.

Each function is one atomic action: it either changes everything it was asked to or
raises an `invites.exceptions.InviteError` (or Django's `ValidationError` or
`PermissionDenied`) and changes nothing. Signals go out only after the transaction
commits (`invite_accepting` alone is sent inside it). Views, the admin, management
commands and tests all call these; none re-implements them.
"""

from invites.services.accept import (
    accept_invite,
    accept_invite_for_new_user,
    check_invite_token,
)
from invites.services.create import check_creatable, create_invites
from invites.services.decline import decline_invite
from invites.services.delete import delete_invites
from invites.services.emails import resend_failed_emails
from invites.services.ids import parse_invite_id
from invites.services.importing import check_import, import_invites
from invites.services.join import join_invite
from invites.services.lookup import check_invite_link
from invites.services.refresh import check_refreshable, refresh_invite_tokens

__all__ = [
    "accept_invite",
    "accept_invite_for_new_user",
    "check_creatable",
    "check_import",
    "check_invite_link",
    "check_invite_token",
    "check_refreshable",
    "create_invites",
    "decline_invite",
    "delete_invites",
    "import_invites",
    "join_invite",
    "parse_invite_id",
    "refresh_invite_tokens",
    "resend_failed_emails",
]
