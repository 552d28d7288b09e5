"""OpenAPI pieces of the API: error responses for `extend_schema`, and the docs page."""

from __future__ import annotations

from typing import Any

from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer
from drf_spectacular.views import SpectacularSwaggerView

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


class InviteDocsView(SpectacularSwaggerView):
    """Swagger UI with its assets from drf-spectacular-sidecar, whatever the settings say."""

    title: Any = _("Invites API")

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        return static(f"drf_spectacular_sidecar/swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon() -> str:
        return static("drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png")
