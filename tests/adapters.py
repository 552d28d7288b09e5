"""Adapters a project might write, for the tests (`INVITES["ADAPTER"]` names them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from invites.adapter import DefaultInviteAdapter
from invites.web.forms import AcceptInviteForm
from tests.teams.adapter import TeamInviteAdapter


class FullNameForm(AcceptInviteForm):
    """One required "full name" field instead of first and last names."""

    full_name = forms.CharField(label="Full name", max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["first_name"], self.fields["last_name"]

    def user_fields(self) -> dict[str, Any]:
        return {"full_name": self.cleaned_data["full_name"]}


class FullNameAdapter(DefaultInviteAdapter):
    """Splits a `full_name` into the user model's first and last names."""

    def get_accept_form_class(self) -> type[AcceptInviteForm]:
        return FullNameForm

    def populate_user(self, invite: Any, user: Any, user_fields: Mapping[str, Any]) -> None:
        full_name = str(user_fields.get("full_name", "")).strip()
        if " " not in full_name:
            raise ValidationError({"full_name": "Give your first and last name."})
        user.first_name, user.last_name = full_name.split(" ", 1)
        user.username = "member-" + invite.email.split("@")[0]


class EmailChangingAdapter(FullNameAdapter):
    """Tries to give the new user another address than the invite's."""

    def populate_user(self, invite: Any, user: Any, user_fields: Mapping[str, Any]) -> None:
        super().populate_user(invite, user, user_fields)
        user.email = "attacker@example.com"


class BrandedAdapter(DefaultInviteAdapter):
    """Its own subject, an extra email variable, links to another front end, no sign-in."""

    def get_email_context(self, invite: Any, token: str, *, kind: Any) -> dict[str, Any]:
        return {**super().get_email_context(invite, token, kind=kind), "team": "Blue"}

    def get_email_subject(self, invite: Any, kind: Any, context: dict[str, Any]) -> str:
        return f"[{context['team']}] {kind} for {invite.email}"

    def get_accept_url(self, token: str) -> str:
        return f"https://front.example.net/join#{token}"

    def get_login_url(self) -> str | None:
        return None


class NotAnAdapter:
    """Has nothing to do with `DefaultInviteAdapter`."""


class RefusingGrantAdapter(DefaultInviteAdapter):
    """A project whose membership write fails: the accept or join must roll back."""

    def grant(self, invite: Any, user: Any) -> None:
        super().grant(invite, user)  # the groups are written, then undone by the rollback
        raise RuntimeError("the membership service is down")


class FailingTeamAdapter(TeamInviteAdapter):
    """The teams example, whose grant fails after writing the membership."""

    def grant(self, invite: Any, user: Any) -> None:
        super().grant(invite, user)
        raise RuntimeError("the membership service is down")
