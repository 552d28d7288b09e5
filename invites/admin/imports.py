"""The "Import invites" page: upload or paste, preview, confirm.

The confirmation carries the input signed, and reads and judges it again: nothing the
browser sends back is trusted.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from invites import jobs, services
from invites.admin.forms import InviteImportForm
from invites.admin.grants import Grants
from invites.admin.jobs import AdminJobsMixin
from invites.admin.preview import (
    ImportPreview,
    SignedImport,
    read_again,
    sign_import,
    unsign_import,
)
from invites.conf import invites_settings
from invites.exceptions import (
    InvalidImportFile,
    InvalidImportRows,
)
from invites.models import AdminJobKind

# The name of the import page's confirm button.
IMPORT_CONFIRM = "_confirm"
# The cache key of the one slot for a large preview, and how long it lasts at most.
PREVIEW_SLOT_KEY = "invites:admin:large-preview"
PREVIEW_SLOT_SECONDS = 60
# Uploads above this size (about 5,000 rows of a typical file) need the slot.
PREVIEW_SLOT_BYTES = 256 * 1024

logger = logging.getLogger(__name__)


class ImportInvitesMixin(AdminJobsMixin):
    """`InviteAdmin`'s import page, at `import/` beside its other views."""

    def get_urls(self) -> list[URLPattern]:
        import_url = path(
            "import/",
            self.admin_site.admin_view(self.import_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_import",
        )
        return [import_url, *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """The "Import invites" page: a form, then a preview, then the creation."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST" and is_large_upload(request):
            try:
                with preview_slot():
                    return self.handle_import(request)
            except PreviewsBusy:
                # Refused before the upload is read: the refusal costs the worker nothing.
                self.message_user(
                    request,
                    _(
                        "Another large import is being previewed right now. Nothing was "
                        "changed; upload it again in a moment."
                    ),
                    messages.ERROR,
                )
                return HttpResponseRedirect(request.path)
        return self.handle_import(request)

    def handle_import(self, request: HttpRequest) -> HttpResponse:
        data, files = None, None
        if request.method == "POST":
            try:
                data, files = request.POST, request.FILES
            except RequestDataTooBig:
                # Over DATA_UPLOAD_MAX_MEMORY_SIZE, which bounds form fields, not files.
                self.message_user(
                    request,
                    _("The pasted text is too long for one request; upload it as a file."),
                    messages.ERROR,
                )
                return HttpResponseRedirect(request.path)
        if data is not None and IMPORT_CONFIRM in data:
            return self.confirm_import(request, data.get("payload", ""))
        form = InviteImportForm(data, files)
        preview = None
        if form.is_valid():
            skip, grants = form.cleaned_data["skip_existing"], form.cleaned_grants
            try:
                preview = ImportPreview(
                    form.rows, skip_existing=skip, grants=grants, invited_by=admin_user(request)
                )
            except ValidationError as error:
                form.add_refusal(error)
            except PermissionDenied as error:
                form.add_error(None, refused_message(error))
            else:
                preview.payload = sign_import(
                    request,
                    form.text_read,
                    csv=bool(form.cleaned_data["file"]),
                    skip_existing=skip,
                    grants=grants,
                )
        return self.render_import(request, form, preview)

    def confirm_import(self, request: HttpRequest, payload: str) -> HttpResponse:
        """Read the signed input again, and create its invites if it is still all fine."""
        try:
            signed = unsign_import(request, payload)
            rows = read_again(signed.text, is_csv=signed.csv)
        except (signing.BadSignature, InvalidImportFile):
            self.message_user(
                request,
                _("This preview has expired or cannot be used. Nothing was created; upload again."),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.path)
        skip, user = signed.skip_existing, admin_user(request)
        if len(rows) > invites_settings.BACKGROUND_IMPORT_ROWS:
            return self.submit_import(request, payload, signed, total=len(rows))
        try:
            grants = Grants.from_signed(signed.grants)
            result = services.import_invites(
                [row.entry() for row in rows],
                skip_existing=skip,
                invited_by=user,
                **grants.as_kwargs(),
            )
        except InvalidImportRows:
            # Invites or users appeared since the preview: show the new verdict.
            self.message_user(
                request,
                _("Something changed since the preview: nothing was created. Check again."),
                messages.ERROR,
            )
            preview = ImportPreview(rows, skip_existing=skip, grants=grants, invited_by=user)
            preview.payload = payload
            return self.render_import(request, InviteImportForm(), preview)
        except (ValidationError, PermissionDenied) as error:
            # The target, a group or the admin's right to invite changed since the preview.
            reason = refused_message(error)
            self.message_user(
                request,
                _("Nothing was created: %(reason)s") % {"reason": reason},
                messages.ERROR,
            )
            return HttpResponseRedirect(request.path)
        count, skipped = len(result.created), len(result.skipped)
        self.message_user(
            request,
            ngettext("%(count)d invite was created.", "%(count)d invites were created.", count)
            % {"count": count},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d address was skipped: it already has an invite, a user or "
                    "what the invite grants.",
                    "%(count)d addresses were skipped: they already have an invite, a user or "
                    "what the invite grants.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
        return HttpResponseRedirect(
            reverse("admin:invites_invite_changelist", current_app=self.admin_site.name)
        )

    def submit_import(
        self, request: HttpRequest, payload: str, signed: SignedImport, *, total: int
    ) -> HttpResponse:
        """Hand a large import to a background job, and show its progress page.

        The same confirmation posted twice finds the same job: its key is the digest of
        the signed preview.
        """
        job = jobs.submit_job(
            AdminJobKind.IMPORT,
            key=jobs.job_key(AdminJobKind.IMPORT, payload),
            input={
                "text": signed.text,
                "csv": signed.csv,
                "skip": signed.skip_existing,
                "grants": signed.grants,
            },
            total=total,
            created_by=admin_user(request),
        )
        return HttpResponseRedirect(self.job_url(job))

    def render_import(
        self, request: HttpRequest, form: InviteImportForm, preview: ImportPreview | None
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import invites"),
            "form": form,
            "preview": preview,
            "confirm_name": IMPORT_CONFIRM,
            "max_rows": invites_settings.IMPORT_MAX_ROWS,
        }
        return TemplateResponse(request, "admin/invites/invite/import.html", context)


class PreviewsBusy(Exception):
    """Every slot for a large preview is taken."""


def is_large_upload(request: HttpRequest) -> bool:
    """Whether a POST is an upload (the preview's form) over `PREVIEW_SLOT_BYTES`."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return request.content_type == "multipart/form-data" and length > PREVIEW_SLOT_BYTES


@contextmanager
def preview_slot() -> Iterator[None]:
    """Hold the site's one slot for large previews, or raise `PreviewsBusy`.

    Reading and judging a large file keeps a web worker busy for a second or more:
    several at once would take every worker and stall the other pages. The slot is a
    key in the default cache (shared by the workers when the cache is), and expires on
    its own should a worker die holding it. A cache that fails lets the preview run.
    """
    token = secrets.token_hex(8)
    try:
        taken = cache.add(PREVIEW_SLOT_KEY, token, timeout=PREVIEW_SLOT_SECONDS)
    except Exception:
        logger.warning("The cache did not answer; previewing without a slot.", exc_info=True)
        taken = None
    if taken is False:
        raise PreviewsBusy
    try:
        yield
    finally:
        if taken:
            with suppress(Exception):
                if cache.get(PREVIEW_SLOT_KEY) == token:
                    cache.delete(PREVIEW_SLOT_KEY)


def admin_user(request: HttpRequest) -> Any:
    """The signed-in admin, who invites (`invited_by`); None if anonymous."""
    return request.user if request.user.is_authenticated else None


def refused_message(error: ValidationError | PermissionDenied) -> str:
    """A refusal of the service, for people."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or gettext("You may not create these invites.")
