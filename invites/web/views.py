"""The invitee's HTML pages: the accept form behind the emailed link, and its success page.

The emailed link carries the raw token in its query string. The first GET moves it
into a signed, HttpOnly cookie scoped to the accept page and redirects to the same
page without the token (as Django's `PasswordResetConfirmView` does with the session),
so the token leaves the address bar and the history. A cookie rather than the session:
with database sessions the raw token would be written to the database, which the
token scheme never allows. The signature means only our own redirect can set it, so
the token look-up behind the plain GET cannot be used to guess tokens around the rate
limit.

Every response is sent with `Cache-Control: no-store` and `Referrer-Policy:
no-referrer`, except that the page holding the form says `same-origin` (see
`AcceptPageView.show_form`): its URL has no token, and browsers send `Origin: null`
with a POST from a `no-referrer` page, which Django's CSRF check refuses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables

from invites import services
from invites.adapter import get_adapter
from invites.exceptions import (
    InvalidInviteToken,
    InviteAlreadyAccepted,
    InviteError,
    InviteExpired,
    UserAlreadyExists,
)
from invites.models import Invite
from invites.ratelimit import accept_allowed
from invites.reports import hide_secrets
from invites.tokens import MAX_TOKEN_LENGTH
from invites.web.forms import AcceptInviteForm

TOKEN_COOKIE = "invites_accept_token"  # noqa: S105  (a cookie name)
TOKEN_SALT = "invites.pages.accept-token"  # noqa: S105  (a signing salt)
DONE_COOKIE = "invites_accepted"
DONE_SALT = "invites.pages.accepted"
# How long an opened link stays usable in this browser without opening it again.
TOKEN_COOKIE_AGE = 60 * 60 * 24
DONE_COOKIE_AGE = 60 * 60

# Raw tokens are URL-safe base64; anything else is refused before it reaches a cookie.
TOKEN_SHAPE = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_TOKEN_LENGTH}}}")

# What an error report shows in place of the token.
REDACTED = "********************"

MISSING = "missing"
THROTTLED = "throttled"

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


@sensitive_variables()
def take_token_out_of_request(request: HttpRequest) -> str:
    """The link's `token` query parameter, removed from the request itself.

    An error report quotes the request's URL and query parameters, and Django's report
    filters hide neither; once the token is read, the request shows it as `********`.
    """
    token = request.GET.get("token", "")
    query = request.GET.copy()
    query["token"] = REDACTED
    request.META["QUERY_STRING"] = query.urlencode(safe="*")
    request.GET = QueryDict(request.META["QUERY_STRING"])
    return token


def login_url() -> str | None:
    """Where the invitee signs in (the adapter's `get_login_url`); None shows no link."""
    return get_adapter().get_login_url()


def error_page(request: HttpRequest, code: str) -> HttpResponse:
    """The page for one problem (`ERRORS` key): its own heading, explanation and hint."""
    status, title, message, hint, offer_login = ERRORS[code]
    context = {
        "error_code": code,
        "title": title,
        "message": message,
        "hint": hint,
        "login_url": login_url() if offer_login else None,
    }
    return render(request, "invites/accept_error.html", context, status=status)


def throttled_page(request: HttpRequest, wait: float | None) -> HttpResponse:
    """429: too many accept attempts from this address (shared with the API)."""
    seconds = max(1, math.ceil(wait or 1))
    response = render(
        request,
        "invites/accept_throttled.html",
        {"error_code": THROTTLED, "seconds": seconds},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


@method_decorator(page_headers, name="dispatch")
# Error reports (the debug page, the admins' email) show no form field, and no local
# variable of the methods that hold the token or the password.
@method_decorator(hide_secrets, name="dispatch")
class AcceptPageView(View):
    """`/invites/accept/`: check the link on GET, accept the invite on POST."""

    template_name = "invites/accept_form.html"

    @method_decorator(sensitive_variables())
    def get(self, request: HttpRequest) -> HttpResponse:
        if "token" in request.GET:
            return self.take_token_out_of_url(request)
        checked = self.checked_link(request)
        if isinstance(checked, HttpResponse):
            return checked
        _token, invite = checked
        form_class = get_adapter().get_accept_form_class()
        return self.show_form(request, form_class(invite=invite))

    @method_decorator(sensitive_variables())
    def post(self, request: HttpRequest) -> HttpResponse:
        allowed, wait = accept_allowed(request)
        if not allowed:
            return throttled_page(request, wait)
        checked = self.checked_link(request)
        if isinstance(checked, HttpResponse):
            return checked
        token, invite = checked
        form = get_adapter().get_accept_form_class()(request.POST, invite=invite)
        if not form.is_valid():
            return self.show_form(request, form)
        try:
            user = services.accept_invite(
                token, password=form.cleaned_data["password1"], **form.user_fields()
            )
        except ValidationError as error:
            form.add_refusal(error)
            return self.show_form(request, form)
        except InviteError as error:
            return self.refuse(request, error)
        return self.accepted(request, user)

    @method_decorator(sensitive_variables())
    def checked_link(self, request: HttpRequest) -> tuple[str, Invite] | HttpResponse:
        """The stored token and its invite, or the page saying what is wrong with it.

        The token comes from our cookie only, never from a submitted form.
        """
        token = self.stored_token(request)
        if token is None:
            return error_page(request, MISSING)
        try:
            return token, services.check_invite_token(token)
        except InviteError as error:
            return self.refuse(request, error)

    @method_decorator(sensitive_variables())
    def take_token_out_of_url(self, request: HttpRequest) -> HttpResponse:
        """Count the attempt, keep the token in a cookie, redirect to the bare URL."""
        token = take_token_out_of_request(request)
        allowed, wait = accept_allowed(request)
        if not allowed:
            return throttled_page(request, wait)
        if not TOKEN_SHAPE.fullmatch(token):
            # Not one of ours (and maybe not fit for a cookie); empty reads as invalid.
            token = ""
        response = HttpResponseRedirect(reverse("invites:accept"))
        response.set_signed_cookie(
            TOKEN_COOKIE,
            token,
            salt=TOKEN_SALT,
            max_age=TOKEN_COOKIE_AGE,
            path=reverse("invites:accept"),
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
        return response

    @method_decorator(sensitive_variables())
    def stored_token(self, request: HttpRequest) -> str | None:
        """The token our redirect stored, or None when there is none (or it was forged)."""
        token: str | None = request.get_signed_cookie(
            TOKEN_COOKIE, default=None, salt=TOKEN_SALT, max_age=TOKEN_COOKIE_AGE
        )
        return token

    def show_form(self, request: HttpRequest, form: AcceptInviteForm) -> HttpResponse:
        response = render(request, self.template_name, {"form": form, "invite": form.invite})
        # Browsers send `Origin: null` with a form POST from a `no-referrer` page, and
        # Django's CSRF check refuses that. This URL holds no token, and `same-origin`
        # still sends no Referer to any other site.
        response["Referrer-Policy"] = "same-origin"
        return response

    def refuse(self, request: HttpRequest, error: InviteError) -> HttpResponse:
        response = error_page(request, error.code)
        if not isinstance(error, InviteExpired):
            # The link can never work again; an expired one neither, but keeping it
            # lets the page say "expired" rather than "no link" when reloaded.
            response.delete_cookie(TOKEN_COOKIE, path=reverse("invites:accept"))
        return response

    def accepted(self, request: HttpRequest, user: Any) -> HttpResponse:
        """Redirect to the success page (so a reload does not post again)."""
        response = HttpResponseRedirect(reverse("invites:accept_done"))
        response.delete_cookie(TOKEN_COOKIE, path=reverse("invites:accept"))
        User = get_user_model()
        done = {
            "email": getattr(user, User.get_email_field_name(), ""),
            "username": user.get_username(),
        }
        response.set_cookie(
            DONE_COOKIE,
            signing.dumps(done, salt=DONE_SALT),
            max_age=DONE_COOKIE_AGE,
            path=reverse("invites:accept"),
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
        return response


@page_headers
def accept_done(request: HttpRequest) -> HttpResponse:
    """`/invites/accept/done/`: the account is ready; a link to sign in."""
    try:
        done = signing.loads(
            request.COOKIES.get(DONE_COOKIE, ""), salt=DONE_SALT, max_age=DONE_COOKIE_AGE
        )
    except signing.BadSignature:
        return HttpResponseRedirect(reverse("invites:accept"))
    if not isinstance(done, dict):
        return HttpResponseRedirect(reverse("invites:accept"))
    email, username = str(done.get("email", "")), str(done.get("username", ""))
    context = {
        "email": email,
        "username": username,
        "username_is_email": username.casefold() == email.casefold(),
        "login_url": login_url(),
    }
    return render(request, "invites/accept_done.html", context)
