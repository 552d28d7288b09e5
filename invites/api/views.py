"""The REST API: the invite viewset (the invitee's endpoints are in `invites.api.invitee`).

Views only parse, call one service and render. Which domain error becomes which HTTP
error is each view's `invite_errors` table (see `invites.api.errors`). Every class of
DRF machinery is set here, so a project's `REST_FRAMEWORK` defaults do not change
the API, except the authentication of the invite endpoints, which follows the project's
(see `invites.api.authentication`).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_variables
from django_filters.rest_framework import DjangoFilterBackend  # type: ignore[import-untyped]
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import BaseAuthentication
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from invites import services
from invites.api import examples, openapi
from invites.api.authentication import authentication_classes
from invites.api.bodies import BulkErrorSerializer, ValidationErrorSerializer
from invites.api.errors import (
    EmailRejected,
    ErrorTable,
    FieldsRejected,
    InviteBadRequest,
    InviteConflict,
    InviteErrorsMixin,
    InviteNotFoundError,
    InviteRefused,
    RowsRejected,
)
from invites.api.filters import (
    InviteFilter,
    InviteOrderingFilter,
    InvitePagination,
    InviteSearchFilter,
)
from invites.api.inputs import (
    BulkEntrySerializer,
    InviteBulkInputSerializer,
    InviteCreateInputSerializer,
    InviteRefreshInputSerializer,
)
from invites.api.parsers import BodySizeLimitMixin, InvitesJSONParser
from invites.api.permissions import InviteModelPermissions
from invites.api.serializers import (
    InviteBulkOutputSerializer,
    InviteOutputSerializer,
    load_relations,
    with_relations,
)
from invites.exceptions import (
    AlreadyMember,
    InvalidImportRows,
    InviteAlreadyAccepted,
    InviteAlreadyExists,
    InviteDeclined,
    InviteNotFound,
    UserAlreadyExists,
)
from invites.models import Invite
from invites.reports import hide_secrets

# --- the invite viewset ----------------------------------------------------------------

NOT_FOUND_ERRORS: ErrorTable = {InviteNotFound: InviteNotFoundError}


@extend_schema_view(
    list=extend_schema(
        summary="List invites",
        description="Filter by `status`, `target` and `invited_by`, search by email, order, "
        "paginate. Needs `view_invite`.",
        responses={
            200: InviteOutputSerializer(many=True),
            400: OpenApiResponse(
                ValidationErrorSerializer,
                description="Invalid `status`, `target`, `invited_by`, `page_size` or `search`.",
            ),
            **openapi.AUTH_ERRORS,
            404: openapi.error("No such page."),
        },
    ),
    retrieve=extend_schema(
        summary="Get an invite",
        description="Needs `view_invite`. `token` is always null here.",
        responses={200: InviteOutputSerializer, **openapi.AUTH_ERRORS, 404: openapi.NOT_FOUND},
    ),
)
# Responses carry raw tokens: error reports hide what is marked sensitive (the body
# `_minted` renders), DEBUG on or off.
@method_decorator(hide_secrets, name="dispatch")
class InviteViewSet(
    BodySizeLimitMixin,
    InviteErrorsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Invites: list, create, retrieve, soft-delete, resend one, refresh many."""

    serializer_class = InviteOutputSerializer
    permission_classes = [InviteModelPermissions]
    throttle_classes: list[Any] = []
    parser_classes = [InvitesJSONParser]
    renderer_classes = [JSONRenderer]
    pagination_class = InvitePagination
    filter_backends = [DjangoFilterBackend, InviteSearchFilter, InviteOrderingFilter]
    filterset_class = InviteFilter
    search_fields = ["email"]
    ordering_fields = ["created_at", "updated_at", "expires_at", "email"]
    ordering = ["-created_at"]
    # Any segment reaches the view, so a malformed id is the API's JSON 404.
    lookup_value_regex = "[^/]+"
    schema = AutoSchema()

    invite_errors = {
        "retrieve": NOT_FOUND_ERRORS,
        "destroy": NOT_FOUND_ERRORS,
        "create": {
            InviteAlreadyExists: EmailRejected,
            UserAlreadyExists: EmailRejected,
            AlreadyMember: InviteBadRequest,
            DjangoValidationError: FieldsRejected,
            PermissionDenied: InviteRefused,
        },
        "resend": {
            InviteNotFound: InviteNotFoundError,
            InviteAlreadyAccepted: InviteConflict,
            InviteDeclined: InviteConflict,
        },
        "refresh": {
            InviteNotFound: InviteBadRequest,
            InviteAlreadyAccepted: InviteConflict,
            InviteDeclined: InviteConflict,
        },
        "bulk": {
            InvalidImportRows: RowsRejected,
            DjangoValidationError: FieldsRejected,
            PermissionDenied: InviteRefused,
        },
    }

    def get_authenticators(self) -> list[BaseAuthentication]:
        """The project's authentication classes, chosen per request (and for the schema)."""
        return [authentication() for authentication in authentication_classes()]

    def get_queryset(self) -> QuerySet[Invite]:
        """Live invites only: soft-deleted ones are not found."""
        return with_relations(Invite.objects.all())

    def get_serializer_class(self) -> type[Any]:
        """The input serializer of a write action, the output serializer otherwise."""
        return {
            "create": InviteCreateInputSerializer,
            "refresh": InviteRefreshInputSerializer,
            "bulk": InviteBulkInputSerializer,
        }.get(self.action, InviteOutputSerializer)

    def get_object(self) -> Invite:
        """The live invite named in the URL; `InviteNotFound` (404) for anything else."""
        value = self.kwargs["pk"]
        pk = services.parse_invite_id(value)
        invite = None if pk is None else self.get_queryset().filter(pk=pk).first()
        if invite is None:
            raise InviteNotFound([value])
        return invite

    @extend_schema(
        summary="Create an invite",
        description="Needs `add_invite`. With a `target` (`{type, id}`), a `role` and "
        "`groups`, the invitee joins the target with that role and those groups on accept; "
        "an email that has an account already may be invited when the invite grants "
        "something. The response holds the new raw `token`; `invite_created` is sent after "
        "commit.",
        request=InviteCreateInputSerializer,
        responses={
            201: InviteOutputSerializer,
            400: openapi.bad_request(
                "CreateInviteBadRequest",
                "Invalid body or email; an open invite exists for the email and target, or "
                "a user exists for the email and the invite grants nothing (under `email`); "
                "an unknown target type or a target that does not exist (under `target`), a "
                "role the adapter does not list (under `role`) or an unknown group (under "
                "`groups`); or the user is already a member (`already_member`).",
            ),
            **openapi.CREATE_AUTH_ERRORS,
            413: openapi.TOO_LARGE,
            415: openapi.UNSUPPORTED,
        },
        examples=examples.CREATE_EXAMPLES,
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create one invite through `create_invites`."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = {
            "email": serializer.validated_data["email"],
            "metadata": serializer.validated_data.get("metadata"),
        }
        user = request.user if request.user.is_authenticated else None
        [invite] = services.create_invites([entry], invited_by=user, **serializer.grants())
        return _minted(
            InviteOutputSerializer(load_relations([invite])[0]).data, status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Delete an invite",
        description="Needs `delete_invite`. Soft delete: the email is free again and the "
        "token stops working; `invite_deleted` is sent after commit.",
        responses={204: None, **openapi.AUTH_ERRORS, 404: openapi.NOT_FOUND},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Soft-delete one invite through `delete_invites`."""
        services.delete_invites([self.kwargs["pk"]])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Resend an invite",
        description="Needs `change_invite`. A new token and expiry (the old token stops "
        "working); the response holds the new raw `token`; `invite_resent` is sent after "
        "commit, which emails the invitee.",
        request=None,
        responses={
            200: InviteOutputSerializer,
            **openapi.AUTH_ERRORS,
            404: openapi.NOT_FOUND,
            409: openapi.error(
                "The invite was already accepted (`already_accepted`) or declined (`declined`)."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Refresh one invite's token through `refresh_invite_tokens`."""
        invites = services.refresh_invite_tokens([self.kwargs["pk"]])
        return _minted(InviteOutputSerializer(load_relations(invites)[0]).data)

    @extend_schema(
        summary="Refresh many invites",
        description="Needs `change_invite`. All or nothing: a new token and expiry for each "
        "invite, returned in the order given (duplicates collapsed), each with its new raw "
        "`token`; `invite_resent` is sent per invite after commit.",
        request=InviteRefreshInputSerializer,
        responses={
            200: InviteOutputSerializer(many=True),
            400: openapi.bad_request(
                "RefreshInvitesBadRequest",
                "Invalid body, too many ids, or ids that are unknown, malformed or deleted "
                "(all named in `ids`).",
            ),
            **openapi.AUTH_ERRORS,
            409: openapi.error(
                "Some invites were already accepted (`already_accepted`) or declined "
                "(`declined`), named in `ids`."
            ),
            413: openapi.TOO_LARGE,
            415: openapi.UNSUPPORTED,
        },
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def refresh(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Refresh many invites' tokens through `refresh_invite_tokens`."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invites = services.refresh_invite_tokens(serializer.validated_data["invite_ids"])
        return _minted(InviteOutputSerializer(load_relations(invites), many=True).data)

    @extend_schema(
        summary="Create many invites",
        description="Needs `add_invite`. All or nothing: when any entry is invalid, appears "
        "twice, has an open invite for its email and the target, has a user for its email "
        "while the invite grants nothing, or its user is already a member, the 400 names "
        "every such entry in `rows` (`index`, `email`, `code`: `invalid`, `duplicate`, "
        "`invite_exists`, `user_exists`, `already_member`) and nothing is created. With "
        "`skip_existing`, entries with an open invite, a user or a membership are left out "
        "and listed in `skipped` instead. `target`, `role` and `groups` apply to every "
        "entry; an entry's `role` overrides the call's. At most "
        "`INVITES['MAX_BATCH_SIZE']` entries; `invite_created` is sent per invite after "
        "commit.",
        request=InviteBulkInputSerializer,
        responses={
            201: InviteBulkOutputSerializer,
            400: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="BulkInvitesBadRequest",
                    serializers=[BulkErrorSerializer, ValidationErrorSerializer],
                    resource_type_field_name=None,
                ),
                description="Bad entries (all named in `rows`), or an invalid body: "
                "`invites` missing, not a list, empty or too long; an unknown target type or "
                "a target that does not exist (under `target`), a role the adapter does not "
                "list (under `role`) or an unknown group (under `groups`).",
            ),
            **openapi.CREATE_AUTH_ERRORS,
            413: openapi.TOO_LARGE,
            415: openapi.UNSUPPORTED,
        },
        examples=examples.BULK_EXAMPLES,
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def bulk(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create many invites, all or nothing, through `import_invites` (one `create_invites`)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entries = [BulkEntrySerializer.entry(data) for data in serializer.validated_data["invites"]]
        user = request.user if request.user.is_authenticated else None
        result = services.import_invites(
            entries,
            skip_existing=serializer.validated_data["skip_existing"],
            invited_by=user,
            **serializer.grants(),
        )
        skipped = [
            {"index": row.index, "email": row.email, "reason": row.code} for row in result.skipped
        ]
        created = load_relations(result.created)
        body = InviteBulkOutputSerializer({"created": created, "skipped": skipped}).data
        return _minted(body, status.HTTP_201_CREATED)


@sensitive_variables()
def _minted(data: Any, status_code: int = status.HTTP_200_OK) -> Response:
    """A response that carries raw tokens: never stored by a cache."""
    return Response(data, status=status_code, headers={"Cache-Control": "no-store"})
