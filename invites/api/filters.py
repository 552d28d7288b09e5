"""Query parameters of the invite list: `status`, `target`, `invited_by`, `search`,
`ordering`, `page(_size)`."""

from __future__ import annotations

from typing import Any

# types-django-filter needs django-stubs 6, which targets Django 6.
import django_filters  # type: ignore[import-untyped]
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, filters, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.views import APIView

from invites.models import Invite, InviteQuerySet, InviteStatus
from invites.ordering import with_tie_breaker
from invites.pagination import LimitedCountPaginator
from invites.search import search_invites
from invites.targets import resolve_target_type

STATUS_CHOICES_TEXT = _("pending, expired, accepted or declined")


class InviteFilterForm(forms.Form):
    """Refuses a filter given with an empty value (`?status=`), which django-filter would
    ignore, as it refuses any other value that names nothing."""

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean() or {}
        for name in ("status", "target", "invited_by"):
            if name in self.data and not cleaned_data.get(name) and name not in self.errors:
                self.add_error(name, self.empty_message(name))
        return cleaned_data

    @staticmethod
    def empty_message(name: str) -> forms.ValidationError:
        """The error for an empty `name` parameter."""
        if name == "status":
            message = _("Select a valid choice: %(choices)s.") % {"choices": STATUS_CHOICES_TEXT}
            return forms.ValidationError(message, code="invalid_choice")
        return forms.ValidationError(_("This parameter may not be empty."), code="required")


class InviteFilter(django_filters.FilterSet):
    """`?status=`, `?target=`, `?invited_by=`; a malformed value (empty too) is a 400."""

    status = django_filters.ChoiceFilter(
        choices=InviteStatus.choices,
        method="filter_status",
        label=_("Status"),
        help_text=STATUS_CHOICES_TEXT,
    )
    target = django_filters.CharFilter(
        method="filter_target",
        label=_("Target"),
        help_text=_(
            "`<app_label>.<model>:<pk>` for the invites into one target, `<app_label>.<model>` "
            "for those into any target of that model, `none` for invites to the site itself."
        ),
    )
    invited_by = django_filters.CharFilter(
        method="filter_invited_by",
        label=_("Invited by"),
        help_text=_("The id of the user who created the invites."),
    )

    class Meta:
        model = Invite
        fields = ["status", "target", "invited_by"]
        form = InviteFilterForm

    def filter_status(self, queryset: InviteQuerySet, name: str, value: str) -> InviteQuerySet:
        """Invites whose computed status is `value`."""
        return queryset.with_status(value)

    def filter_target(self, queryset: InviteQuerySet, name: str, value: str) -> InviteQuerySet:
        """Invites into the target (or any target of the model) that `value` names."""
        try:
            return queryset.filter(target_filter(value))
        except ValidationError as error:
            raise exceptions.ValidationError({name: error.messages}) from None

    def filter_invited_by(self, queryset: InviteQuerySet, name: str, value: str) -> InviteQuerySet:
        """Invites created by the user whose primary key is `value`."""
        try:
            pk = get_user_model()._meta.pk.to_python(value)
        except ValidationError:
            raise exceptions.ValidationError(
                {name: [_("“%(value)s” is not a user id.") % {"value": value[:64]}]}
            ) from None
        return queryset.filter(invited_by=pk)


def target_filter(value: str) -> Q:
    """The invites a `target` parameter names; `ValidationError` when it names nothing."""
    if value == "none":
        return Q(target_type__isnull=True)
    if "\x00" in value:
        raise ValidationError(_("A target holds no NUL character."), code="invalid")
    type_reference, colon, raw_pk = value.partition(":")
    content_type = resolve_target_type(type_reference, field="target")
    if not colon:
        return Q(target_type=content_type)
    model: Any = content_type.model_class()
    try:
        pk = model._meta.pk.to_python(raw_pk)
    except ValidationError:
        raise ValidationError(
            _("“%(value)s” is not an id of this target type.") % {"value": raw_pk[:64]},
            code="invalid",
        ) from None
    return Q(target_type=content_type, target_id=str(pk))


class InviteSearchFilter(filters.SearchFilter):
    """`?search=`: the email search of `invites.search` (a prefix of the email, or
    everyone at a domain), reporting a bad value under its name like any field."""

    search_description = _(  # type: ignore[assignment]
        "Each term is the start of the email (`ada`, `ada@exa`) or, with a leading `@`, "
        "a domain matched exactly (`@example.com`); a term with a dot and no `@` "
        "(`example.com`) is both. Every term must match."
    )

    def filter_queryset(
        self, request: Request, queryset: QuerySet[Any], view: APIView
    ) -> QuerySet[Any]:
        """`queryset` narrowed to the invites that every search term matches."""
        return search_invites(queryset, self.get_search_terms(request))

    def get_search_terms(self, request: Request) -> list[str]:
        """The search terms, or a 400 `{"search": [...]}` (e.g. for a NUL character)."""
        try:
            return list(super().get_search_terms(request))
        except exceptions.ValidationError as exc:
            raise exceptions.ValidationError({self.search_param: exc.detail}) from None


class InviteOrderingFilter(filters.OrderingFilter):
    """DRF's `OrderingFilter` with the primary key as tie-breaker, so pages never overlap
    (in the first key's direction, so that one index serves the sort)."""

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        """DRF's parameter, describing the fields it takes."""
        parameters = list(super().get_schema_operation_parameters(view))
        fields = ", ".join(f"`{name}`" for name in getattr(view, "ordering_fields", []))
        default = ",".join(getattr(view, "ordering", []) or [])
        for parameter in parameters:
            parameter["description"] = (
                f"Order by {fields}; prefix `-` for descending, comma-separate several. "
                f"Default: `{default}`."
            )
        return parameters

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: APIView) -> list[str]:
        """The requested (or default) ordering, then `pk` or `-pk`."""
        return with_tie_breaker(super().get_ordering(request, queryset, view) or [])


class InvitePagination(PageNumberPagination):
    """50 invites a page by default; `?page_size=` up to 200 (larger values give 200).

    Stricter than DRF's default, as the schema says: a `page_size` that is not a positive
    integer is a 400 instead of being replaced by the default, and a `page` that is not a
    page number (empty, or DRF's `last`) is a 404 like any page past the end.
    """

    django_paginator_class = LimitedCountPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        """The `page` parameter as given (an empty one stays empty: no such page)."""
        if request.query_params.get(self.page_query_param) == "":
            return ""
        return super().get_page_number(request, paginator)

    def get_page_size(self, request: Request) -> int:
        """The requested page size, capped at `max_page_size`; 400 when malformed."""
        if self.page_size_query_param not in request.query_params:
            return self.page_size
        raw = request.query_params[self.page_size_query_param]
        field = serializers.IntegerField(min_value=1)
        try:
            value: int = field.run_validation(raw)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({self.page_size_query_param: exc.detail}) from None
        return min(value, self.max_page_size)

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        """DRF's parameters, with the bounds of `page` and `page_size`."""
        parameters = list(super().get_schema_operation_parameters(view))
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = _(
                    "Invites per page: default 50; larger values than 200 give 200."
                )
        return parameters
