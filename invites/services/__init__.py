"""Business actions on invites: create, refresh (resend), accept, delete, resend failed emails.

Each function is one atomic action: it either changes everything it was asked to or
raises an `invites.exceptions.InviteError` and changes nothing. Signals go out only
after the transaction commits. Views, the admin, management commands and tests all
call these; none re-implements them.
"""

from invites.services.accept import accept_invite, check_invite_token
from invites.services.create import check_creatable, create_invites
from invites.services.delete import delete_invites
from invites.services.emails import resend_failed_emails
from invites.services.ids import parse_invite_id
from invites.services.importing import check_import, import_invites
from invites.services.refresh import check_refreshable, refresh_invite_tokens

__all__ = [
    "accept_invite",
    "check_creatable",
    "check_import",
    "check_invite_token",
    "check_refreshable",
    "create_invites",
    "delete_invites",
    "import_invites",
    "parse_invite_id",
    "refresh_invite_tokens",
    "resend_failed_emails",
]
