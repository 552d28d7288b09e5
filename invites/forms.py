"""Forms of the admin: add an invite, change its metadata.

They only validate input; the services in `invites.services` do the work.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from invites.models import Invite


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
