"""The invite list's filters: by computed status, and by whether the current link was sent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from invites.models import Invite, InviteQuerySet, InviteStatus


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
