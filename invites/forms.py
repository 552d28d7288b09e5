"""Forms of the admin: add an invite, change its metadata, import many.

They only validate input; the services in `invites.services` do the work. The add
form asks the service's read-only check, so its refusals (an invite or a user with
this email exists already) show on the form before anything is written.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from invites import imports, services
from invites.conf import invites_settings
from invites.exceptions import InvalidImportFile, InviteAlreadyExists, UserAlreadyExists
from invites.imports import ImportRow
from invites.models import Invite


def validate_metadata(value: Any) -> None:
    """Invite metadata is a JSON object (or nothing), as `create_invites` requires."""
    if value is not None and not isinstance(value, dict):
        raise ValidationError(
            _('Enter a JSON object, such as {"team": "sales"}.'), code="not_an_object"
        )


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


class InviteImportForm(forms.Form):
    """The admin's import: a CSV file or pasted addresses, read by `invites.imports`.

    A valid form has `rows` (the rows read) and `text` (the input as text, which the
    confirmation step reads again).
    """

    file = forms.FileField(
        label=_("CSV file"),
        required=False,
        help_text=_(
            "UTF-8, separated by commas or semicolons, with a first row naming the columns: "
            "one named “email”; the other columns go into each invite's metadata."
        ),
    )
    text = forms.CharField(
        label=_("Or paste addresses"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "class": "vLargeTextField"}),
        help_text=_("One email address per line."),
    )
    skip_existing = forms.BooleanField(
        label=_("Skip addresses that already have an invite or a user"),
        required=False,
        help_text=_("Otherwise such addresses stop the import."),
    )

    rows: list[ImportRow]
    text_read: str

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean() or {}
        upload = cleaned_data.get("file")
        text = cleaned_data.get("text") or ""
        if upload and text.strip():
            raise ValidationError(_("Upload a file or paste addresses, not both."), code="both")
        try:
            if upload:
                self.rows, self.text_read = read_upload(upload)
            elif text.strip():
                self.rows, self.text_read = imports.read_lines(text), text
            else:
                raise ValidationError(_("Upload a CSV file or paste addresses."), code="required")
        except InvalidImportFile as error:
            raise ValidationError(error.message, code=error.code) from None
        return cleaned_data


def read_upload(upload: UploadedFile) -> tuple[list[ImportRow], str]:
    """The rows of an uploaded CSV file, and its text; refused before reading when too large."""
    if upload.size is not None and upload.size > invites_settings.IMPORT_MAX_BYTES:
        raise imports.too_large()
    rows = imports.read_csv(upload)
    upload.seek(0)
    return rows, imports.decode(upload.read())
