"""The invite a browser opened, as every invitee page needs it first."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse
from django.views.decorators.debug import sensitive_variables

from invites import services
from invites.exceptions import InvalidInviteToken, InviteError, InviteExpired, UserAlreadyExists
from invites.models import Invite
from invites.tokens import hash_token
from invites.web import cookies
from invites.web.pages import MISSING, error_page

# The hidden field that ties a posted form to the invite it was shown for.
INVITE_FIELD = "invite"


@dataclass
class Opened:
    """The invite this browser opened, its current raw token, and whether its email
    already belongs to an account."""

    token: str = field(repr=False)
    invite: Invite
    has_account: bool


@sensitive_variables()
def opened_invite(request: HttpRequest, *, allow_expired: bool = False) -> Opened | HttpResponse:
    """The invite this browser opened, or the page saying what is wrong with it.

    The reference comes from our cookie only, never from a submitted form. With
    `allow_expired`, an expired invite is no refusal (it can still be declined).
    """
    token = cookies.remembered_token(request)
    if token is None:
        return error_page(request, MISSING)
    try:
        return Opened(token, services.check_invite_token(token), has_account=False)
    except UserAlreadyExists:
        # Raised only once every other check passed: the invite itself is usable.
        return _found(request, token, has_account=True)
    except InviteExpired as error:
        if allow_expired:
            return _found(request, token, has_account=False)
        return refuse(request, error)
    except InviteError as error:
        return refuse(request, error)


@sensitive_variables()
def _found(request: HttpRequest, token: str, *, has_account: bool) -> Opened | HttpResponse:
    invite = Invite.all_objects.filter(token_hash=hash_token(token)).first()
    if invite is None:  # deleted meanwhile
        return error_page(request, InvalidInviteToken.code)
    return Opened(token, invite, has_account=has_account)


def is_for(request: HttpRequest, opened: Opened) -> bool:
    """Whether the posted form was shown for the invite the browser has open now."""
    return request.POST.get(INVITE_FIELD) == str(opened.invite.pk)


def refuse(request: HttpRequest, error: InviteError) -> HttpResponse:
    """The page for a service's refusal; the invite is forgotten unless it only expired."""
    response = error_page(request, error.code)
    if not isinstance(error, InviteExpired):
        # The link can never work again; an expired one neither, but keeping it
        # lets the page say "expired" rather than "no link" when reloaded.
        cookies.forget_invite(response)
    return response
