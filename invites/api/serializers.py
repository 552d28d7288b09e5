"""Output serializers of the invite API: they render what a service returned.

Input serializers are in `invites.api.inputs` (the invite viewset's) and
`invites.api.invitee` (the invitee's endpoints); error bodies in `invites.api.bodies`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet, prefetch_related_objects
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from invites.adapter import get_adapter
from invites.models import DeliveryStatus, Invite, InviteStatus


@extend_schema_serializer(component_name="UserSummary")
class UserSummarySerializer(serializers.Serializer):
    """A user as `{"id", "email"}`."""

    id = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()

    @extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
    def get_id(self, user: Any) -> Any:
        """The user's primary key: an integer for Django's user model."""
        return user.pk if isinstance(user.pk, int) else str(user.pk)

    @extend_schema_field(serializers.CharField())
    def get_email(self, user: Any) -> str:
        """The user's email (the email field the user model names)."""
        return str(getattr(user, user.get_email_field_name(), "") or "")


@extend_schema_serializer(component_name="InviteTarget")
class TargetOutputSerializer(serializers.Serializer):
    """What an invite is into: `{"type", "id", "name"}`."""

    type = serializers.SerializerMethodField(
        help_text=_("The target's model, as `<app_label>.<model>`.")
    )
    id = serializers.CharField(
        source="target_id", read_only=True, help_text=_("The target's primary key.")
    )
    name = serializers.SerializerMethodField(
        help_text=_("The target as people read it (the adapter's `describe_target`).")
    )

    def get_type(self, invite: Invite) -> str:
        """`<app_label>.<model>` of the invite's target type."""
        content_type = invite.target_type
        return f"{content_type.app_label}.{content_type.model}" if content_type else ""

    def get_name(self, invite: Invite) -> str:
        """The adapter's `describe_target`."""
        return str(get_adapter().describe_target(invite))


# A component named here: left to drf-spectacular's enum naming, a second enum of a
# field named `status` would rename the invite's `StatusEnum` to tell the two apart.
@extend_schema_field(
    {"type": "string", "enum": list(DeliveryStatus.values)}, component_name="DeliveryStatusEnum"
)
class DeliveryStatusField(serializers.ChoiceField):
    """The delivery state of the current link's email."""


@extend_schema_serializer(component_name="InviteDelivery")
class DeliverySerializer(serializers.Serializer):
    """Where the email of the invite's current link stands."""

    status = DeliveryStatusField(
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
    """An invite as Medusa's `InviteDTO` plus `status`, its target, role and groups, and
    who invited and accepted; `token` only when just minted.

    Render querysets from `with_relations`, or every row costs queries of its own.
    """

    token = serializers.SerializerMethodField(
        help_text=_("The raw token, in the response of the call that minted it; else null.")
    )
    metadata = serializers.DictField(allow_null=True, read_only=True)
    status = serializers.ChoiceField(choices=InviteStatus.choices, read_only=True)
    target = serializers.SerializerMethodField(
        help_text=_("What the invite is into; null for an invite to the site itself.")
    )
    groups = serializers.SerializerMethodField(
        help_text=_("Names of the Django groups the invitee joins on accept.")
    )
    invited_by = UserSummarySerializer(
        read_only=True, allow_null=True, help_text=_("Who created the invite.")
    )
    accepted_by = UserSummarySerializer(
        read_only=True, allow_null=True, help_text=_("Who accepted the invite.")
    )
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
            "target",
            "role",
            "groups",
            "invited_by",
            "accepted_at",
            "accepted_by",
            "declined_at",
            "delivery",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_token(self, invite: Invite) -> str | None:
        """The raw token a service put on the instance, or None."""
        return getattr(invite, "token", None)

    @extend_schema_field(TargetOutputSerializer(allow_null=True))
    def get_target(self, invite: Invite) -> dict[str, Any] | None:
        """`{"type", "id", "name"}`, or None for an invite to the site."""
        if invite.target_type_id is None:
            return None
        return dict(TargetOutputSerializer(invite).data)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_groups(self, invite: Invite) -> list[str]:
        """The names of the invite's groups, sorted."""
        return sorted(group.name for group in invite.groups.all())


# What `InviteOutputSerializer` reads beyond the invite's own columns.
JOINED = ("invited_by", "accepted_by", "target_type")
PREFETCHED = ("groups", "target")


def with_relations(queryset: QuerySet[Invite]) -> QuerySet[Invite]:
    """`queryset` loading what `InviteOutputSerializer` renders in a fixed number of queries."""
    return queryset.select_related(*JOINED).prefetch_related(*PREFETCHED)


def load_relations(invites: Sequence[Invite]) -> Sequence[Invite]:
    """Load what `InviteOutputSerializer` renders for invites a service returned, in a
    fixed number of queries however many they are; returns them."""
    prefetch_related_objects(list(invites), *JOINED, *PREFETCHED)
    return invites


class BulkSkippedSerializer(serializers.Serializer):
    """An entry left out by `skip_existing`."""

    index = serializers.IntegerField(help_text=_("Position of the entry in `invites` (from 0)."))
    email = serializers.CharField()
    reason = serializers.ChoiceField(choices=["invite_exists", "user_exists", "already_member"])


@extend_schema_serializer(component_name="InviteBulkCreated")
class InviteBulkOutputSerializer(serializers.Serializer):
    """`{"created": [invites with token], "skipped": [{"index", "email", "reason"}]}`."""

    created = InviteOutputSerializer(many=True)
    skipped = BulkSkippedSerializer(many=True)


@extend_schema_serializer(component_name="AcceptedUser")
class AcceptedUserSerializer(UserSummarySerializer):
    """The user who accepted or joined an invite."""

    @extend_schema_field(OpenApiTypes.EMAIL)
    def get_email(self, user: Any) -> str:
        """The user's email, which is the invite's."""
        return super().get_email(user)


@extend_schema_serializer(component_name="AcceptedInvite")
class AcceptOutputSerializer(serializers.Serializer):
    """`{"user": {"id", "email"}}`."""

    user = AcceptedUserSerializer(read_only=True)


@extend_schema_serializer(component_name="JoinedInvite")
class JoinOutputSerializer(serializers.Serializer):
    """`{"user": {"id", "email"}, "invite": invite}`."""

    user = AcceptedUserSerializer(read_only=True)
    invite = InviteOutputSerializer(read_only=True)
