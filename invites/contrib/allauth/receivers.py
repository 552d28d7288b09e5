"""The receivers of the app's signals that tell allauth what an invite proved."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.models import EmailAddress
from django.http import HttpRequest

from invites.contrib.allauth import session
from invites.models import Invite


def verify_invite_email(sender: Any, *, invite: Invite, user: Any, **kwargs: Any) -> None:
    """Give `user` a verified, primary `EmailAddress` for the invite's email.

    Runs inside the accept (or join) transaction: following the invite link proved the
    address, so allauth's mandatory verification asks nothing more at the first login.
    During allauth's own sign-up form, allauth writes the rows right after from the
    verified email the adapter stashed (it refuses to find any already there).
    """
    if session.form_signup.get():
        return
    address = EmailAddress.objects.add_email(None, user, invite.email)
    if not address.verified:
        address.set_verified(commit=True)
    if not address.primary:
        # Not `set_as_primary()`: that also rewrites the user's email in allauth's case.
        EmailAddress.objects.filter(user=user, primary=True).update(primary=False)
        address.primary = True
        address.save(update_fields=["primary"])


def remember_opened_invite(
    sender: Any, *, invite: Invite, request: HttpRequest, **kwargs: Any
) -> None:
    """Open allauth's sign-up for this session, with the invite's email filled in."""
    session.remember(request, invite)
    if session.pending_invite(request) is not None:  # no account has its email yet
        get_account_adapter(request).stash_verified_email(request, invite.email)
