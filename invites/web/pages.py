"""The invitee pages' shared parts: their headers, the error pages, the 429 page."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from invites.adapter import get_adapter
from invites.exceptions import (
    InvalidInviteToken,
    InviteAlreadyAccepted,
    InviteExpired,
    UserAlreadyExists,
)

MISSING = "missing"
THROTTLED = "throttled"
# A form posted for one invite after another invite's link was opened in the browser.
OTHER_INVITE = "other_invite"
# Codes of the services' exceptions this module has no class for in every version.
DECLINED = "declined"
EMAIL_MISMATCH = "email_mismatch"
ALREADY_MEMBER = "already_member"

# Per problem: status, heading, explanation, what to do, and whether to offer sign-in.
ERRORS: dict[str, tuple[int, Promise, Promise, Promise, bool]] = {
    MISSING: (
        400,
        _("No invite link was opened"),
        _("This page only works when you open it from the link in your invite email."),
        _(
            "Open the link from your invite email again. Your browser needs to accept "
            "cookies from this site for the page to remember the link."
        ),
        False,
    ),
    InvalidInviteToken.code: (
        400,
        _("This invite link is not valid"),
        _("The link may be incomplete, or the invite was withdrawn or replaced by a newer one."),
        _("Ask the person who invited you to send you a new invite."),
        False,
    ),
    InviteExpired.code: (
        400,
        _("This invite has expired"),
        _("Invites can only be used for a limited time, and this one has run out."),
        _(
            "Ask the person who invited you to send the invite again; the new link "
            "works right away."
        ),
        False,
    ),
    InviteAlreadyAccepted.code: (
        400,
        _("This invite has already been used"),
        _("An account was already created with this invite."),
        _("Sign in with that account. If it was not you, ask for a new invite."),
        True,
    ),
    UserAlreadyExists.code: (
        409,
        _("An account with this email already exists"),
        _("Someone already has an account with the email address of this invite."),
        _("Sign in with that account instead, or ask the person who invited you for help."),
        True,
    ),
    DECLINED: (
        400,
        _("This invite was declined"),
        _("The invite was declined, so its link no longer works."),
        _("If you have changed your mind, ask the person who invited you for a new invite."),
        False,
    ),
    EMAIL_MISMATCH: (
        403,
        _("This invite is for another account"),
        _("The account you are signed in with does not have the email address of this invite."),
        _("Sign out, then sign in with the account the invite was sent to."),
        False,
    ),
    ALREADY_MEMBER: (
        409,
        _("You already have what this invite gives"),
        _("Your account already has the access this invite would give you."),
        _("There is nothing more to do here."),
        False,
    ),
    OTHER_INVITE: (
        409,
        _("This form was for another invite"),
        _(
            "After this form was shown, a link to another invite was opened in this "
            "browser. Nothing was accepted."
        ),
        _("Continue with the invite you opened last, or open the link of the one you want again."),
        False,
    ),
}


def page_headers(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send `Cache-Control: no-store`, and `Referrer-Policy: no-referrer` unless set."""

    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    return wrapped


def with_form(response: HttpResponse) -> HttpResponse:
    """Mark a page that holds a form which posts back to our own pages.

    Browsers send `Origin: null` with a form POST from a `no-referrer` page, and
    Django's CSRF check refuses that. These pages' URLs hold no token, and
    `same-origin` still sends no Referer to any other site.
    """
    response["Referrer-Policy"] = "same-origin"
    return response


def login_url() -> str | None:
    """Where the invitee signs in (the adapter's `get_login_url`); None shows no link."""
    return get_adapter().get_login_url()


def error_page(request: HttpRequest, code: str) -> HttpResponse:
    """The page for one problem (`ERRORS` key): its own heading, explanation and hint."""
    status, title, message, hint, offer_login = ERRORS.get(code, ERRORS[InvalidInviteToken.code])
    context = {
        "error_code": code,
        "title": title,
        "message": message,
        "hint": hint,
        "login_url": login_url() if offer_login else None,
        "continue_url": reverse("invites:accept") if code == OTHER_INVITE else None,
        # An expired invite can still be declined, which stops its reminders.
        "decline_url": reverse("invites:decline") if code == InviteExpired.code else None,
    }
    return render(request, "invites/accept_error.html", context, status=status)


def wait_seconds(wait: float | None) -> int:
    """A wait as the whole seconds a page and `Retry-After` state, at least one."""
    return max(1, math.ceil(wait or 1))


def throttled_page(request: HttpRequest, wait: float | None) -> HttpResponse:
    """429: too many accept attempts from this address (shared with the API)."""
    seconds = wait_seconds(wait)
    response = render(
        request,
        "invites/accept_throttled.html",
        {"error_code": THROTTLED, "seconds": seconds},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
