"""Forms of the admin (add and change an invite) and of the invitee's accept page.

They only validate input; the services in `invites.services` do the work.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordMixin
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.translation import gettext_lazy as _

from invites.models import Invite

# Name fields the accept form offers, when the user model has them.
NAME_FIELDS = ("first_name", "last_name")


def validate_metadata(value: Any) -> None:
    """Invite metadata is a JSON object (or nothing), as `create_invites` requires."""
    if value is not None and not isinstance(value, dict):
        raise ValidationError(
            _('Enter a JSON object, such as {"team": "sales"}.'), code="not_an_object"
        )


class InviteAddForm(forms.Form):
    """The admin's add form: an email and optional metadata, passed to `create_invites`."""

    email = forms.EmailField(
        label=_("email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "vTextField", "autocomplete": "off"}),
    )
    metadata = forms.JSONField(
        label=_("metadata"),
        required=False,
        validators=[validate_metadata],
        widget=forms.Textarea(attrs={"class": "vLargeTextField", "rows": 3}),
        help_text=_('Optional. A JSON object of free-form data, such as {"team": "sales"}.'),
    )

    def entry(self) -> dict[str, Any]:
        """The cleaned input as one `create_invites` entry."""
        return {"email": self.cleaned_data["email"], "metadata": self.cleaned_data["metadata"]}


class InviteChangeForm(forms.ModelForm):
    """The admin's change form: only `metadata` is editable."""

    class Meta:
        model = Invite
        fields = ["metadata"]

    def clean_metadata(self) -> Any:
        value = self.cleaned_data.get("metadata")
        validate_metadata(value)
        return value


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
        """The cleaned name fields, as keyword arguments of `accept_invite`."""
        return {name: self.cleaned_data[name] for name in NAME_FIELDS if name in self.fields}

    def clean(self) -> dict[str, Any]:
        self.validate_passwords()
        User = get_user_model()
        # An unsaved user like the one `accept_invite` creates, so that the similarity
        # validator compares the password with the invite's email and the names.
        user = User(**{k: v for k, v in self.cleaned_data.items() if k in NAME_FIELDS})
        setattr(user, User.get_email_field_name(), self.invite.email)
        self.validate_password_for_user(user)
        return self.cleaned_data
