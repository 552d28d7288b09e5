"""The invitee's accept form: a password and, where the user model has them, names.

It only validates input; `invites.services.accept_invite` does the work.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordMixin
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.translation import gettext_lazy as _

from invites.adapter import get_adapter
from invites.models import Invite

# Name fields the accept form offers, when the user model has them.
NAME_FIELDS = ("first_name", "last_name")
PASSWORD_FIELDS = ("password1", "password2")


class AcceptInviteForm(SetPasswordMixin, forms.Form):
    """The invitee's form: a password typed twice and, where the user model has them, names.

    There is deliberately no email field: the user gets the invite's email on record.
    """

    password1, password2 = SetPasswordMixin.create_password_fields(
        label1=_("Password"), label2=_("Password (again)")
    )

    def __init__(self, *args: Any, invite: Invite, **kwargs: Any) -> None:
        self.invite = invite
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        User = get_user_model()
        names: dict[str, forms.Field] = {}
        for name in NAME_FIELDS:
            try:
                model_field = User._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            field = model_field.formfield()  # type: ignore[union-attr]
            if field is not None:
                field.widget.attrs.setdefault(
                    "autocomplete", "given-name" if name == "first_name" else "family-name"
                )
                names[name] = field
        # Names first, so the password validators can compare against them.
        self.fields = {**names, **self.fields}

    def user_fields(self) -> dict[str, Any]:
        """The cleaned user fields: `accept_invite`'s keyword arguments, which reach the
        adapter's `populate_user`. A subclass that adds fields extends this."""
        return {name: self.cleaned_data[name] for name in NAME_FIELDS if name in self.fields}

    def clean(self) -> dict[str, Any]:
        self.validate_passwords()
        # An unsaved user like the one `accept_invite` creates, so that the similarity
        # validator compares the password with the invite's email and the names.
        adapter = get_adapter()
        user = adapter.new_user(self.invite)
        if not set(self.errors) - set(PASSWORD_FIELDS):
            try:
                adapter.populate_user(self.invite, user, self.user_fields())
            except ValidationError as error:
                self.add_refusal(error)
                return self.cleaned_data
        setattr(user, type(user).get_email_field_name(), self.invite.email)
        self.validate_password_for_user(user)
        return self.cleaned_data

    def add_refusal(self, error: ValidationError) -> None:
        """Put an error from the adapter or the service on the form: on its field if any."""
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)
