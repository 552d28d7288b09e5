"""Forms of the admin: add an invite, change its metadata, import many.

They only validate input; the services in `invites.services` do the work. The add
form asks the service's read-only check, so its refusals (an invite or a user with
this email exists already) show on the form before anything is written. The import
form reads a CSV file or pasted addresses (`invites.imports`); `ImportPreview` shows
what `services.check_import` says of each row, and `sign_import` / `unsign_import`
carry the input, signed, to the confirmation, which reads and judges it again.
"""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from invites import imports, services
from invites.conf import invites_settings
from invites.exceptions import InvalidImportFile, InviteAlreadyExists, UserAlreadyExists
from invites.imports import ImportRow, RowProblem
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


# --- the import's preview and its signed input ------------------------------------------

# How long a preview can be confirmed.
IMPORT_MAX_AGE = 3600
# Bad rows shown on the preview page; the rest are counted.
PREVIEW_PROBLEMS = 500
PREVIEW_SAMPLE = 10
CODE_LABELS = {
    imports.INVALID: _("invalid"),
    imports.DUPLICATE: _("duplicate"),
    imports.INVITE_EXISTS: _("invite exists"),
    imports.USER_EXISTS: _("user exists"),
}


class ImportPreview:
    """What an import would do, row by row, with the file's line numbers."""

    def __init__(self, rows: list[ImportRow], *, skip_existing: bool) -> None:
        checked = services.check_import([row.entry() for row in rows], skip_existing=skip_existing)
        self.total = len(rows)
        self.create_count = len(checked.indexes)
        self.sample = [rows[index] for index in checked.indexes[:PREVIEW_SAMPLE]]
        self.refused = [self.line(rows, problem) for problem in checked.refused]
        self.skipped = [self.line(rows, problem) for problem in checked.skipped]
        self.problems = (self.refused + self.skipped)[:PREVIEW_PROBLEMS]
        self.hidden_problems = len(self.refused) + len(self.skipped) - len(self.problems)
        self.payload = ""

    @staticmethod
    def line(rows: list[ImportRow], problem: RowProblem) -> dict[str, Any]:
        return {
            "line": rows[problem.index].line,
            "email": problem.email,
            "code": problem.code,
            "label": CODE_LABELS.get(problem.code, problem.code),
            "message": problem.message,
        }

    @property
    def can_confirm(self) -> bool:
        return not self.refused and self.create_count > 0 and not self.too_large_to_confirm

    @property
    def too_large_to_confirm(self) -> bool:
        """Whether the signed input is over what Django takes in a form field."""
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return limit is not None and len(self.payload) > limit - 1024


def _import_salt(request: HttpRequest) -> str:
    # Bound to the admin who previewed: another account cannot replay it.
    return f"invites.admin.import:{getattr(request.user, 'pk', '')}"


def sign_import(request: HttpRequest, text: str, *, csv: bool, skip_existing: bool) -> str:
    """The input of a preview, signed (and compressed) for the confirmation step."""
    return signing.dumps(
        {"text": text, "csv": csv, "skip": skip_existing}, salt=_import_salt(request), compress=True
    )


def unsign_import(request: HttpRequest, payload: str) -> tuple[str, bool, bool]:
    """The input `sign_import` signed; `BadSignature` when forged, altered or too old."""
    data = signing.loads(payload, salt=_import_salt(request), max_age=IMPORT_MAX_AGE)
    return str(data["text"]), bool(data["csv"]), bool(data["skip"])


def read_again(text: str, *, is_csv: bool) -> list[ImportRow]:
    """The rows of a signed input, read by the same reader as the first time."""
    if is_csv:
        return imports.read_csv(io.BytesIO(text.encode("utf-8")))
    return imports.read_lines(text)
