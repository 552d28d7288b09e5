"""`InviteAdmin`: every change goes through `invites.services` (see the package's docstring)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from invites import services
from invites.adapter import get_adapter
from invites.admin.actions import RefreshActionMixin
from invites.admin.changelist import InviteChangeList
from invites.admin.delivery import DeliveryAdminMixin
from invites.admin.filters import SentListFilter, StatusListFilter, TargetTypeListFilter
from invites.admin.forms import (
    InviteAddForm,
    InviteChangeForm,
)
from invites.admin.imports import ImportInvitesMixin
from invites.exceptions import (
    AlreadyMember,
    InviteAlreadyAccepted,
    InviteAlreadyExists,
    InviteDeclined,
    InviteError,
    InviteNotFound,
    UserAlreadyExists,
)
from invites.models import Invite
from invites.pagination import LimitedCountPaginator
from invites.search import search_invites, search_terms

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
    "delivery",
    "queued_at",
    "last_emailed_at",
    "created_at",
    "updated_at",
    # What an invite grants is fixed when it is created, as judged then.
    "target",
    "role",
    "groups",
    "accepted_by",
    "declined_at",
)


class AddRefused(Exception):
    """`create_invites` refused an invite that the add form had just found creatable."""

    def __init__(self, error: InviteError | ValidationError | PermissionDenied) -> None:
        super().__init__(error)
        self.error = error


@admin.register(Invite)
class InviteAdmin(DeliveryAdminMixin, RefreshActionMixin, ImportInvitesMixin, admin.ModelAdmin):
    list_display = [
        "email",
        "status",
        "target",
        "role",
        "expires_at",
        "created_at",
        "invited_by",
        "accepted_by",
        "accepted_at",
        "sent_at",
        "delivery",
    ]
    list_filter = [StatusListFilter, TargetTypeListFilter, SentListFilter, "delivery_status"]
    list_select_related = ["invited_by", "accepted_by", "target_type"]
    # Each of these has an index (see `Invite.Meta.indexes`); the other columns sort
    # nothing, so no click on a column header scans the table.
    sortable_by = ["email", "expires_at", "created_at", "accepted_at", "sent_at"]
    # The search itself is `invites.search`'s (see `get_search_results`).
    search_fields = ["email"]
    search_help_text = _(
        "The start of an email (ada, ada.lovelace@), or everyone at a domain "
        "(@example.com, or example.com)."
    )
    # No date hierarchy: its months are a DISTINCT over every row. And no full count
    # beside the filtered one: a second COUNT(*) over the whole table.
    show_full_result_count = False
    # The filtered count stops at `INVITES["EXACT_COUNT_LIMIT"]` when one is set.
    paginator = LimitedCountPaginator
    actions = ["refresh_tokens", "resend_failed_emails"]
    form = InviteChangeForm
    add_form = InviteAddForm
    fieldsets = [
        (None, {"fields": ["email", "status", "expires_at", "metadata"]}),
        (_("Target"), {"fields": ["target", "role", "groups"]}),
        (
            _("History"),
            {
                "fields": [
                    "invited_by",
                    "created_at",
                    "updated_at",
                    "sent_at",
                    "delivery",
                    "queued_at",
                    "last_emailed_at",
                    "accepted",
                    "accepted_at",
                    "accepted_by",
                    "declined_at",
                ]
            },
        ),
    ]
    add_fieldsets = [
        (None, {"fields": ["email", "metadata"]}),
        (_("Target"), {"fields": ["target_type", "target_id", "role", "groups"]}),
    ]
    readonly_fields = READONLY_FIELDS

    @admin.display(description=_("status"))
    def status(self, invite: Invite) -> str:
        return str(invite.status.label)

    @admin.display(description=_("target"))
    def target(self, invite: Invite) -> str | None:
        """The target's type and name ("Team: Marketing"); nothing for a site invite."""
        if invite.target_type is None:
            return None
        name = get_adapter().describe_target(invite)
        return f"{capfirst(invite.target_type.name)}: {name}"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Invite], search_term: str
    ) -> tuple[QuerySet[Invite], bool]:
        """Prefix and domain search on indexed columns, never a substring scan."""
        return search_invites(queryset, search_terms(search_term)), False

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[InviteChangeList]:
        return InviteChangeList

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invite]:
        # The list names each invite's target: one query for all of a page's targets.
        return super().get_queryset(request).prefetch_related("target")

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
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        # Only the add form's model fields reach the instance; its target fields are
        # read by the form itself, which judges them with the admin as the inviter.
        kwargs["form"] = self.add_form
        kwargs["fields"] = list(InviteAddForm.Meta.fields)
        form = super().get_form(request, obj, change=change, **kwargs)
        user = request.user if request.user.is_authenticated else None
        return type(form.__name__, (form,), {"invited_by": user})

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
            [invite] = services.create_invites(
                [form.entry()], invited_by=user, **form.cleaned_grants.as_kwargs()
            )
        except (
            InviteAlreadyExists,
            UserAlreadyExists,
            AlreadyMember,
            ValidationError,
            PermissionDenied,
        ) as error:
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
        except InviteDeclined:
            self.message_user(
                request, _("Not resent: the invitee has declined this invite."), messages.ERROR
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


def refusal_text(error: InviteError | ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, PermissionDenied):
        return str(error) or gettext("You may not create this invite.")
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
        get_adapter().get_accept_url(invite.token),
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
