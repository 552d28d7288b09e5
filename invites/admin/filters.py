"""The invite list's filters: by computed status, by target type, and by whether the
current link was sent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from invites.models import Invite, InviteQuerySet, InviteStatus
from invites.targets import target_type_reference


class StatusListFilter(admin.SimpleListFilter):
    """Filter by the computed status: pending, expired, accepted or declined."""

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


# The target type filter's value for invites to the site itself.
NO_TARGET = "none"


class TargetTypeListFilter(admin.SimpleListFilter):
    """Filter by what the invites are into: one choice per model that invites target
    (`<app_label>.<model>`), and one for invites to the site itself."""

    title = _("target type")
    parameter_name = "target_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Sequence[tuple[str, Any]]:
        used = Invite.objects.filter(target_type__isnull=False).values("target_type")
        content_types = ContentType.objects.filter(pk__in=used).order_by("app_label", "model")
        return [
            (NO_TARGET, _("None (the site)")),
            *((target_type_reference(ct), capfirst(ct.name)) for ct in content_types),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Invite]) -> QuerySet[Invite]:
        value = self.value()
        if value == NO_TARGET:
            return queryset.filter(target_type__isnull=True)
        app_label, dot, model = (value or "").partition(".")
        if not dot:
            return queryset
        # By the content type's id (from Django's cache), not a join on its name: then
        # the index on (target_type, created_at) serves the filtered list in order.
        try:
            content_type = ContentType.objects.get_by_natural_key(app_label, model)
        except ContentType.DoesNotExist:
            return queryset.none()
        return queryset.filter(target_type=content_type)
