"""Domain errors raised by `invites.services`.

Each carries a stable `code` that the API puts in its error bodies, and the values it
is about (`ids` or `emails`) exactly as the caller gave them. Messages never contain a
raw token.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext, gettext_lazy, ngettext


def _join(values: Sequence[Any]) -> str:
    return ", ".join(str(value) for value in values)


class InviteError(Exception):
    """Base class of every error the invite services raise."""

    code: str = "invite_error"
    default_message: Any = gettext_lazy("The invite operation failed.")

    def __init__(self, message: str | None = None) -> None:
        self.message = str(message or self.default_message)
        super().__init__(self.message)


class InviteNotFound(InviteError):
    """Some ids are malformed, unknown or soft-deleted; `.ids` lists every one."""

    code = "not_found"

    def __init__(self, ids: Sequence[Any]) -> None:
        self.ids = list(ids)
        super().__init__(gettext("No invite found for: %(ids)s.") % {"ids": _join(self.ids)})


class InviteAlreadyAccepted(InviteError):
    """The invite was already accepted; for a bulk call `.ids` lists the accepted ones."""

    code = "already_accepted"
    default_message = gettext_lazy("This invite has already been accepted.")

    def __init__(self, ids: Sequence[Any] = ()) -> None:
        self.ids = list(ids)
        message = None
        if self.ids:
            message = gettext("Already accepted: %(ids)s.") % {"ids": _join(self.ids)}
        super().__init__(message)


class InviteExpired(InviteError):
    """The invite's token is past its expiry; the invitee needs a new invite."""

    code = "expired"
    default_message = gettext_lazy("This invite has expired.")


class InvalidInviteToken(InviteError):
    """The token is unknown, was revoked by a refresh, or its invite was deleted."""

    code = "invalid_token"
    default_message = gettext_lazy("This invite link is invalid.")


class InviteAlreadyExists(InviteError):
    """An open invite into the same target exists for these emails, or an email appears
    twice in one call."""

    code = "invite_exists"

    def __init__(self, emails: Sequence[str]) -> None:
        self.emails = list(emails)
        super().__init__(
            gettext("An invite already exists for: %(emails)s.") % {"emails": _join(self.emails)}
        )


class UserAlreadyExists(InviteError):
    """A user already exists with each of these emails."""

    code = "user_exists"

    def __init__(self, emails: Sequence[str]) -> None:
        self.emails = list(emails)
        super().__init__(
            gettext("A user already exists with the email: %(emails)s.")
            % {"emails": _join(self.emails)}
        )


class InviteDeclined(InviteError):
    """The invitee declined the invite; for a bulk call `.ids` lists the declined ones."""

    code = "declined"
    default_message = gettext_lazy("This invite has been declined.")

    def __init__(self, ids: Sequence[Any] = ()) -> None:
        self.ids = list(ids)
        message = None
        if self.ids:
            message = gettext("Declined: %(ids)s.") % {"ids": _join(self.ids)}
        super().__init__(message)


class InviteEmailMismatch(InviteError):
    """The signed-in user's email is not the one the invite was sent to."""

    code = "email_mismatch"
    default_message = gettext_lazy("This invite was sent to another email address.")


class AlreadyMember(InviteError):
    """The users with these emails already have what the invite would grant."""

    code = "already_member"

    def __init__(self, emails: Sequence[str]) -> None:
        self.emails = list(emails)
        super().__init__(gettext("Already a member: %(emails)s.") % {"emails": _join(self.emails)})


class InvalidImportFile(InviteError):
    """An import's file or text cannot be read: too large, too many rows, not UTF-8 CSV,
    empty, or without an `email` column. `code` says which."""

    code = "invalid_file"

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class InvalidImportRows(InviteError):
    """Some entries of an import or bulk call cannot be created; `.rows` lists every one
    (`invites.imports.RowProblem`: index, email, code, message). Nothing was created."""

    code = "invalid_rows"

    def __init__(self, rows: Sequence[Any]) -> None:
        self.rows = list(rows)
        super().__init__(
            ngettext(
                "Nothing was created: %(count)d entry cannot be imported.",
                "Nothing was created: %(count)d entries cannot be imported.",
                len(self.rows),
            )
            % {"count": len(self.rows)}
        )
