"""The invitee's endpoints: accept (a new account), join (an existing, signed-in account)
and decline. Each takes the raw token in its body, is rate-limited per client address,
and hands the token to one service, which judges it.

Accept and decline are public and take no credentials, so a signed-in browser meets no
CSRF check there; join needs the project's authentication, as the invite viewset does.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from invites import services
from invites.api import examples, openapi
from invites.api.authentication import authentication_classes
from invites.api.errors import (
    ErrorTable,
    InviteBadRequest,
    InviteConflict,
    InviteErrorsMixin,
    InviteForbidden,
    PasswordRejected,
)
from invites.api.inputs import AcceptInputSerializer, TokenInputSerializer
from invites.api.parsers import ACCEPT_MAX_BODY_SIZE, BodySizeLimitMixin, InvitesJSONParser
from invites.api.serializers import (
    AcceptOutputSerializer,
    InviteOutputSerializer,
    JoinOutputSerializer,
    load_relations,
)
from invites.api.throttling import AcceptRateThrottle
from invites.exceptions import (
    InvalidInviteToken,
    InviteAlreadyAccepted,
    InviteDeclined,
    InviteEmailMismatch,
    InviteExpired,
    UserAlreadyExists,
)
from invites.reports import hide_secrets

# --- errors -------------------------------------------------------------------------


class SignInToJoin(InviteConflict):
    """409 `user_exists` from accept: the invitee has an account, and joins with it."""

    def __init__(self, error: UserAlreadyExists) -> None:
        super().__init__(
            error,
            gettext(
                "An account with this invite's email exists already: sign in and join the "
                "invite with it (POST /api/invites/join/)."
            ),
        )


class NothingToJoin(InviteConflict):
    """409 `user_exists` from join: a plain site invite gives an existing user nothing."""

    def __init__(self, error: UserAlreadyExists) -> None:
        super().__init__(
            error,
            gettext(
                "This invite is to the site itself, which your account has joined already: "
                "there is nothing to join."
            ),
        )


class WrongAccount(InviteForbidden):
    """403 `email_mismatch`: the invite is another address's, which is not shown."""

    def __init__(self, error: InviteEmailMismatch) -> None:
        super().__init__(
            error,
            gettext(
                "This invite is for another email address than your account's. Sign in with "
                "the account of the address the invite was sent to."
            ),
        )


# Token problems: the same 400s, with distinct codes, on every invitee endpoint.
TOKEN_ERRORS: ErrorTable = {
    InvalidInviteToken: InviteBadRequest,
    InviteExpired: InviteBadRequest,
    InviteAlreadyAccepted: InviteBadRequest,
    InviteDeclined: InviteBadRequest,
}
BAD_LINK_CODES = "`invalid_token`, `expired`, `already_accepted`, `declined`"


# --- views --------------------------------------------------------------------------


class InviteeView(BodySizeLimitMixin, InviteErrorsMixin, APIView):
    """What the invitee's endpoints share: a small body, a rate limit, JSON only."""

    # A body larger than any usable one is refused unread.
    max_body_size = ACCEPT_MAX_BODY_SIZE

    throttle_classes = [AcceptRateThrottle]
    parser_classes = [InvitesJSONParser]
    renderer_classes = [JSONRenderer]
    schema = AutoSchema()


# The request carries a raw token and a password: error reports (the debug page, the
# admins' email) show neither a form field of it nor this view's local variables.
@method_decorator(hide_secrets, name="dispatch")
class AcceptInviteView(InviteeView):
    """Public: the invitee sets a password and becomes a user."""

    # No session authentication, so a logged-in browser meets no CSRF check here.
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    invite_errors = {
        "": {
            **TOKEN_ERRORS,
            UserAlreadyExists: SignInToJoin,
            DjangoValidationError: PasswordRejected,
        }
    }

    @extend_schema(
        summary="Accept an invite",
        description="Public and rate-limited per client address (`INVITES['ACCEPT_RATE']`). "
        "Creates the user with the invite's email and applies what the invite grants; "
        f"`invite_accepted` is sent after commit. Token problems are a 400 whose `code` is "
        f"{BAD_LINK_CODES}. When the email has an account already, the invitee signs in and "
        "joins instead (`POST /api/invites/join/`).",
        request=AcceptInputSerializer,
        responses={
            201: AcceptOutputSerializer,
            400: openapi.bad_request(
                "AcceptInviteBadRequest",
                "Invalid body, weak password (the validators' messages under `password`), "
                f"or a token problem (`code`: {BAD_LINK_CODES}).",
            ),
            409: openapi.error(
                "A user with the invite's email exists already (`user_exists`): sign in "
                "and join instead."
            ),
            413: openapi.error(f"The body is over {ACCEPT_MAX_BODY_SIZE} bytes (`too_large`)."),
            415: openapi.UNSUPPORTED,
            429: openapi.TOO_MANY,
        },
        examples=examples.ACCEPT_EXAMPLES,
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


@method_decorator(hide_secrets, name="dispatch")
class JoinInviteView(InviteeView):
    """A signed-in user accepts an invite to their own email; no user is created."""

    permission_classes = [IsAuthenticated]

    invite_errors = {
        "": {
            **TOKEN_ERRORS,
            InviteEmailMismatch: WrongAccount,
            UserAlreadyExists: NothingToJoin,
        }
    }

    def get_authenticators(self) -> list[BaseAuthentication]:
        """The project's authentication classes, as the invite viewset's."""
        return [authentication() for authentication in authentication_classes()]

    @extend_schema(
        summary="Join an invite",
        description="For any signed-in user (the project's authentication), rate-limited "
        "per client address. The user's email must be the invite's; the invite's target, "
        "role and groups are applied to that user and the invite is accepted by them; "
        f"`invite_accepted` is sent after commit. Token problems are a 400 whose `code` "
        f"is {BAD_LINK_CODES}.",
        request=TokenInputSerializer,
        responses={
            200: JoinOutputSerializer,
            400: openapi.bad_request(
                "JoinInviteBadRequest",
                f"Invalid body, or a token problem (`code`: {BAD_LINK_CODES}).",
            ),
            401: openapi.UNAUTHENTICATED,
            403: openapi.error(
                "Not signed in where no authentication method sends a challenge, a CSRF "
                "failure, or the invite is for another email than the user's "
                "(`email_mismatch`; the invited address is not shown)."
            ),
            409: openapi.error(
                "A plain invite to the site: an existing user has nothing to join (`user_exists`)."
            ),
            413: openapi.error(f"The body is over {ACCEPT_MAX_BODY_SIZE} bytes (`too_large`)."),
            415: openapi.UNSUPPORTED,
            429: openapi.TOO_MANY,
        },
        examples=examples.JOIN_EXAMPLES,
    )
    @method_decorator(sensitive_variables())
    def post(self, request: Request) -> Response:
        """Accept the invite as the signed-in user through `join_invite`."""
        serializer = TokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invite = services.join_invite(serializer.validated_data["token"], user=request.user)
        [invite] = load_relations([invite])
        body = JoinOutputSerializer({"user": request.user, "invite": invite}).data
        return Response(body)


@method_decorator(hide_secrets, name="dispatch")
class DeclineInviteView(InviteeView):
    """Public: the invitee says no; the token stops working."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    invite_errors = {"": TOKEN_ERRORS}

    @extend_schema(
        summary="Decline an invite",
        description="Public and rate-limited per client address. The invite becomes "
        "`declined`: its token stops working, no email or reminder goes to it again, and "
        "the email may be invited again later; `invite_declined` is sent after commit. "
        f"Token problems are a 400 whose `code` is {BAD_LINK_CODES}.",
        request=TokenInputSerializer,
        responses={
            200: InviteOutputSerializer,
            400: openapi.bad_request(
                "DeclineInviteBadRequest",
                f"Invalid body, or a token problem (`code`: {BAD_LINK_CODES}).",
            ),
            413: openapi.error(f"The body is over {ACCEPT_MAX_BODY_SIZE} bytes (`too_large`)."),
            415: openapi.UNSUPPORTED,
            429: openapi.TOO_MANY,
        },
        examples=examples.DECLINE_EXAMPLES,
        auth=[],
    )
    @method_decorator(sensitive_variables())
    def post(self, request: Request) -> Response:
        """Decline the invite through `decline_invite`."""
        serializer = TokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invite = services.decline_invite(serializer.validated_data["token"])
        [invite] = load_relations([invite])
        return Response(InviteOutputSerializer(invite).data)
