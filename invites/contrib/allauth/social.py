"""allauth's social account adapter for invites: a provider's verified email decides.

A social sign-up in a session that opened an invite accepts it when the provider
vouches for the invite's email (a verified address). In invite-only mode every other
social sign-up is refused: without an invite it gets allauth's "sign up closed" page,
and with an invite but another address a page that says so without showing the invited
address (the browser may not be the invitee's).
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import render
from django.views.decorators.debug import sensitive_variables

from invites import services
from invites.conf import invites_settings
from invites.contrib.allauth import session
from invites.models import Invite, email_key


def vouches_for(sociallogin: SocialLogin, invite: Invite) -> bool:
    """Whether the provider reports the invite's email as verified for this login."""
    return any(
        address.verified and email_key(address.email) == invite.email_key
        for address in sociallogin.email_addresses
    )


class InviteSocialAccountAdapter(DefaultSocialAccountAdapter):
    """allauth's social account adapter, with sign-up through the opened invite."""

    refused_template_name = "invites/allauth/social_signup_refused.html"

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        if not invites_settings.INVITE_ONLY:
            return bool(super().is_open_for_signup(request, sociallogin))
        pending = session.pending_invite(request)
        if pending is None:
            return False
        if not vouches_for(sociallogin, pending[0]):
            raise ImmediateHttpResponse(self.refuse(request))
        return bool(super().is_open_for_signup(request, sociallogin))

    def refuse(self, request: HttpRequest) -> Any:
        """The page for a social sign-up whose verified email is not the invite's."""
        return render(request, self.refused_template_name, status=403)

    @sensitive_variables()
    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> Any:
        """Save the social sign-up; with the invite it vouches for, accept that too.

        allauth saves the user, its social account and its addresses (`save`) inside
        the accept's transaction, so the invite, its grants and the verified, primary
        address are written together or not at all.
        """
        pending = session.pending_invite(request)
        if pending is None or not vouches_for(sociallogin, pending[0]):
            get_account_adapter(request).unstash_verified_email(request)
            return super().save_user(request, sociallogin, form)
        invite, token = pending
        user = sociallogin.user
        setattr(user, get_user_model().get_email_field_name(), invite.email)
        saved: list[Any] = []

        def save(new_user: Any) -> None:
            saved.append(DefaultSocialAccountAdapter.save_user(self, request, sociallogin, form))

        with transaction.atomic():
            services.accept_invite_for_new_user(token, user=user, save=save)
        session.forget(request)
        return saved[0] if saved else user
