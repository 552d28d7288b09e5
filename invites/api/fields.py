"""Fields of the API's request bodies, each refusing what it cannot take with one flat
message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from invites.conf import invites_settings
from invites.metadata import validate_metadata

# Longest string taken as an invite id: a UUID is 36 characters, so anything longer
# cannot name an invite and is refused instead of being echoed back.
MAX_ID_LENGTH = 64
# Longest email taken in a bulk body: longer than any valid address (254), so that an
# over-long one is still a bad row of its own, but bounded so that it is not echoed back.
BULK_EMAIL_MAX_LENGTH = 320
# Longest target type taken (`<app_label>.<model>`): two identifiers, each at most 100
# characters as Django's content types store them.
TARGET_TYPE_MAX_LENGTH = 201
# A target id is stored in at most 64 characters.
TARGET_ID_MAX_LENGTH = 64
# Most groups one invite may name.
GROUPS_MAX = 100


class MetadataField(serializers.DictField):
    """A JSON object of free-form data within the metadata limits (`invites.metadata`);
    refuses NUL characters, which PostgreSQL cannot store."""

    default_error_messages = {"null_characters": _("Null characters are not allowed.")}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        try:
            # Before anything else walks or copies the value.
            validate_metadata(data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(list(error.messages)) from None
        value: dict[str, Any] = super().to_internal_value(data)
        stack: list[Any] = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, str) and "\x00" in item:
                self.fail("null_characters")
            if isinstance(item, Mapping):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return value


class GroupNamesField(serializers.ListField):
    """Names of Django groups; any bad item is one flat message, not errors keyed by
    the item's position, so every 400 body has the same shape."""

    default_error_messages = {"invalid_name": _("Name each group by its name.")}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.CharField(max_length=150), **kwargs)

    def to_internal_value(self, data: Any) -> list[str]:
        try:
            value: list[str] = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if isinstance(error.detail, Mapping):
                self.fail("invalid_name")
            raise
        return value


class TargetIdField(serializers.Field):
    """A target's primary key: a string, or an integer (taken as its decimal string)."""

    default_error_messages = {
        "invalid": _("A target id is a string or an integer."),
        "blank": _("This field may not be blank."),
        "max_length": _("A target id is at most {max_length} characters long."),
    }

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, (str, int)):
            self.fail("invalid")
        value = str(data)
        if not value.strip():
            self.fail("blank")
        if len(value) > TARGET_ID_MAX_LENGTH:
            self.fail("max_length", max_length=TARGET_ID_MAX_LENGTH)
        return value

    def to_representation(self, value: Any) -> str:
        return str(value)


class TargetIdFieldSchema(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    """Documents `TargetIdField` as a string or an integer."""

    target_class = TargetIdField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        """`oneOf` a non-empty string and an integer."""
        return {
            "oneOf": [
                {"type": "string", "minLength": 1, "maxLength": TARGET_ID_MAX_LENGTH},
                {"type": "integer"},
            ],
            "description": "The target's primary key.",
        }


class BatchField(serializers.ListField):
    """A non-empty list of at most `MAX_BATCH_SIZE` items, refused with one flat message
    per problem (DRF's ListField would report per index). Subclasses name the items in
    their `not_a_list`, `empty` and `max_length` messages."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_empty=False, min_length=1, **kwargs)

    def check_batch(self, data: Any) -> None:
        """Fail unless `data` is a list of 1 to `MAX_BATCH_SIZE` items."""
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        if not data:
            self.fail("empty")
        limit = invites_settings.MAX_BATCH_SIZE
        if len(data) > limit:
            self.fail("max_length", max_length=limit)


class InviteIdsField(BatchField):
    """A non-empty list of at most `MAX_BATCH_SIZE` strings, kept exactly as given."""

    child = serializers.CharField(allow_blank=True, trim_whitespace=False)
    default_error_messages = {
        "not_a_list": _('Expected a list of invite ids but got type "{input_type}".'),
        "empty": _("This list may not be empty."),
        "max_length": _("Ensure this list has no more than {max_length} ids."),
        "not_a_string": _("Each invite id must be a string."),
        "too_long": _("An invite id is at most {max_length} characters long."),
    }

    def to_internal_value(self, data: Any) -> list[str]:
        self.check_batch(data)
        if not all(isinstance(value, str) for value in data):
            self.fail("not_a_string")
        if any(len(value) > MAX_ID_LENGTH for value in data):
            self.fail("too_long", max_length=MAX_ID_LENGTH)
        return list(data)


class TokenField(serializers.CharField):
    """A raw token as given: any string, even blank or with NUL, is the service's to judge.

    So every token problem is one `invalid_token` error, never a field message.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_blank=True, trim_whitespace=False, **kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]
