"""Domain errors (`invites.exceptions`) as DRF API errors, without a project-wide handler.

Each API view of the app lists, per action, which domain error becomes which
`APIException` (`invite_errors`); `InviteErrorsMixin.handle_exception` applies that
table before DRF renders the error. Bodies are DRF's usual: `{"field": ["message"]}`
for a bad field, `{"detail": "...", "code": "..."}` otherwise, plus `ids` when a call
names the invites at fault. Every `{"detail"}` body also carries a `code`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from invites.exceptions import InvalidImportRows, InviteError
from invites.middleware import DATABASE_RETRY_AFTER

logger = logging.getLogger(__name__)

# Domain error class -> what builds the API error from an instance of it.
ErrorTable = Mapping[type[Exception], Callable[[Any], Exception]]


class InviteAPIError(exceptions.APIException):
    """A domain error as `{"detail", "code"}`, plus `ids` when it names invites."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_detail = _("The invite operation failed.")
    default_code = "invite_error"

    def __init__(self, error: InviteError, message: str | None = None) -> None:
        code = error.code or self.default_code
        detail = message or error.message or str(self.default_detail)
        body: dict[str, Any] = {"detail": detail, "code": code}
        ids = getattr(error, "ids", None)
        if ids:
            body["ids"] = [str(value) for value in ids]
        super().__init__(detail=body, code=code)


class InviteBadRequest(InviteAPIError):
    """400: the token or the ids in the body cannot be used."""


class InviteNotFoundError(InviteAPIError):
    """404: the invite in the URL is unknown, malformed or soft-deleted."""

    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"


class InviteForbidden(InviteAPIError):
    """403: the caller may not do this with this invite (another account's invite)."""

    status_code = status.HTTP_403_FORBIDDEN
    default_code = "permission_denied"


class InviteConflict(InviteAPIError):
    """409: the state forbids the action (invite accepted, user exists)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    """413: the request body is over the endpoint's size limit; it was not read."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"

    def __init__(self, limit: int | None = None) -> None:
        detail = (
            _("The request body is larger than %(limit)d bytes.") % {"limit": limit}
            if limit is not None
            else self.default_detail
        )
        super().__init__(detail=detail, code=self.default_code)


class ServiceUnavailable(exceptions.APIException):
    """503 with `Retry-After`: something the API needs (the database, the rate limit's
    cache) does not answer; the request did nothing and may be sent again later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The service is unavailable for a moment. Please try again later.")
    default_code = "service_unavailable"

    def __init__(self, wait: int) -> None:
        # DRF's handler sends `wait` as the `Retry-After` header.
        self.wait = wait
        super().__init__(detail=self.default_detail, code=self.default_code)


class RowsRejected(exceptions.APIException):
    """400 naming every entry of a bulk create that cannot be created, nothing created:
    `{"detail", "code": "invalid_rows", "rows": [{"index", "email", "code", "detail"}]}`."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_rows"

    def __init__(self, error: InvalidImportRows) -> None:
        rows = [
            {"index": row.index, "email": row.email, "code": row.code, "detail": row.message}
            for row in error.rows
        ]
        super().__init__(detail=error.message, code=error.code)
        # Set after DRF's own handling, which would turn every `index` into a string.
        body: Any = {"detail": error.message, "code": error.code, "rows": rows}
        self.detail = body


class InviteRefused(exceptions.PermissionDenied):
    """403 `permission_denied`: the adapter's `can_invite` refused this invite."""

    def __init__(self, error: PermissionDenied) -> None:
        message = str(error) or _("You may not create this invite.")
        super().__init__(detail={"detail": message, "code": "permission_denied"})


class EmailRejected(exceptions.ValidationError):
    """400 as `{"email": [...]}`: invalid, or an invite or a user exists for it."""

    def __init__(self, error: Exception) -> None:
        super().__init__({"email": messages_of(error)})


class FieldsRejected(exceptions.ValidationError):
    """400 as `{"field": [...]}`: a `ValidationError` that names its fields (the role, the
    groups) keeps them; one that names none is about the email, the only other input."""

    def __init__(self, error: DjangoValidationError) -> None:
        if hasattr(error, "error_dict"):
            super().__init__(as_serializer_error(error))
            return
        super().__init__({"email": messages_of(error)})


class PasswordRejected(exceptions.ValidationError):
    """400 as `{"password": [...]}` with the password validators' messages.

    A `ValidationError` that names its fields (from the user model's `full_clean`) keeps
    them; the one about finding a free username is not the password's fault.
    """

    def __init__(self, error: DjangoValidationError) -> None:
        if hasattr(error, "error_dict"):
            super().__init__(as_serializer_error(error))
            return
        codes = {getattr(item, "code", None) for item in error.error_list}
        field = "non_field_errors" if codes == {"username"} else "password"
        super().__init__({field: messages_of(error)})


def messages_of(error: Exception) -> list[str]:
    """The human-readable messages of a domain error or a Django `ValidationError`."""
    if isinstance(error, DjangoValidationError):
        return [str(message) for message in error.messages]
    return [str(getattr(error, "message", error))]


def translate(error: Exception, table: ErrorTable) -> Exception:
    """The API error that `table` gives `error` (most specific class first)."""
    for cls in type(error).__mro__:
        factory = table.get(cls)
        if factory is not None:
            return factory(error)
    if isinstance(error, (OperationalError, InterfaceError)):
        # The database does not answer (down, restarting, out of connections).
        logger.error("The database failed (%s): answering 503.", type(error).__name__)
        return ServiceUnavailable(DATABASE_RETRY_AFTER)
    if isinstance(error, RequestDataTooBig):
        # Django's own limit (`DATA_UPLOAD_MAX_MEMORY_SIZE`), met while reading the body.
        return PayloadTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    # Not expected by this action: still the client's 400, never a 500.
    if isinstance(error, InviteError):
        return InviteBadRequest(error)
    if isinstance(error, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(error))
    return error


def _code_of(exc: Exception) -> str:
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        return codes if isinstance(codes, str) else exc.default_code
    if isinstance(exc, Http404):
        return exceptions.NotFound.default_code
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied.default_code
    return "error"


class InviteErrorsMixin:
    """For API views: domain errors become API errors as `invite_errors` says."""

    # action name ("" for a plain APIView) -> {domain error class: API error factory}
    invite_errors: Mapping[str, ErrorTable] = {}

    def handle_exception(self, exc: Exception) -> Response:
        """Translate domain errors, then give DRF's own `{"detail"}` bodies a `code`."""
        action = getattr(self, "action", None) or ""
        exc = translate(exc, self.invite_errors.get(action, {}))
        response: Response = super().handle_exception(exc)  # type: ignore[misc]
        if isinstance(response.data, dict) and set(response.data) == {"detail"}:
            response.data["code"] = _code_of(exc)
        return response
