"""The adapter: the one class a project subclasses to change how the app behaves.

`INVITES["ADAPTER"]` names it (default `invites.adapter.DefaultInviteAdapter`); it is
loaded on every `get_adapter()` call, so `override_settings` applies, and checked by
`manage.py check` (`invites.E009`). Subclass `DefaultInviteAdapter` and override only
what you need:

```python
class MyAdapter(DefaultInviteAdapter):
    def get_accept_form_class(self):
        return MyAcceptForm  # adds a `full_name` field, returned by `user_fields()`

    def populate_user(self, invite, user, user_fields):
        first, _, last = user_fields["full_name"].partition(" ")
        user.first_name, user.last_name = first, last
```

Signals cover "something happened"; templates cover how pages and emails look; the
adapter covers decisions the app makes on the way: which user to build, which form to
show, which link and subject to send, and, for invites into a target (a team, an
organisation), which roles exist, who may invite, who is already a member, and what
accepting grants.

The adapter lives in the app's core, which never imports its interfaces (`invites.web`,
`invites.api`, `invites.admin`): the accept form is named by its dotted path
(`accept_form_class`) and imported only when the page asks for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import urlsplit

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.timesince import timeuntil

from invites import links
from invites.conf import invites_settings
from invites.models import Invite

# Which invite email: the first one, or one carrying a refreshed link. Defined here,
# where the email hooks are, and re-exported by `invites.emails`.
EmailKind = Literal["created", "resent"]


class DefaultInviteAdapter:
    """The app's default behaviour; every method is meant to be overridden."""

    email_subject_template = "invites/email/subject.txt"
    # The accept page's form, by dotted path: the page imports it when it asks.
    accept_form_class = "invites.web.forms.AcceptInviteForm"

    # --- the accept page and the new user -------------------------------------------

    def get_accept_form_class(self) -> type[Any]:
        """The accept page's form: `invites.web.forms.AcceptInviteForm` or a subclass.

        The default imports `accept_form_class`. The page builds it as
        `form_class(data, invite=invite)`, reads the password from
        `cleaned_data["password1"]` and passes `form.user_fields()` to `accept_invite`.
        """
        form_class: type[forms.Form] = import_string(self.accept_form_class)
        return form_class

    def new_user(self, invite: Invite) -> AbstractBaseUser:
        """An unsaved user of `get_user_model()` carrying the invite's email."""
        User = get_user_model()
        user = User()
        setattr(user, User.get_email_field_name(), invite.email)
        return user

    def populate_user(
        self, invite: Invite, user: AbstractBaseUser, user_fields: Mapping[str, Any]
    ) -> None:
        """Fill the new user from what the invitee sent (`accept_invite`'s `user_fields`).

        Runs inside the accept transaction, for the HTML page and the API alike, and in
        the accept form's validation (on an unsaved user, for the password similarity
        check). The default sets each key as a field of the user model and refuses
        (`TypeError`) a key that is not one. After it, the service sets the email from
        the invite again, and a username derived from the email where the model has
        one and it is still empty. Raise `ValidationError` to refuse the input; one keyed
        by field (`ValidationError({"full_name": ...})`) is shown on that field.
        """
        model = type(user)
        for name, value in user_fields.items():
            try:
                model._meta.get_field(name)
            except FieldDoesNotExist:
                raise TypeError(f"accept_invite() got an unknown user field: {name}.") from None
            setattr(user, name, value)

    def get_login_url(self) -> str | None:
        """Where the accept pages send an invitee to sign in; None hides the link.

        The default is `settings.LOGIN_URL` when it leads somewhere: a URL name that
        reverses, a path or URL the project set, or Django's default path when the
        project routes it.
        """
        return links.login_url()

    def get_accept_redirect_url(
        self, invite: Invite, user: AbstractBaseUser, *, request: HttpRequest | None = None
    ) -> str:
        """Where the pages send the invitee after a successful accept or join.

        The default is `settings.LOGIN_REDIRECT_URL` when the user is signed in, else
        the app's own success page. With `request`, "signed in" means that request's
        user is `user`; without it, that the page signs users in
        (`INVITES["LOGIN_ON_ACCEPT"]`). The pages redirect to a URL taken from a request
        only when `url_has_allowed_host_and_scheme` approves it.
        """
        if request is not None:
            request_user = getattr(request, "user", None)
            signed_in = bool(
                request_user is not None
                and request_user.is_authenticated
                and request_user.pk == user.pk
            )
        else:
            signed_in = invites_settings.LOGIN_ON_ACCEPT
        if signed_in:
            return str(resolve_url(settings.LOGIN_REDIRECT_URL))
        return reverse("invites:accept_done")

    # --- targets, roles and groups ---------------------------------------------------

    def get_roles(self, target: models.Model | None) -> Sequence[str] | None:
        """The roles an invite into `target` may give; None allows any (empty too).

        Called on create; a role outside the list is refused with `ValidationError`.
        The empty role is allowed only when the list holds `""`.
        """
        return None

    def can_invite(
        self,
        user: AbstractBaseUser | None,
        *,
        target: models.Model | None,
        role: str,
        groups: Sequence[Group],
    ) -> bool:
        """Whether `user` (the inviter, possibly None) may invite into this; default yes.

        Called on create with `invited_by`, once per distinct role; a refusal raises
        `PermissionDenied`. The API and the admin check model permissions before.
        """
        return True

    def is_member(
        self,
        user: AbstractBaseUser,
        *,
        target: models.Model | None,
        role: str,
        groups: Sequence[Group],
    ) -> bool:
        """Whether an existing user already has what the invite would grant.

        Called on create for each invitee that already has an account, before the invite
        exists; yes refuses with `AlreadyMember`. The default: no target, and the user
        is in every one of `groups` (an override with a target checks its membership).
        """
        if target is not None:
            return False
        if not groups:
            return True
        manager: Any = getattr(user, "groups", None)
        if manager is None:
            return False
        # `all()`: the create service prefetches the invitees' groups in one query.
        member_of = {group.pk for group in manager.all()}
        return all(group.pk in member_of for group in groups)

    def grant(self, invite: Invite, user: AbstractBaseUser) -> None:
        """Give `user` what `invite` grants; runs inside the accept and join transactions.

        The default adds the user to the invite's groups. A project overrides it to
        create its membership of `invite.target` with `invite.role` (and calls `super()`
        to keep the groups). Raising rolls the whole accept back: no user is created and
        the invite stays open.
        """
        groups = list(invite.groups.all())
        manager: Any = getattr(user, "groups", None)
        if groups and manager is not None:
            manager.add(*groups)

    def describe_target(self, invite: Invite) -> str:
        """What the invite is into, for people: `str(invite.target)`, or the site name."""
        if invite.target_type_id is not None:
            target = invite.target
            if target is not None:
                return str(target)
        return self.get_site_name()

    # --- links and emails ----------------------------------------------------------

    def get_accept_url(self, token: str) -> str:
        """The absolute link emailed to the invitee, built on `SITE_URL`.

        The default is `INVITES["ACCEPT_URL"]` with `{token}` replaced, or the app's
        accept page (reversed wherever `invites.urls` is mounted) when it is None.
        """
        return links.accept_url(token)

    def get_site_name(self) -> str:
        """The site's name in emails: `INVITES["SITE_NAME"]`, the current `Site`, or the host.

        The current `django.contrib.sites` Site is used when that app is installed and
        `SITE_ID` is set; otherwise the host of `SITE_URL`.
        """
        configured = invites_settings.SITE_NAME
        if configured:
            return configured
        if (
            apps.is_installed("django.contrib.sites")
            and getattr(settings, "SITE_ID", None) is not None
        ):
            from django.contrib.sites.models import Site

            return str(Site.objects.get_current().name)
        return urlsplit(links.site_url()).hostname or links.site_url()

    def get_email_context(self, invite: Invite, token: str, *, kind: EmailKind) -> dict[str, Any]:
        """What the email templates see (subject, plain text and HTML alike)."""
        return {
            "invite": invite,
            "email": invite.email,
            "inviter_name": self.get_inviter_name(invite),
            "target_name": self.describe_target(invite) if invite.target_type_id else "",
            "role": invite.role,
            "accept_url": self.get_accept_url(token),
            "site_url": links.site_url(),
            "site_name": self.get_site_name(),
            "expires_at": invite.expires_at,
            "expires_in": timeuntil(invite.expires_at),
            "invited_by": invite.invited_by,
            "kind": kind,
            "is_resend": kind == "resent",
        }

    def get_inviter_name(self, invite: Invite) -> str:
        """Who invited, for people: their full name, else their email; "" for nobody."""
        inviter = invite.invited_by
        if inviter is None:
            return ""
        get_full_name = getattr(inviter, "get_full_name", None)
        full_name = str(get_full_name() or "").strip() if callable(get_full_name) else ""
        if full_name:
            return full_name
        email = getattr(inviter, type(inviter).get_email_field_name(), "") or ""
        return str(email) or str(inviter.get_username())

    def get_email_subject(self, invite: Invite, kind: EmailKind, context: dict[str, Any]) -> str:
        """The subject: the `invites/email/subject.txt` template, on one line."""
        rendered = render_to_string(self.email_subject_template, context)
        return "".join(rendered.splitlines()).strip()


def get_adapter() -> DefaultInviteAdapter:
    """A new instance of the adapter class `INVITES["ADAPTER"]` names."""
    adapter_class: type[DefaultInviteAdapter] = import_string(invites_settings.ADAPTER)
    return adapter_class()
