"""The invite a browser session opened, as allauth's sign-up needs to know it.

The session holds the invite's id and a digest of its current `token_hash`, never the
raw token: the digest tells whether the link the browser opened is still the invite's
current one (a refresh replaces it), and cannot be turned back into a token. When the
sign-up accepts, the token is rebuilt from the invite itself (`rebuild_token`).
"""

from __future__ import annotations

import hmac
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.views.decorators.debug import sensitive_variables

from invites import services
from invites.exceptions import InviteError
from invites.models import Invite
from invites.tokens import rebuild_token

SESSION_KEY = "invites_allauth_invite"
DIGEST_SALT = "invites.contrib.allauth.session"

# Set while allauth's sign-up form saves its user: allauth then writes the user's
# `EmailAddress` rows itself, from the verified email stashed in the session.
form_signup: ContextVar[bool] = ContextVar("invites_allauth_form_signup", default=False)


def link_digest(invite: Invite) -> str:
    return salted_hmac(DIGEST_SALT, invite.token_hash, algorithm="sha256").hexdigest()


def remember(request: HttpRequest, invite: Invite) -> None:
    """Remember in the session that this browser opened `invite`'s current link."""
    request.session[SESSION_KEY] = {"id": str(invite.pk), "link": link_digest(invite)}


def forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


@sensitive_variables()
def pending_invite(request: HttpRequest) -> tuple[Invite, str] | None:
    """The invite this session opened and its raw token, while a new user can accept it.

    None when the session opened none, or when that invite was accepted, declined,
    deleted, refreshed since (its link is revoked) or expired, or an account with its
    email exists now.
    """
    session = getattr(request, "session", None)
    data: Any = session.get(SESSION_KEY) if session is not None else None
    if not isinstance(data, dict) or not isinstance(data.get("link"), str):
        return None
    invite_id = services.parse_invite_id(data.get("id"))
    invite = Invite.objects.filter(pk=invite_id).first() if invite_id else None
    if invite is None or not hmac.compare_digest(link_digest(invite), data["link"]):
        return None
    token = rebuild_token(invite)
    if token is None:
        return None
    try:
        return services.check_invite_token(token), token
    except InviteError:
        return None
