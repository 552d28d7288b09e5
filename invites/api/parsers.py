"""The API's JSON parser: DRF's, made to refuse what would otherwise fail later as a 500;
and the body size limit that applies before any parser reads a byte."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request

from invites.api.errors import PayloadTooLarge

# The public accept endpoint's limit. A body it can use holds a token, a password of at
# most 4096 characters and two names: even written as `\uXXXX` escapes that stays far
# below this, while a parse of this many bytes of anything costs only milliseconds.
ACCEPT_MAX_BODY_SIZE = 64 * 1024


def check_body_size(request: Request, limit: int | None) -> None:
    """Raise `PayloadTooLarge` when the declared body is over `limit` bytes (None: no limit).

    Only the `Content-Length` header is read, so an oversized body is refused before a
    byte of it is: the WSGI server hands Django at most that many bytes anyway.
    """
    if limit is None:
        return
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return  # unreadable: Django and DRF read no body at all
    if length > limit:
        raise PayloadTooLarge(limit)


class BodySizeLimitMixin:
    """For API views: refuse an oversized body (413) before authentication and parsing.

    `max_body_size` is the view's limit in bytes; None (the default) means the
    project's `DATA_UPLOAD_MAX_MEMORY_SIZE`, Django's own limit for request bodies.
    """

    max_body_size: int | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Check the body size first, then DRF's authentication, permissions, throttles."""
        limit = self.max_body_size or settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        check_body_size(request, limit)
        super().initial(request, *args, **kwargs)  # type: ignore[misc]


class InvitesJSONParser(JSONParser):
    """DRF's `JSONParser`, also refusing over-deep nesting, lone surrogates and overflow.

    `json` raises `RecursionError` (not a `ValueError`) on deeply nested input, accepts
    escaped lone surrogates (`"\\ud800"`) that no UTF-8 database or response can hold,
    and reads `1e400` as infinity, which no JSON column takes. All three are a client's
    malformed body, so all three become DRF's 400 parse error.
    """

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        """The parsed body, or `ParseError` when it could not be stored or echoed."""
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the document is nested too deeply.")) from None
        problem = _find_problem(data)
        if problem:
            raise ParseError(problem)
        return data


def _find_problem(data: Any) -> str | None:
    """Why a parsed JSON document cannot be used, or None; walks without recursion."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return _("JSON parse error - a string holds an unpaired surrogate.")
        elif isinstance(item, float) and not math.isfinite(item):
            return _("JSON parse error - a number is out of range.")
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None
