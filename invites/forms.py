"""Forms of the admin: add an invite, change its metadata.

They only validate input; the services in `invites.services` do the work. The add
form asks the service's read-only check, so its refusals (an invite or a user with
this email exists already) show on the form before anything is written.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from invites import services
from invites.exceptions import InviteAlreadyExists, UserAlreadyExists
from invites.metadata import validate_metadata as validate_metadata_limits
from invites.models import Invite


def validate_metadata(value: Any) -> None:
    """Invite metadata is a JSON object (or nothing), as `create_invites` requires."""
    if value is not None and not isinstance(value, dict):
        raise ValidationError(
            _('Enter a JSON object, such as {"team": "sales"}.'), code="not_an_object"
        )
    if value is not None:
        validate_metadata_limits(value)


class MetadataField(forms.JSONField):
    """A JSON object or nothing. No metadata is an empty box, not the JSON text `null`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", capfirst(_("metadata")))
        kwargs.setdefault("required", False)
        kwargs.setdefault("validators", [validate_metadata])
        kwargs.setdefault("widget", forms.Textarea(attrs={"class": "vLargeTextField", "rows": 3}))
        kwargs.setdefault(
            "help_text",
            _('Optional. A JSON object of free-form data, such as {"team": "sales"}.'),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if value is None:
            return ""
        return super().prepare_value(value)


class InviteAddForm(forms.ModelForm):
    """The admin's add form: an email and optional metadata, for `create_invites`.

    It never saves: the admin's `save_model` passes `entry()` to `create_invites`.
    """

    metadata = MetadataField()

    class Meta:
        model = Invite
        fields = ["email", "metadata"]

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean() or {}
        if "email" in cleaned_data and "metadata" in cleaned_data:
            try:
                services.check_creatable([self.entry()])
            except ValidationError as error:
                self.add_error("email", error)
            except (InviteAlreadyExists, UserAlreadyExists) as error:
                self.add_error("email", error.message)
        return cleaned_data

    def entry(self) -> dict[str, Any]:
        """The cleaned input as one `create_invites` entry."""
        return {"email": self.cleaned_data["email"], "metadata": self.cleaned_data["metadata"]}


class InviteChangeForm(forms.ModelForm):
    """The admin's change form: only `metadata` is editable."""

    metadata = MetadataField()

    class Meta:
        model = Invite
        fields = ["metadata"]
