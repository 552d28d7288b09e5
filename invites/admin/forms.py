"""Forms of the admin: add an invite, change its metadata, import many.

They only validate input; the services in `invites.services` do the work. The add
form asks the service's read-only check, so its refusals (an invite or a user with
this email exists already, a role the adapter does not list, an admin who may not
invite into the target) show on the form before anything is written. The import form
reads a CSV file or pasted addresses (`invites.imports`); `invites.admin.preview`
shows what `services.check_import` says of each row. Both take a target, a role and
groups (`invites.admin.grants`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from invites import imports, services
from invites.addresses import validate_address
from invites.admin.grants import GrantFieldsMixin, Grants
from invites.conf import invites_settings
from invites.exceptions import (
    AlreadyMember,
    InvalidImportFile,
    InviteAlreadyExists,
    UserAlreadyExists,
)
from invites.imports import ImportRow
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


class InviteAddForm(GrantFieldsMixin, forms.ModelForm):
    """The admin's add form: an email, optional metadata, and what the invite grants (a
    target, a role, groups), for `create_invites`.

    It never saves: the admin's `save_model` passes `entry()` and `grants()` to
    `create_invites`. The target fields are not the model's: only `email` and
    `metadata` are ever set on the instance. `invited_by` is the admin adding, which
    the admin sets on the class it builds per request.
    """

    metadata = MetadataField()
    invited_by: Any = None
    cleaned_grants: Grants

    class Meta:
        model = Invite
        fields = ["email", "metadata"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].validators.append(validate_address)

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean() or {}
        grants = self.grants()
        if "email" in cleaned_data and "metadata" in cleaned_data and grants is not None:
            self.cleaned_grants = grants
            try:
                services.check_creatable(
                    [self.entry()], invited_by=self.invited_by, **grants.as_kwargs()
                )
            except ValidationError as error:
                self.add_refusal(error, default="email")
            except (InviteAlreadyExists, UserAlreadyExists, AlreadyMember) as error:
                self.add_error("email", error.message)
            except PermissionDenied as error:
                self.add_error(None, str(error) or gettext("You may not create this invite."))
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


class InviteImportForm(GrantFieldsMixin, forms.Form):
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

    field_order = ["file", "text", "skip_existing", "target_type", "target_id", "role", "groups"]

    rows: list[ImportRow]
    text_read: str
    cleaned_grants: Grants

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean() or {}
        grants = self.grants()
        if grants is not None:
            self.cleaned_grants = grants
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
