"""Input serializers of the API: they check the shape of a request body.

The view hands the validated data to a service, which judges it; these never write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from invites.addresses import validate_address
from invites.api.fields import (
    BULK_EMAIL_MAX_LENGTH,
    GROUPS_MAX,
    TARGET_TYPE_MAX_LENGTH,
    BatchField,
    GroupNamesField,
    InviteIdsField,
    MetadataField,
    TargetIdField,
    TokenField,
)
from invites.metadata import MAX_METADATA_BYTES, MAX_METADATA_DEPTH
from invites.targets import resolve_target


@extend_schema_serializer(component_name="InviteTargetReference")
class TargetInputSerializer(serializers.Serializer):
    """`{"type": "<app_label>.<model>", "id": "<pk>"}`: a saved model instance to invite into."""

    type = serializers.CharField(
        max_length=TARGET_TYPE_MAX_LENGTH,
        help_text=_("The target's model, as `<app_label>.<model>` (e.g. `teams.team`)."),
    )
    id = TargetIdField()

    def run_validation(self, data: Any = serializers.empty) -> Any:
        """Validated, or one flat list of messages under `target`, each naming its key,
        so every 400 body has the same shape."""
        try:
            return super().run_validation(data)
        except serializers.ValidationError as error:
            if not isinstance(error.detail, Mapping):
                raise
            raise serializers.ValidationError(
                [
                    f"{key}: {message}"
                    for key, messages in error.detail.items()
                    for message in (messages if isinstance(messages, list) else [messages])
                ]
            ) from None


class TargetFieldsMixin(serializers.Serializer):
    """The optional `target`, `role` and `groups` of a create, resolved when validated:
    `target` becomes the model instance (or None); whether the role, the groups and the
    target may be used is the service's to judge."""

    target = TargetInputSerializer(
        required=False,
        allow_null=True,
        help_text=_("What to invite into; leave it out (or null) to invite to the site itself."),
    )
    role = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text=_("The role the invitee gets in the target (the adapter's `get_roles`)."),
    )
    groups = GroupNamesField(
        required=False,
        max_length=GROUPS_MAX,
        help_text=_("Names of Django groups the invitee joins on accept."),
    )

    def validate_target(self, value: Any) -> Any:
        """The model instance the reference names; a 400 under `target` when it names none."""
        if value is None:
            return None
        try:
            return resolve_target(value["type"], value["id"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(list(error.messages)) from None


@extend_schema_serializer(component_name="InviteCreate")
class InviteCreateInputSerializer(TargetFieldsMixin, serializers.Serializer):
    """Body of `POST /api/invites/`."""

    email = serializers.EmailField(max_length=254, validators=[validate_address])
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
    role = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text=_("This invite's role, instead of the call's `role`."),
    )

    @staticmethod
    def entry(data: Mapping[str, Any]) -> dict[str, Any]:
        """Validated entry data as a `create_invites` entry."""
        entry = {"email": data["email"], "metadata": data.get("metadata")}
        if "role" in data:
            entry["role"] = data["role"]
        return entry


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
class InviteBulkInputSerializer(TargetFieldsMixin, serializers.Serializer):
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


@extend_schema_serializer(component_name="InviteToken")
class TokenInputSerializer(serializers.Serializer):
    """Body of `POST /api/invites/join/` and `POST /api/invites/decline/`."""

    token = TokenField(help_text=_("The raw token of the invite's link."))


def grants_of(validated_data: Mapping[str, Any]) -> dict[str, Any]:
    """The validated `target`, `role` and `groups` of a create, as `create_invites` takes
    them."""
    return {
        "target": validated_data.get("target"),
        "role": validated_data.get("role", ""),
        "groups": list(validated_data.get("groups", [])),
    }
