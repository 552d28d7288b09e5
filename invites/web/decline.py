"""Declining an invite: a confirmation page, then the page that says it is done.

Anyone holding the link may decline, as with the public API: declining gives nothing
to anybody. The confirmation is its own page so that a mail scanner's prefetch or a
stray click never declines; only its form's POST calls `decline_invite`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.debug import sensitive_variables

from invites import services
from invites.exceptions import InviteError
from invites.reports import hide_secrets
from invites.web import cookies
from invites.web.invitation import invitation_context
from invites.web.opened import INVITE_FIELD, is_for, opened_invite, refuse
from invites.web.pages import OTHER_INVITE, error_page, page_headers, with_form
from invites.web.signin import NEXT, accept_page_url, safe_next


@method_decorator(page_headers, name="dispatch")
@method_decorator(hide_secrets, name="dispatch")
class DeclinePageView(View):
    """`/invites/accept/decline/`: ask whether to decline on GET; decline on POST."""

    template_name = "invites/decline_confirm.html"

    @method_decorator(sensitive_variables())
    def get(self, request: HttpRequest) -> HttpResponse:
        opened = opened_invite(request, allow_expired=True)
        if isinstance(opened, HttpResponse):
            return opened
        next_url = safe_next(request, request.GET.get(NEXT))
        context = {
            **invitation_context(request, opened.invite),
            "invite_field": INVITE_FIELD,
            "back_url": accept_page_url(next_url),
        }
        return with_form(render(request, self.template_name, context))

    @method_decorator(sensitive_variables())
    def post(self, request: HttpRequest) -> HttpResponse:
        opened = opened_invite(request, allow_expired=True)
        if isinstance(opened, HttpResponse):
            return opened
        if not is_for(request, opened):
            return error_page(request, OTHER_INVITE)
        try:
            services.decline_invite(opened.token)
        except InviteError as error:
            return refuse(request, error)
        response = HttpResponseRedirect(reverse("invites:declined"))
        cookies.forget_invite(response)
        return response


@page_headers
def declined(request: HttpRequest) -> HttpResponse:
    """`/invites/accept/declined/`: the invite is declined; nothing more will come."""
    return render(request, "invites/declined.html")
