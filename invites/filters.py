"""Query parameters of the invite list: `status`, `search`, `ordering`."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, filters
from rest_framework.request import Request
from rest_framework.views import APIView

from invites.models import Invite, InviteQuerySet, InviteStatus


class InviteFilterForm(forms.Form):
    """Refuses `?status=` with an empty value, which django-filter would ignore."""

    def clean_status(self) -> str:
        """The status, or a validation error when the parameter is given but empty."""
        value: str = self.cleaned_data.get("status") or ""
        if not value and "status" in self.data:
            raise forms.ValidationError(
                _("Select a valid choice: pending, expired or accepted."), code="invalid_choice"
            )
        return value


class InviteFilter(django_filters.FilterSet):
    """`?status=pending|expired|accepted`; any other value (empty too) is a 400."""

    status = django_filters.ChoiceFilter(
        choices=InviteStatus.choices,
        method="filter_status",
        label=_("Status"),
        help_text=_("pending, expired or accepted"),
    )

    class Meta:
        model = Invite
        fields = ["status"]
        form = InviteFilterForm

    def filter_status(self, queryset: InviteQuerySet, name: str, value: str) -> InviteQuerySet:
        """Invites whose computed status is `value`."""
        return queryset.with_status(value)


class InviteSearchFilter(filters.SearchFilter):
    """DRF's `SearchFilter`, reporting a bad `search` value under its name like any field."""

    def get_search_terms(self, request: Request) -> list[str]:
        """The search terms, or a 400 `{"search": [...]}` (e.g. for a NUL character)."""
        try:
            return list(super().get_search_terms(request))
        except exceptions.ValidationError as exc:
            raise exceptions.ValidationError({self.search_param: exc.detail}) from None


class InviteOrderingFilter(filters.OrderingFilter):
    """DRF's `OrderingFilter` with the primary key as tie-breaker, so pages never overlap."""

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        """DRF's parameter, describing the fields it takes."""
        parameters = list(super().get_schema_operation_parameters(view))
        fields = ", ".join(f"`{name}`" for name in getattr(view, "ordering_fields", []))
        for parameter in parameters:
            parameter["description"] = (
                f"Order by {fields}; prefix `-` for descending, comma-separate several. "
                f"Default: `-created_at`."
            )
        return parameters

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: APIView) -> list[str]:
        """The requested (or default) ordering, then `pk`."""
        ordering = list(super().get_ordering(request, queryset, view) or [])
        return [*ordering, "pk"]
