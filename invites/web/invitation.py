"""What every invitee page says about the invite: who invited whom into what."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from invites.adapter import get_adapter
from invites.models import Invite, email_key


def signed_in_as(request: HttpRequest) -> str:
    """Who is signed in, as the pages name them (email, else username); "" for nobody."""
    user: Any = request.user
    if not user.is_authenticated:
        return ""
    email = str(getattr(user, user.get_email_field_name(), "") or "")
    return email or str(user.get_username())


def is_invitee(user: AbstractBaseUser | Any, invite: Invite) -> bool:
    """Whether the signed-in `user` is the account the invite's email belongs to."""
    email = str(getattr(user, user.get_email_field_name(), "") or "")
    return bool(email) and email_key(email) == email_key(invite.email)


def invitation_context(request: HttpRequest, invite: Invite) -> dict[str, Any]:
    """The template context of `invites/includes/invitation.html`.

    `target` is the adapter's `describe_target` for an invite into something, and
    empty for an invite to the site itself (whose description is the site's name).
    """
    adapter = get_adapter()
    try:
        site_name = adapter.get_site_name()
    except ImproperlyConfigured:
        # No SITE_URL (a system check reports it): the page still names where it is.
        site_name = request.get_host()
    return {
        "invite": invite,
        "inviter": adapter.get_inviter_name(invite),
        "target": adapter.describe_target(invite) if invite.target_type_id is not None else "",
        "role": invite.role,
        "site_name": site_name,
    }
