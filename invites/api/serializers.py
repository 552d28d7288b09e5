"""API input and output serializers: they validate and render, they never write.

Input serializers check the shape of a request body; the view hands the validated
data to a service. Output serializers render what the service returned. The error
serializers at the end only document error bodies in the OpenAPI schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from invites.conf import invites_settings
from invites.metadata import MAX_METADATA_BYTES, MAX_METADATA_DEPTH, validate_metadata
from invites.models import DeliveryStatus, Invite, InviteStatus

# Longest string taken as an invite id: a UUID is 36 characters, so anything longer
# cannot name an invite and is refused instead of being echoed back.
MAX_ID_LENGTH = 64
# Longest email taken in a bulk body: longer than any valid address (254), so that an
# over-long one is still a bad row of its own, but bounded so that it is not echoed back.
BULK_EMAIL_MAX_LENGTH = 320


# --- output -------------------------------------------------------------------------


@extend_schema_serializer(component_name="InviteDelivery")
class DeliverySerializer(serializers.Serializer):
    """Where the email of the invite's current link stands."""

    status = serializers.ChoiceField(
        source="delivery_status", choices=DeliveryStatus.choices, read_only=True
    )
    attempts = serializers.IntegerField(
        source="delivery_attempts",
        read_only=True,
        help_text=_("Attempts at sending the current link's email."),
    )
    error = serializers.CharField(
        source="delivery_error",
        read_only=True,
        help_text=_("The last error's class and SMTP code, or the bounce reason; empty if none."),
    )
    sent_at = serializers.DateTimeField(allow_null=True, read_only=True)


@extend_schema_serializer(component_name="Invite")
class InviteOutputSerializer(serializers.ModelSerializer):
    """An invite as Medusa's `InviteDTO` plus `status`; `token` only when just minted."""

    token = serializers.SerializerMethodField(
        help_text=_("The raw token, in the response of the call that minted it; else null.")
    )
    metadata = serializers.DictField(allow_null=True, read_only=True)
    status = serializers.ChoiceField(choices=InviteStatus.choices, read_only=True)
    delivery = DeliverySerializer(source="*", read_only=True)

    class Meta:
        model = Invite
        fields = [
            "id",
            "email",
            "accepted",
            "token",
            "expires_at",
            "metadata",
            "created_at",
            "updated_at",
            "deleted_at",
            "sent_at",
            "status",
            "delivery",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_token(self, invite: Invite) -> str | None:
        """The raw token a service put on the instance, or None."""
        return getattr(invite, "token", None)


@extend_schema_serializer(component_name="AcceptedUser")
class AcceptedUserSerializer(serializers.Serializer):
    """The user an accepted invite created."""

    id = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()

    @extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
    def get_id(self, user: Any) -> Any:
        """The user's primary key: an integer for Django's user model."""
        return user.pk if isinstance(user.pk, int) else str(user.pk)

    @extend_schema_field(OpenApiTypes.EMAIL)
    def get_email(self, user: Any) -> str:
        """The user's email, which is the invite's."""
        return str(getattr(user, user.get_email_field_name()))


@extend_schema_serializer(component_name="AcceptedInvite")
class AcceptOutputSerializer(serializers.Serializer):
    """`{"user": {"id", "email"}}`."""

    user = AcceptedUserSerializer(read_only=True)


# --- input --------------------------------------------------------------------------


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


@extend_schema_serializer(component_name="InviteCreate")
class InviteCreateInputSerializer(serializers.Serializer):
    """Body of `POST /api/invites/`."""

    email = serializers.EmailField(max_length=254)
    metadata = MetadataField(
        required=False,
        allow_null=True,
        help_text=format_lazy(
            _(
                "Free-form JSON object, nested at most {depth} levels deep (the object "
                "itself is the first) and at most {size} bytes as compact UTF-8 JSON."
            ),
            depth=MAX_METADATA_DEPTH,
            size=MAX_METADATA_BYTES,
        ),
    )


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


@extend_schema_serializer(component_name="InviteRefresh")
class InviteRefreshInputSerializer(serializers.Serializer):
    """Body of `POST /api/invites/refresh/`."""

    invite_ids = InviteIdsField(
        help_text=_("Ids of the invites to refresh, at most INVITES['MAX_BATCH_SIZE'] (1000).")
    )


class BulkEntrySerializer(serializers.Serializer):
    """One entry of a bulk create; whether the email is valid is the service's to say."""

    # A CharField, not an EmailField: an invalid address is a bad row (`invalid`),
    # reported with the others, not a field message.
    email = serializers.CharField(
        max_length=BULK_EMAIL_MAX_LENGTH, allow_blank=True, trim_whitespace=False
    )
    metadata = MetadataField(required=False, allow_null=True, help_text=_("Free-form JSON object."))


class BulkEntriesField(BatchField):
    """A non-empty list of at most `MAX_BATCH_SIZE` entries."""

    child = BulkEntrySerializer()
    default_error_messages = {
        "not_a_list": _('Expected a list of invites but got type "{input_type}".'),
        "empty": _("This list may not be empty."),
        "max_length": _("Ensure this list has no more than {max_length} invites."),
    }

    def to_internal_value(self, data: Any) -> list[Any]:
        self.check_batch(data)
        try:
            return list(super().to_internal_value(data))
        except serializers.ValidationError as error:
            # A flat list of messages, each naming its entry, as every field error is.
            raise serializers.ValidationError(_entry_messages(error.detail)) from None


def _entry_messages(detail: Any) -> list[str]:
    """DRF's `{index: {field: [message]}}` for bad entries as `["entry 2, email: ..."]`."""
    if not isinstance(detail, Mapping):
        return [str(message) for message in detail]
    messages = []
    for index, problems in detail.items():
        fields = problems.items() if isinstance(problems, Mapping) else [("", problems)]
        for name, field_messages in fields:
            for message in field_messages if isinstance(field_messages, list) else [field_messages]:
                where = _("entry %(index)s") % {"index": index}
                if name and name != "non_field_errors":
                    where += f", {name}"
                messages.append(f"{where}: {message}")
    return messages


@extend_schema_serializer(component_name="InviteBulkCreate")
class InviteBulkInputSerializer(serializers.Serializer):
    """Body of `POST /api/invites/bulk/`."""

    invites = BulkEntriesField(
        help_text=_("The invites to create, at most INVITES['MAX_BATCH_SIZE'] (1000).")
    )
    skip_existing = serializers.BooleanField(
        default=False,
        help_text=_(
            "Skip entries whose email already has a live invite or a user, instead of "
            "refusing the call."
        ),
    )


class BulkSkippedSerializer(serializers.Serializer):
    """An entry left out by `skip_existing`."""

    index = serializers.IntegerField(help_text=_("Position of the entry in `invites` (from 0)."))
    email = serializers.CharField()
    reason = serializers.ChoiceField(choices=["invite_exists", "user_exists"])


@extend_schema_serializer(component_name="InviteBulkCreated")
class InviteBulkOutputSerializer(serializers.Serializer):
    """`{"created": [invites with token], "skipped": [{"index", "email", "reason"}]}`."""

    created = InviteOutputSerializer(many=True)
    skipped = BulkSkippedSerializer(many=True)


class TokenField(serializers.CharField):
    """A raw token as given: any string, even blank or with NUL, is the service's to judge.

    So every token problem is one `invalid_token` error, never a field message.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_blank=True, trim_whitespace=False, **kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]


@extend_schema_serializer(component_name="InviteAccept")
class AcceptInputSerializer(serializers.Serializer):
    """Body of `POST /api/invites/accept/`; the token itself is checked by the service."""

    token = TokenField()
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Refuse name fields that the project's user model does not have."""
        User = get_user_model()
        errors = {}
        for name in ("first_name", "last_name"):
            if name not in attrs:
                continue
            try:
                User._meta.get_field(name)
            except FieldDoesNotExist:
                errors[name] = [_("The user model has no such field.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


# --- error bodies (documentation only) ----------------------------------------------


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
    code = serializers.ChoiceField(choices=["invalid", "duplicate", "invite_exists", "user_exists"])
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
