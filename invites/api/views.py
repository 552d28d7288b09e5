"""The REST API: the invite viewset and the public accept endpoint.

Views only parse, call one service and render. Which domain error becomes which HTTP
error is each view's `invite_errors` table (see `invites.api_errors`). Every class of
DRF machinery is set here, so a project's `REST_FRAMEWORK` defaults do not change
the API, except the authentication of the invite endpoints, which follows the project's
(see `invites.api.authentication`).
"""

from __future__ import annotations

from typing import Any

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
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from invites import services
from invites.api import openapi
from invites.api.authentication import authentication_classes
from invites.api.errors import (
    EmailRejected,
    ErrorTable,
    InviteBadRequest,
    InviteConflict,
    InviteErrorsMixin,
    InviteNotFoundError,
    PasswordRejected,
    RowsRejected,
)
from invites.api.filters import (
    InviteFilter,
    InviteOrderingFilter,
    InvitePagination,
    InviteSearchFilter,
)
from invites.api.parsers import ACCEPT_MAX_BODY_SIZE, BodySizeLimitMixin, InvitesJSONParser
from invites.api.permissions import InviteModelPermissions
from invites.api.serializers import (
    AcceptInputSerializer,
    AcceptOutputSerializer,
    BulkErrorSerializer,
    InviteBulkInputSerializer,
    InviteBulkOutputSerializer,
    InviteCreateInputSerializer,
    InviteOutputSerializer,
    InviteRefreshInputSerializer,
    ValidationErrorSerializer,
    load_relations,
    with_relations,
)
from invites.api.throttling import AcceptRateThrottle
from invites.exceptions import (
    InvalidImportRows,
    InvalidInviteToken,
    InviteAlreadyAccepted,
    InviteAlreadyExists,
    InviteExpired,
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
            DjangoValidationError: EmailRejected,
        },
        "resend": {InviteNotFound: InviteNotFoundError, InviteAlreadyAccepted: InviteConflict},
        "refresh": {InviteNotFound: InviteBadRequest, InviteAlreadyAccepted: InviteConflict},
        "bulk": {InvalidImportRows: RowsRejected},
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
        description="Needs `add_invite`. The response holds the new raw `token`; "
        "`invite_created` is sent after commit.",
        request=InviteCreateInputSerializer,
        responses={
            201: InviteOutputSerializer,
            400: openapi.bad_request(
                "CreateInviteBadRequest",
                "Invalid body or email, or an invite or a user exists for the email.",
            ),
            **openapi.AUTH_ERRORS,
            413: openapi.TOO_LARGE,
            415: openapi.UNSUPPORTED,
        },
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
        [invite] = services.create_invites([entry], invited_by=user)
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
            409: openapi.error("The invite was already accepted."),
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
            409: openapi.error("Some invites were already accepted (named in `ids`)."),
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
        "twice, or has a live invite or a user for its email, the 400 names every such "
        "entry in `rows` (`index`, `email`, `code`: `invalid`, `duplicate`, `invite_exists`, "
        "`user_exists`) and nothing is created. With `skip_existing`, entries with a live "
        "invite or a user are left out and listed in `skipped` instead. At most "
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
                "`invites` missing, not a list, empty or too long.",
            ),
            **openapi.AUTH_ERRORS,
            413: openapi.TOO_LARGE,
            415: openapi.UNSUPPORTED,
        },
        examples=openapi.BULK_EXAMPLES,
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def bulk(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create many invites, all or nothing, through `import_invites` (one `create_invites`)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entries = [
            {"email": entry["email"], "metadata": entry.get("metadata")}
            for entry in serializer.validated_data["invites"]
        ]
        user = request.user if request.user.is_authenticated else None
        result = services.import_invites(
            entries,
            skip_existing=serializer.validated_data["skip_existing"],
            invited_by=user,
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


# --- accept -------------------------------------------------------------------------


# The request carries a raw token and a password: error reports (the debug page, the
# admins' email) show neither a form field of it nor this view's local variables.
@method_decorator(hide_secrets, name="dispatch")
class AcceptInviteView(BodySizeLimitMixin, InviteErrorsMixin, APIView):
    """Public: the invitee sets a password and becomes a user."""

    # Public and unauthenticated: a body larger than any usable one is refused unread.
    max_body_size = ACCEPT_MAX_BODY_SIZE

    # No session authentication, so a logged-in browser meets no CSRF check here.
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [AcceptRateThrottle]
    parser_classes = [InvitesJSONParser]
    renderer_classes = [JSONRenderer]
    schema = AutoSchema()

    invite_errors = {
        "": {
            InvalidInviteToken: InviteBadRequest,
            InviteExpired: InviteBadRequest,
            InviteAlreadyAccepted: InviteBadRequest,
            UserAlreadyExists: InviteConflict,
            DjangoValidationError: PasswordRejected,
        }
    }

    @extend_schema(
        summary="Accept an invite",
        description="Public and rate-limited per client address (`INVITES['ACCEPT_RATE']`). "
        "Creates the user with the invite's email; `invite_accepted` is sent after commit. "
        "Token problems are a 400 whose `code` is `invalid_token`, `expired` or "
        "`already_accepted`.",
        request=AcceptInputSerializer,
        responses={
            201: AcceptOutputSerializer,
            400: openapi.bad_request(
                "AcceptInviteBadRequest",
                "Invalid body, weak password (the validators' messages under `password`), "
                "or a token problem (`code`: `invalid_token`, `expired`, `already_accepted`).",
            ),
            409: openapi.error("A user with the invite's email exists already (`user_exists`)."),
            413: openapi.error(f"The body is over {ACCEPT_MAX_BODY_SIZE} bytes (`too_large`)."),
            415: openapi.UNSUPPORTED,
            429: openapi.error("Too many attempts from this address; see `Retry-After`."),
        },
        auth=[],
    )
    @method_decorator(sensitive_variables())
    def post(self, request: Request) -> Response:
        """Create the invitee's user through `accept_invite`."""
        serializer = AcceptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        token, password = fields.pop("token"), fields.pop("password")
        user = services.accept_invite(token, password=password, **fields)
        body = AcceptOutputSerializer({"user": user}).data
        return Response(body, status=status.HTTP_201_CREATED)
