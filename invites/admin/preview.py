"""The import page's preview, and the input it signs for the confirmation step.

The confirmation reads the signed input, the target and the groups again, and judges
every row anew: nothing the browser sends back is trusted.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core import signing
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from invites import imports, services
from invites.admin.grants import Grants
from invites.imports import ImportRow, RowProblem

# The row code of an existing user who already has what the invite grants.
ALREADY_MEMBER = "already_member"
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
    ALREADY_MEMBER: _("already a member"),
}


class ImportPreview:
    """What an import would do, row by row, with the file's line numbers."""

    def __init__(
        self,
        rows: list[ImportRow],
        *,
        skip_existing: bool,
        grants: Grants,
        invited_by: AbstractBaseUser | None,
    ) -> None:
        """Judge every row; the service's `ValidationError` or `PermissionDenied` about the
        grants (a role, the admin's right to invite into the target) propagates."""
        checked = services.check_import(
            [row.entry() for row in rows],
            skip_existing=skip_existing,
            invited_by=invited_by,
            **grants.as_kwargs(),
        )
        self.grants = grants.describe()
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


@dataclass(frozen=True)
class SignedImport:
    """What the confirmation of a preview reads again: the input and the choices made."""

    text: str
    csv: bool
    skip_existing: bool
    grants: dict[str, Any]


def sign_import(
    request: HttpRequest, text: str, *, csv: bool, skip_existing: bool, grants: Grants
) -> str:
    """The input of a preview, signed (and compressed) for the confirmation step."""
    data = {"text": text, "csv": csv, "skip": skip_existing, "grants": grants.signable()}
    return signing.dumps(data, salt=_import_salt(request), compress=True)


def unsign_import(request: HttpRequest, payload: str) -> SignedImport:
    """The input `sign_import` signed; `BadSignature` when forged, altered or too old."""
    data = signing.loads(payload, salt=_import_salt(request), max_age=IMPORT_MAX_AGE)
    return SignedImport(
        text=str(data["text"]),
        csv=bool(data["csv"]),
        skip_existing=bool(data["skip"]),
        grants=dict(data.get("grants") or {}),
    )


def read_again(text: str, *, is_csv: bool) -> list[ImportRow]:
    """The rows of a signed input, read by the same reader as the first time."""
    if is_csv:
        return imports.read_csv(io.BytesIO(text.encode("utf-8")))
    return imports.read_lines(text)
