"""The invitee's accept page, `/invites/accept/`, and its success page.

The emailed link carries the raw token in its query string. The first GET keeps a
reference to the invite in a cookie (`invites.web.cookies`: the token's digest,
signed, for the browser session) and redirects to the same page without the token, as
Django's `PasswordResetConfirmView` does with the session, so the token leaves the
address bar and the history; a refusal by the rate limit redirects the same way
before it shows the 429. Only that opening is counted against the accept rate limit:
it is the only request that looks a token up, and a cookie our redirect signed cannot
be used to guess tokens. Mistakes on a valid invite's form are counted per invite.

Then the page is one of four, by who the invitee is:
- no account with the invite's email: the form that creates it (`accept_invite`), and
  the new user is signed in (`INVITES["LOGIN_ON_ACCEPT"]`);
- an account, signed in as it: a Join button (`join_invite`);
- an account, not signed in: a sign-in link whose `next` leads back here;
- signed in as anyone else: who is signed in and for whom the invite is, with a
  sign-out button; nothing is accepted for the wrong account.
Every form carries the id of the invite it was shown for: posted after another link
was opened in the same browser, it is refused rather than applied to that other
invite. Declining has its own pages (`invites.web.decline`).

Every response is sent with `Cache-Control: no-store` and `Referrer-Policy:
no-referrer`, except pages with a form, which say `same-origin` (`pages.with_form`).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user, get_user_model, logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.debug import sensitive_variables

from invites import services, signals
from invites.adapter import get_adapter
from invites.conf import invites_settings
from invites.exceptions import InviteError, UserAlreadyExists
from invites.middleware import unavailable_response
from invites.models import Invite
from invites.ratelimit import (
    RateLimitUnavailable,
    accept_allowed,
    count_attempt,
    seconds_to_wait,
)
from invites.reports import hide_secrets
from invites.services.acceptance import grants_something
from invites.tokens import MAX_TOKEN_LENGTH
from invites.web import cookies
from invites.web.forms import AcceptInviteForm
from invites.web.invitation import invitation_context, is_invitee, signed_in_as
from invites.web.opened import INVITE_FIELD, Opened, is_for, opened_invite, refuse
from invites.web.pages import (
    OTHER_INVITE,
    error_page,
    login_url,
    page_headers,
    throttled_page,
    wait_seconds,
    with_form,
)
from invites.web.redact import take_token_out_of_request
from invites.web.signin import (
    NEXT,
    accept_page_url,
    email_signs_in,
    safe_next,
    sign_in,
    sign_in_url,
)

# Mistakes on one invite's form (a weak password, a typo): after this many within the
# period, the form waits, keeping what was typed.
FORM_ERROR_RATE = "10/minute"
FORM_ERRORS_KEY = "invites_accept_form_errors_{invite}"


@method_decorator(page_headers, name="dispatch")
# Error reports (the debug page, the admins' email) show no form field, and no local
# variable of the methods that hold the token or the password.
@method_decorator(hide_secrets, name="dispatch")
class AcceptPageView(View):
    """`/invites/accept/`: say what the invite is on GET; accept, join or sign out on POST."""

    template_name = "invites/accept_form.html"
    join_template_name = "invites/accept_join.html"
    sign_in_template_name = "invites/accept_sign_in.html"
    wrong_account_template_name = "invites/accept_wrong_account.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """As any view, but a rate limit that cannot count refuses with a 503 page."""
        try:
            return super().dispatch(request, *args, **kwargs)
        except RateLimitUnavailable as error:
            return unavailable_response(error.retry_after)

    @method_decorator(sensitive_variables())
    def get(self, request: HttpRequest) -> HttpResponse:
        if "token" in request.GET:
            return self.take_token_out_of_url(request)
        wait = cookies.remaining_wait(request)
        if wait is not None:
            return throttled_page(request, wait)
        unavailable = cookies.remaining_unavailable(request)
        if unavailable is not None:
            return unavailable_response(wait_seconds(unavailable))
        opened = opened_invite(request)
        if isinstance(opened, HttpResponse):
            return opened
        if opened.has_account and not grants_something(opened.invite):
            return error_page(request, UserAlreadyExists.code)
        signals.send_robust(signals.invite_opened, Invite, invite=opened.invite, request=request)
        if request.user.is_authenticated and not is_invitee(request.user, opened.invite):
            return self.show(request, self.wrong_account_template_name, opened.invite, status=403)
        if not opened.has_account:
            form = get_adapter().get_accept_form_class()(invite=opened.invite)
            return self.show_form(request, form)
        if request.user.is_authenticated:
            return self.show(request, self.join_template_name, opened.invite)
        return self.show(request, self.sign_in_template_name, opened.invite)

    @method_decorator(sensitive_variables())
    def post(self, request: HttpRequest) -> HttpResponse:
        if request.POST.get("action") == "sign_out":
            logout(request)
            return HttpResponseRedirect(accept_page_url(self.next_url(request)))
        opened = opened_invite(request)
        if isinstance(opened, HttpResponse):
            return opened
        if not is_for(request, opened):
            return error_page(request, OTHER_INVITE)
        if request.user.is_authenticated and not is_invitee(request.user, opened.invite):
            return self.show(request, self.wrong_account_template_name, opened.invite, status=403)
        if not opened.has_account:
            return self.create_account(request, opened)
        if not grants_something(opened.invite):
            return error_page(request, UserAlreadyExists.code)
        if not request.user.is_authenticated:
            return self.show(request, self.sign_in_template_name, opened.invite)
        # The user model instance itself rather than the request's lazy stand-in.
        user = get_user(request)
        try:
            services.join_invite(opened.token, user=user)
        except InviteError as error:
            return refuse(request, error)
        return self.done(request, opened.invite, user)

    @method_decorator(sensitive_variables())
    def create_account(self, request: HttpRequest, opened: Opened) -> HttpResponse:
        """The new-account form's POST: `accept_invite`, then sign in and redirect."""
        form_class = get_adapter().get_accept_form_class()
        errors_key = FORM_ERRORS_KEY.format(invite=opened.invite.pk)
        wait = seconds_to_wait(errors_key, FORM_ERROR_RATE)
        if wait is not None:
            return self.form_must_wait(request, form_class, opened.invite, wait)
        form = form_class(request.POST, invite=opened.invite)
        if not form.is_valid():
            count_attempt(errors_key, FORM_ERROR_RATE)
            return self.show_form(request, form)
        try:
            user = services.accept_invite(
                opened.token, password=form.cleaned_data["password1"], **form.user_fields()
            )
        except ValidationError as error:
            count_attempt(errors_key, FORM_ERROR_RATE)
            form.add_refusal(error)
            return self.show_form(request, form)
        except InviteError as error:
            return refuse(request, error)
        if invites_settings.LOGIN_ON_ACCEPT:
            sign_in(request, user)
        return self.done(request, opened.invite, user, new=user)

    @method_decorator(sensitive_variables())
    def take_token_out_of_url(self, request: HttpRequest) -> HttpResponse:
        """Count the opening, remember the invite, and redirect to the URL without token.

        Refused by the rate limit, it redirects too (the 429 is shown there), and
        forgets any invite opened before: the one this link is for is not known yet. An
        opening the limit cannot count (its cache failed) is refused the same way, with
        a 503 there.
        """
        token = take_token_out_of_request(request)
        response = HttpResponseRedirect(accept_page_url(self.next_url(request)))
        try:
            allowed, wait = accept_allowed(request)
        except RateLimitUnavailable as error:
            # Not counted, so not kept: the 503 is shown at the URL without the token.
            cookies.forget_invite(response)
            cookies.remember_unavailable(response, request, error.retry_after)
            return response
        if not allowed:
            cookies.forget_invite(response)
            cookies.remember_wait(response, request, wait_seconds(wait))
            return response
        if len(token) > MAX_TOKEN_LENGTH:
            token = ""  # not one of ours; reads as an invalid link
        cookies.remember_invite(response, request, token)
        return response

    def next_url(self, request: HttpRequest) -> str | None:
        """A `next` from the query or the form, if it leads to this site."""
        return safe_next(request, request.POST.get(NEXT) or request.GET.get(NEXT))

    def show(
        self, request: HttpRequest, template: str, invite: Invite, status: int = 200, **context: Any
    ) -> HttpResponse:
        """One of the invite's pages: the invitation, its forms, what the invitee can do."""
        next_url = self.next_url(request)
        context = {
            **invitation_context(request, invite),
            "invite_field": INVITE_FIELD,
            "next_url": next_url or "",
            "sign_in_url": sign_in_url(next_url),
            "decline_url": accept_page_url(next_url, "invites:decline"),
            "signed_in_as": signed_in_as(request),
            **context,
        }
        return with_form(render(request, template, context, status=status))

    def show_form(
        self, request: HttpRequest, form: AcceptInviteForm, status: int = 200, **context: Any
    ) -> HttpResponse:
        return self.show(request, self.template_name, form.invite, status, form=form, **context)

    def form_must_wait(
        self, request: HttpRequest, form_class: type[AcceptInviteForm], invite: Invite, wait: float
    ) -> HttpResponse:
        """429 on the form itself: what was typed stays (the passwords excepted)."""
        typed = {
            name: request.POST[name]
            for name in form_class(invite=invite).fields
            if name in request.POST and not name.startswith("password")
        }
        form = form_class(invite=invite, initial=typed)
        seconds = wait_seconds(wait)
        response = self.show_form(request, form, wait_seconds=seconds, status=429)
        response["Retry-After"] = str(seconds)
        return response

    def done(
        self, request: HttpRequest, invite: Invite, user: Any, *, new: Any = None
    ) -> HttpResponse:
        """Redirect after an accept or a join (so a reload does not post again).

        To a safe `next` from the request, else where the adapter's
        `get_accept_redirect_url` says (by default the project's `LOGIN_REDIRECT_URL`
        for a signed-in user, else the success page).
        """
        target = self.next_url(request) or get_adapter().get_accept_redirect_url(
            invite, user, request=request
        )
        response = HttpResponseRedirect(target)
        cookies.forget_invite(response)
        if new is not None:
            email = getattr(new, get_user_model().get_email_field_name(), "")
            cookies.remember_new_user(response, request, str(email), new.get_username())
        return response


@page_headers
def accept_done(request: HttpRequest) -> HttpResponse:
    """`/invites/accept/done/`: the account is ready; a link to sign in."""
    done = cookies.new_user(request)
    if done is None:
        return HttpResponseRedirect(reverse("invites:accept"))
    email, username = done["email"], done["username"]
    context = {
        "email": email,
        "username": username,
        "username_is_email": email_signs_in(username, email),
        "login_url": login_url() if not request.user.is_authenticated else None,
        "signed_in": request.user.is_authenticated,
    }
    return render(request, "invites/accept_done.html", context)
