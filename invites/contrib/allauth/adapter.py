"""The adapters: allauth's account adapter for invites, and the app's own for allauth.

`InviteAccountAdapter` (for `ACCOUNT_ADAPTER`) opens allauth's sign-up to the invite
the browser session opened (`invites.contrib.allauth.session`), keeps its email, and
accepts that invite in the transaction that saves the new user. With
`INVITES["INVITE_ONLY"]`, sign-up is open only to such a session; everyone else gets
allauth's "sign up closed" page. Subclass it as any allauth adapter.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from invites import services
from invites.adapter import DefaultInviteAdapter
from invites.conf import invites_settings
from invites.contrib.allauth import session
from invites.models import email_key

# The sign-up views whose email must be the invite's (`clean_email` also serves the
# password reset and email management forms, which it must leave alone).
SIGNUP_VIEWS = frozenset({"account_signup"})


class AllauthInviteAdapter(DefaultInviteAdapter):
    """The app's adapter with allauth's login as the accept page's sign-in link."""

    def get_login_url(self) -> str | None:
        try:
            return reverse("account_login")
        except NoReverseMatch:
            return super().get_login_url()


class InviteAccountAdapter(DefaultAccountAdapter):
    """allauth's account adapter, with sign-up through the invite this session opened."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        if not invites_settings.INVITE_ONLY:
            return bool(super().is_open_for_signup(request))
        return bool(super().is_open_for_signup(request)) and (
            session.pending_invite(request) is not None
        )

    def clean_email(self, email: str) -> str:
        email = super().clean_email(email)
        request = getattr(self, "request", None)
        match = getattr(request, "resolver_match", None)
        if not invites_settings.INVITE_ONLY or getattr(match, "url_name", None) not in SIGNUP_VIEWS:
            return email
        pending = session.pending_invite(request)  # type: ignore[arg-type]
        if pending is not None and email_key(email) != pending[0].email_key:
            raise ValidationError(
                _("Sign up with the email address your invitation was sent to."),
                code="invite_email",
            )
        return email

    @sensitive_variables()
    def save_user(
        self, request: HttpRequest, user: AbstractBaseUser, form: BaseForm, commit: bool = True
    ) -> AbstractBaseUser:
        """Save the new user; with the invite this session opened, accept it as well.

        The invite is accepted (grants included) in the transaction that saves the
        user, when the sign-up's email is the invite's. Otherwise the user is saved as
        allauth saves it, and the session's verified email is dropped: it belongs to
        the invite, not to this account.
        """
        pending = session.pending_invite(request)
        email = form.cleaned_data.get("email")
        if (
            pending is None
            or not isinstance(email, str)
            or email_key(email) != (pending[0].email_key)
        ):
            self.unstash_verified_email(request)
            saved: AbstractBaseUser = super().save_user(request, user, form, commit=commit)
            return saved
        invite, token = pending
        user = super().save_user(request, user, form, commit=False)
        if not commit:
            return user
        reset = session.form_signup.set(True)
        try:
            services.accept_invite_for_new_user(token, user=user)
        finally:
            session.form_signup.reset(reset)
        session.forget(request)
        # allauth's sign-up writes the user's address rows next, verified from this.
        self.stash_verified_email(request, invite.email)
        return user
