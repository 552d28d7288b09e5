"""OpenAPI pieces of the API: error responses for `extend_schema`, links between the
operations, the schema view and the docs page."""

from __future__ import annotations

from typing import Any

from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView, SpectacularSwaggerView
from rest_framework.request import Request
from rest_framework.response import Response

from invites.api.serializers import ErrorSerializer, ValidationErrorSerializer


def error(description: str) -> OpenApiResponse:
    """A `{"detail", "code"}` error response."""
    return OpenApiResponse(ErrorSerializer, description=description)


def bad_request(name: str, description: str) -> OpenApiResponse:
    """400: either field messages or a `{"detail", "code"}` body (e.g. a JSON parse error)."""
    body = PolymorphicProxySerializer(
        component_name=name,
        serializers=[ValidationErrorSerializer, ErrorSerializer],
        resource_type_field_name=None,
    )
    return OpenApiResponse(body, description=description)


UNAUTHENTICATED = error(
    "No or invalid credentials, where the first authentication method sends a challenge "
    "(`WWW-Authenticate: Token` by default); otherwise such callers get 403."
)
FORBIDDEN = error(
    "Authenticated without the needed model permission, a CSRF failure, or no credentials "
    "where no authentication method sends a challenge."
)
NOT_FOUND = error("No invite with this id: unknown, malformed or deleted.")
UNSUPPORTED = error("The body is not `application/json`.")
TOO_LARGE = error(
    "The body is over the project's `DATA_UPLOAD_MAX_MEMORY_SIZE` (`too_large`); it was not read."
)
AUTH_ERRORS = {401: UNAUTHENTICATED, 403: FORBIDDEN}


# The operations, by method and path below the API's prefix.
CREATE = ("post", "invites/")
RETRIEVE = ("get", "invites/{id}/")
DESTROY = ("delete", "invites/{id}/")
RESEND = ("post", "invites/{id}/resend/")
REFRESH = ("post", "invites/refresh/")
ACCEPT = ("post", "invites/accept/")

# OpenAPI links: how the output of one operation feeds the next (an invite's id, its
# new raw token), so clients and stateful API testers can follow the workflow.
# (source operation, status) -> {link name: (target operation, parameters, body)}
LINKS: dict[tuple[tuple[str, str], str], dict[str, tuple[tuple[str, str], dict[str, Any], Any]]] = {
    (CREATE, "201"): {
        "GetInvite": (RETRIEVE, {"id": "$response.body#/id"}, None),
        "ResendInvite": (RESEND, {"id": "$response.body#/id"}, None),
        "RefreshInvite": (REFRESH, {}, {"invite_ids": ["$response.body#/id"]}),
        "AcceptInvite": (ACCEPT, {}, {"token": "$response.body#/token"}),
        "DeleteInvite": (DESTROY, {"id": "$response.body#/id"}, None),
    },
    (RETRIEVE, "200"): {
        "ResendInvite": (RESEND, {"id": "$response.body#/id"}, None),
        "DeleteInvite": (DESTROY, {"id": "$response.body#/id"}, None),
    },
    (RESEND, "200"): {
        "GetInvite": (RETRIEVE, {"id": "$response.body#/id"}, None),
        "RefreshInvite": (REFRESH, {}, {"invite_ids": ["$response.body#/id"]}),
        "AcceptInvite": (ACCEPT, {}, {"token": "$response.body#/token"}),
    },
    (REFRESH, "200"): {
        "GetInvite": (RETRIEVE, {"id": "$response.body#/0/id"}, None),
        "ResendInvite": (RESEND, {"id": "$response.body#/0/id"}, None),
        "AcceptInvite": (ACCEPT, {}, {"token": "$response.body#/0/token"}),
    },
}


def add_links(schema: dict[str, Any], prefix: str = "/api/") -> dict[str, Any]:
    """Add `LINKS` to the responses of a generated schema whose paths start with `prefix`."""
    paths = schema.get("paths", {})

    def operation(key: tuple[str, str]) -> dict[str, Any] | None:
        method, path = key
        found: dict[str, Any] | None = paths.get(prefix + path, {}).get(method)
        return found

    for (source_key, status), links in LINKS.items():
        source = operation(source_key)
        response = (source or {}).get("responses", {}).get(status)
        if response is None:
            continue
        for name, (target_key, parameters, body) in links.items():
            target = operation(target_key)
            if target is None or "operationId" not in target:
                continue
            link: dict[str, Any] = {"operationId": target["operationId"]}
            if parameters:
                link["parameters"] = parameters
            if body is not None:
                link["requestBody"] = body
            response.setdefault("links", {})[name] = link
    return schema


class InviteSchemaView(SpectacularAPIView):
    """The OpenAPI document, with the links between the invite operations."""

    # As drf-spectacular's own view: left out of the schema unless the project says.
    @extend_schema(**SCHEMA_KWARGS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The generated schema plus `LINKS`."""
        response: Response = super().get(request, *args, **kwargs)  # type: ignore[no-untyped-call]
        prefix = request.path.removesuffix("schema/")
        response.data = add_links(response.data, prefix)
        return response


# Examples of `POST /api/invites/bulk/`: requests, a success, and a refusal.
BULK_EXAMPLES = [
    OpenApiExample(
        "Three invites",
        request_only=True,
        value={
            "invites": [
                {"email": "ada@example.com", "metadata": {"team": "research"}},
                {"email": "grace@example.com"},
                {"email": "alan@example.com"},
            ]
        },
    ),
    OpenApiExample(
        "Skipping existing invites and users",
        request_only=True,
        value={
            "invites": [{"email": "ada@example.com"}, {"email": "new@example.com"}],
            "skip_existing": True,
        },
    ),
    OpenApiExample(
        "Created with one skipped",
        response_only=True,
        status_codes=["201"],
        value={
            "created": [
                {
                    "id": "5b0c1f8e-3f7a-4b8e-9a57-0f6d1e2c3b4a",
                    "email": "new@example.com",
                    "accepted": False,
                    "token": "q7Zk...raw-token...",
                    "expires_at": "2026-01-02T09:00:00Z",
                    "metadata": None,
                    "created_at": "2026-01-01T09:00:00Z",
                    "updated_at": "2026-01-01T09:00:00Z",
                    "deleted_at": None,
                    "sent_at": None,
                    "status": "pending",
                    "delivery": {"status": "queued", "attempts": 0, "error": "", "sent_at": None},
                }
            ],
            "skipped": [{"index": 0, "email": "ada@example.com", "reason": "invite_exists"}],
        },
    ),
    OpenApiExample(
        "Bad rows",
        response_only=True,
        status_codes=["400"],
        value={
            "detail": "Nothing was created: 2 entries cannot be imported.",
            "code": "invalid_rows",
            "rows": [
                {
                    "index": 1,
                    "email": "grace@",
                    "code": "invalid",
                    "detail": "“grace@” is not a valid email address.",
                },
                {
                    "index": 2,
                    "email": "ADA@example.com",
                    "code": "duplicate",
                    "detail": "This email appears earlier in the same import.",
                },
            ],
        },
    ),
]


class InviteDocsView(SpectacularSwaggerView):
    """Swagger UI with its assets from drf-spectacular-sidecar, whatever the settings say."""

    title: Any = _("Invites API")

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        return static(f"drf_spectacular_sidecar/swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon() -> str:
        return static("drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png")
