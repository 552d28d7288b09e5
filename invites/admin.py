"""The Django admin for invites: every change goes through `invites.services`.

- Adding calls `create_invites` (its refusals are shown on the form) and shows the new
  accept link once.
- The action "Refresh tokens and resend" calls `refresh_invite_tokens`.
- Deleting, from an invite's page or with the bulk action, calls `delete_invites`,
  which soft-deletes.
- Changing an invite edits only its metadata; token, expiry and state change only
  through the services.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from invites import services
from invites.conf import invites_settings
from invites.exceptions import (
    InviteAlreadyAccepted,
    InviteAlreadyExists,
    InviteNotFound,
    UserAlreadyExists,
)
from invites.forms import InviteAddForm, InviteChangeForm
from invites.models import Invite, InviteStatus

READONLY_FIELDS = (
    "email",
    "status",
    "expires_at",
    "accepted",
    "accepted_at",
    "invited_by",
    "token_hash",
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
            return queryset.with_status(value)  # type: ignore[attr-defined]
        return queryset


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "expires_at", "created_at"]
    list_filter = [StatusListFilter]
    search_fields = ["email"]
    date_hierarchy = "created_at"
    actions = ["refresh_tokens"]
    form = InviteChangeForm
    fieldsets = [
        (None, {"fields": ["email", "status", "expires_at", "metadata"]}),
        (
            _("History"),
            {"fields": ["invited_by", "created_at", "updated_at", "accepted", "accepted_at"]},
        ),
        (_("Token"), {"fields": ["token_hash"]}),
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

    def response_action(self, request: HttpRequest, queryset: QuerySet[Invite]) -> Any:
        # Django filters by the posted ids as they are; a malformed UUID would be a 500.
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(services.parse_invite_id(value) for value in selected):
            self.message_user(
                request,
                _("The selection holds an id that is not an invite's. Reload the list."),
                messages.ERROR,
            )
            return None
        return super().response_action(request, queryset)

    # --- delete: soft, through the service ----------------------------------------------

    def delete_model(self, request: HttpRequest, obj: Invite) -> None:
        soft_delete([obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Invite]) -> None:
        soft_delete(list(queryset.values_list("pk", flat=True)))

    # --- change: metadata only ----------------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: Invite | None = None) -> Any:
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Invite | None = None) -> Any:
        return () if obj is None else super().get_readonly_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: Invite, form: Any, change: bool) -> None:
        # Write only the metadata: a full save would write back the token digest and
        # expiry read when the form opened, undoing a refresh that committed meanwhile
        # and reviving its revoked token.
        if not change:
            raise PermissionDenied  # adding goes through `add_view`, never here
        obj.save(update_fields=["metadata", "updated_at"])

    # --- add: through `create_invites` --------------------------------------------------

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if object_id is None or (request.method == "POST" and "_saveasnew" in request.POST):
            return self.add_invite_view(request, form_url, extra_context)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def add_invite_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The add page: validate, call `create_invites`, show its refusals on the form."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = InviteAddForm(request.POST)
            if form.is_valid():
                try:
                    user = request.user if request.user.is_authenticated else None
                    [invite] = services.create_invites([form.entry()], invited_by=user)
                except ValidationError as error:
                    form.add_error("email", error)
                except (InviteAlreadyExists, UserAlreadyExists) as error:
                    form.add_error("email", error.message)
                else:
                    self.log_addition(request, invite, [{"added": {}}])
                    response = self.response_add(request, invite)
                    self.message_user(request, accept_link_message(invite), messages.INFO)
                    return response
        else:
            form = InviteAddForm(initial=self.get_changeform_initial_data(request))

        # The admin's helpers only read a form's fields and errors; a plain Form does.
        admin_form = helpers.AdminForm(
            form,  # type: ignore[arg-type]
            list(self.get_fieldsets(request)),
            {},
            (),
            model_admin=self,
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Add %s") % self.opts.verbose_name,
            "subtitle": None,
            "adminform": admin_form,
            "object_id": None,
            "original": None,
            "is_popup": IS_POPUP_VAR in request.POST or IS_POPUP_VAR in request.GET,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),  # type: ignore[arg-type]
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=True, form_url=form_url)


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
