"""Error bodies of the API, for the OpenAPI schema only: nothing renders through these."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """`{"detail", "code"}`, plus `ids` when the error names invites."""

    detail = serializers.CharField(help_text=_("What went wrong, for people."))
    code = serializers.CharField(help_text=_("What went wrong, for programs; stable."))
    ids = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=_("The invite ids at fault, as given, when the error is about some."),
    )


class BadRowSerializer(serializers.Serializer):
    """One entry of a bulk create that cannot be created."""

    index = serializers.IntegerField(help_text=_("Position of the entry in `invites` (from 0)."))
    email = serializers.CharField()
    code = serializers.ChoiceField(
        choices=["invalid", "duplicate", "invite_exists", "user_exists", "already_member"]
    )
    detail = serializers.CharField(help_text=_("What is wrong with it, for people."))


class BulkErrorSerializer(serializers.Serializer):
    """`{"detail", "code"}`, plus `rows` naming every bad entry (`code` `invalid_rows`)."""

    detail = serializers.CharField(help_text=_("What went wrong, for people."))
    code = serializers.CharField(help_text=_("What went wrong, for programs; stable."))
    rows = BadRowSerializer(
        many=True,
        required=False,
        help_text=_("With `invalid_rows`: every entry that cannot be created."),
    )


class ValidationErrorSerializer(serializers.Serializer):
    """DRF's validation error body: `{"field name": ["message", ...]}`."""


class ValidationErrorSchema(OpenApiSerializerExtension):  # type: ignore[no-untyped-call]
    """Documents `ValidationErrorSerializer` as a map of field names to message lists."""

    target_class = ValidationErrorSerializer

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        """The schema of `{"field": ["message"]}` (`non_field_errors` for the whole body)."""
        return {
            "type": "object",
            "description": "Messages per field of the request (`non_field_errors` for the "
            "body as a whole).",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        }
