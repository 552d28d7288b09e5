"""The Django admin for invites: every change goes through `invites.services`.

- Adding (the add form, `add_form`) is checked by `check_creatable` and done by
  `create_invites` in `save_model`; the new accept link is shown once.
- The "Resend" button of an invite's page and the action "Refresh tokens and resend"
  call `refresh_invite_tokens`; the button shows the new link once.
- Deleting, from an invite's page or with the bulk action, calls `delete_invites`,
  which soft-deletes.
- Changing an invite edits only its metadata; token, expiry and state change only
  through the services.
- "Import invites" (linked from the list) reads a CSV file or pasted addresses
  (`invites.imports`), shows what `check_import` says of every row, and on
  confirmation creates them with `import_invites`. The confirmation carries the input
  signed, and reads and judges it again: nothing the browser sends back is trusted.

Only documented `ModelAdmin` hooks are overridden, so the admin keeps working as
Django's internals move.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast
from uuid import UUID

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core import signing
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from invites import services
from invites.conf import invites_settings
from invites.exceptions import (
    InvalidImportFile,
    InvalidImportRows,
    InviteAlreadyAccepted,
    InviteAlreadyExists,
    InviteError,
    InviteNotFound,
    UserAlreadyExists,
)
from invites.forms import (
    ImportPreview,
    InviteAddForm,
    InviteChangeForm,
    InviteImportForm,
    read_again,
    sign_import,
    unsign_import,
)
from invites.models import Invite, InviteQuerySet, InviteStatus

# The name of the change page's "Resend" submit button (see submit_line.html).
RESEND = "_resend"

READONLY_FIELDS = (
    "email",
    "status",
    "expires_at",
    "accepted",
    "accepted_at",
    "invited_by",
    "sent_at",
    "queued_at",
    "last_emailed_at",
    "created_at",
    "updated_at",
)


class StatusListFilter(admin.SimpleListFilter):
    """Filter by the computed status: pending, expired or accepted."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Sequence[tuple[str, Any]]:
        return InviteStatus.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Invite]) -> QuerySet[Invite]:
        value = self.value()
        if value in InviteStatus.values:
            return cast(InviteQuerySet, queryset).with_status(value)
        return queryset


class SentListFilter(admin.SimpleListFilter):
    """Whether the email with the invite's current link has gone out."""

    title = _("sent")
    parameter_name = "sent"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Sequence[tuple[str, Any]]:
        return [("yes", _("Sent")), ("no", _("Not sent yet"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Invite]) -> QuerySet[Invite]:
        value = self.value()
        if value in ("yes", "no"):
            return queryset.filter(sent_at__isnull=value == "no")
        return queryset


class AddRefused(Exception):
    """`create_invites` refused an invite that the add form had just found creatable."""

    def __init__(self, error: InviteError | ValidationError) -> None:
        super().__init__(error)
        self.error = error


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "status",
        "expires_at",
        "created_at",
        "invited_by",
        "accepted_at",
        "sent_at",
    ]
    list_filter = [StatusListFilter, SentListFilter]
    list_select_related = ["invited_by"]
    search_fields = ["email"]
    date_hierarchy = "created_at"
    actions = ["refresh_tokens"]
    form = InviteChangeForm
    add_form = InviteAddForm
    fieldsets = [
        (None, {"fields": ["email", "status", "expires_at", "metadata"]}),
        (
            _("History"),
            {
                "fields": [
                    "invited_by",
                    "created_at",
                    "updated_at",
                    "sent_at",
                    "queued_at",
                    "last_emailed_at",
                    "accepted",
                    "accepted_at",
                ]
            },
        ),
    ]
    add_fieldsets = [(None, {"fields": ["email", "metadata"]})]
    readonly_fields = READONLY_FIELDS

    @admin.display(description=_("status"))
    def status(self, invite: Invite) -> str:
        return str(invite.status.label)

    # --- the bulk action --------------------------------------------------------------

    @admin.action(description=_("Refresh tokens and resend"), permissions=["change"])
    def refresh_tokens(self, request: HttpRequest, queryset: QuerySet[Invite]) -> None:
        """Give the selected invites that are not accepted a new token and expiry, and resend."""
        ids, skipped = [], 0
        for pk, accepted in queryset.values_list("pk", "accepted"):
            if accepted:
                skipped += 1
            else:
                ids.append(pk)
        try:
            refreshed = services.refresh_invite_tokens(ids)
        except InviteNotFound as error:
            message = ngettext(
                "Nothing was refreshed: %(count)d selected invite was deleted meanwhile. "
                "Reload the list and try again.",
                "Nothing was refreshed: %(count)d selected invites were deleted meanwhile. "
                "Reload the list and try again.",
                len(error.ids),
            )
            self.message_user(request, message % {"count": len(error.ids)}, messages.ERROR)
            return
        except InviteAlreadyAccepted as error:
            message = ngettext(
                "Nothing was refreshed: %(count)d selected invite was accepted meanwhile. "
                "Reload the list and try again.",
                "Nothing was refreshed: %(count)d selected invites were accepted meanwhile. "
                "Reload the list and try again.",
                len(error.ids),
            )
            self.message_user(request, message % {"count": len(error.ids)}, messages.ERROR)
            return

        if refreshed:
            count = len(refreshed)
            self.message_user(
                request,
                ngettext(
                    "%(count)d invite was given a new token and resent.",
                    "%(count)d invites were given a new token and resent.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d invite was skipped because it has been accepted already.",
                    "%(count)d invites were skipped because they have been accepted already.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Django filters by the posted ids as they are, and a malformed UUID there is a
        # ValidationError (a 500) on Django 5.2 and 6.1 alike: refuse it before any action.
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if (
            request.method == "POST"
            and self.has_view_or_change_permission(request)
            and not all(services.parse_invite_id(value) for value in selected)
        ):
            self.message_user(
                request,
                _("The selection holds an id that is not an invite's. Reload the list."),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)

    # --- import many: upload or paste, preview, confirm ----------------------------------

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
            skip = form.cleaned_data["skip_existing"]
            preview = ImportPreview(form.rows, skip_existing=skip)
            preview.payload = sign_import(
                request, form.text_read, csv=bool(form.cleaned_data["file"]), skip_existing=skip
            )
        return self.render_import(request, form, preview)

    def confirm_import(self, request: HttpRequest, payload: str) -> HttpResponse:
        """Read the signed input again, and create its invites if it is still all fine."""
        try:
            text, is_csv, skip = unsign_import(request, payload)
            rows = read_again(text, is_csv=is_csv)
        except (signing.BadSignature, InvalidImportFile):
            self.message_user(
                request,
                _("This preview has expired or cannot be used. Nothing was created; upload again."),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.path)
        user = request.user if request.user.is_authenticated else None
        try:
            result = services.import_invites(
                [row.entry() for row in rows], skip_existing=skip, invited_by=user
            )
        except InvalidImportRows:
            # Invites or users appeared since the preview: show the new verdict.
            self.message_user(
                request,
                _("Something changed since the preview: nothing was created. Check again."),
                messages.ERROR,
            )
            preview = ImportPreview(rows, skip_existing=skip)
            preview.payload = payload
            return self.render_import(request, InviteImportForm(), preview)
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
                    "%(count)d address was skipped: it already has an invite or a user.",
                    "%(count)d addresses were skipped: they already have an invite or a user.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
        return HttpResponseRedirect(
            reverse("admin:invites_invite_changelist", current_app=self.admin_site.name)
        )

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

    # --- delete: soft, through the service ----------------------------------------------

    def delete_model(self, request: HttpRequest, obj: Invite) -> None:
        soft_delete([obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Invite]) -> None:
        soft_delete(list(queryset.values_list("pk", flat=True)))

    # --- add (like UserAdmin: add_form, add_fieldsets) and change -----------------------

    def get_fieldsets(self, request: HttpRequest, obj: Invite | None = None) -> Any:
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_form(
        self, request: HttpRequest, obj: Invite | None = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm[Invite]]:
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Invite | None = None) -> Any:
        return () if obj is None else super().get_readonly_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: Invite, form: Any, change: bool) -> None:
        if change:
            # Write only the metadata: a full save would write back the token digest and
            # expiry read when the form opened, undoing a refresh that committed meanwhile
            # and reviving its revoked token.
            obj.save(update_fields=["metadata", "updated_at"])
            return
        user = request.user if request.user.is_authenticated else None
        try:
            [invite] = services.create_invites([form.entry()], invited_by=user)
        except (InviteAlreadyExists, UserAlreadyExists, ValidationError) as error:
            raise AddRefused(error) from error
        # The admin goes on with `obj` (history, messages, redirect): make it the new row.
        for field in Invite._meta.concrete_fields:
            setattr(obj, field.attname, getattr(invite, field.attname))
        obj.token = invite.token
        obj._state.adding = False
        obj._state.db = invite._state.db

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return self.show_refusals(super().add_view, request, form_url, extra_context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # "Save as new" posts to the change page and adds through `save_model` too.
        return self.show_refusals(super().change_view, request, object_id, form_url, extra_context)

    def show_refusals(
        self, view: Callable[..., HttpResponse], request: HttpRequest, *args: Any
    ) -> HttpResponse:
        """Run an add or change view; when `create_invites` refuses what the form let
        through (an invite or user with that email appeared in between), run it again,
        and the form now shows the refusal as its own error."""
        for _attempt in range(2):
            try:
                return view(request, *args)
            except AddRefused as refused:
                error = refused.error
        self.message_user(
            request,
            _("Nothing was added: %(reason)s") % {"reason": refusal_text(error)},
            messages.ERROR,
        )
        return HttpResponseRedirect(request.get_full_path())

    def response_add(
        self, request: HttpRequest, obj: Invite, post_url_continue: str | None = None
    ) -> HttpResponse:
        response = super().response_add(request, obj, post_url_continue)
        self.message_user(request, accept_link_message(obj), messages.INFO)
        return response

    # --- the "Resend" button of an invite's page ----------------------------------------

    def response_change(self, request: HttpRequest, obj: Invite) -> HttpResponse:
        if RESEND not in request.POST:
            return super().response_change(request, obj)
        try:
            [invite] = services.refresh_invite_tokens([obj.pk])
        except InviteNotFound:
            self.message_user(
                request, _("Not resent: this invite has been deleted."), messages.ERROR
            )
            return HttpResponseRedirect(
                reverse("admin:invites_invite_changelist", current_app=self.admin_site.name)
            )
        except InviteAlreadyAccepted:
            self.message_user(
                request, _("Not resent: this invite has been accepted already."), messages.ERROR
            )
        else:
            self.message_user(
                request,
                _("The invite to %(email)s was given a new token and resent.")
                % {"email": invite.email},
                messages.SUCCESS,
            )
            self.message_user(request, accept_link_message(invite), messages.INFO)
        return HttpResponseRedirect(request.get_full_path())


# The name of the import page's confirm button.
IMPORT_CONFIRM = "_confirm"


def refusal_text(error: InviteError | ValidationError) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return error.message


def accept_link_message(invite: Invite) -> str:
    """The new invite's accept link, for an admin to pass on by hand if needed."""
    return format_html(
        "{} <code>{}</code>",
        _(
            "Accept link for %(email)s, shown only this once (it is also emailed when "
            "sending is configured):"
        )
        % {"email": invite.email},
        invites_settings.accept_url(invite.token),
    )


def soft_delete(ids: list[UUID]) -> None:
    """`delete_invites` on `ids`; ids that someone else deleted meanwhile count as done."""
    while ids:
        try:
            services.delete_invites(ids)
        except InviteNotFound as error:
            gone = set(error.ids)
            ids = [pk for pk in ids if pk not in gone]
        else:
            return
