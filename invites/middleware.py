"""`ServiceUnavailableMiddleware`: a database that does not answer is a 503, not a 500.

Add it to the project's `MIDDLEWARE`, anywhere below Django's own:

    MIDDLEWARE = [..., "invites.middleware.ServiceUnavailableMiddleware"]

A view that fails with the database's `OperationalError` or `InterfaceError` (the
server is down, restarting, or out of connections) is answered with a short HTML page,
status 503 and `Retry-After`, so clients and proxies know to come back rather than
report a bug. The app's API answers the same 503 itself, as JSON, with or without the
middleware. Every other exception goes on to Django's own handling.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

# Seconds a client is told to wait before it tries again after a database failure.
DATABASE_RETRY_AFTER = 30
UNAVAILABLE_TEMPLATE = "invites/unavailable.html"


def unavailable_response(retry_after: int) -> HttpResponse:
    """The 503 page: come back in `retry_after` seconds.

    Rendered without the request, so no context processor (one that reads the session
    or the user, say) can touch the database that just failed.
    """
    html = render_to_string(UNAVAILABLE_TEMPLATE, {"seconds": retry_after})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(retry_after)
    response["Referrer-Policy"] = "no-referrer"  # the page may be at a URL with a token
    add_never_cache_headers(response)
    return response


class ServiceUnavailableMiddleware:
    """Answer a view's database failure with a 503 page and `Retry-After`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error(
            "The database failed (%s) on %s %s: answering 503.",
            type(exception).__name__,
            request.method,
            request.path,
            exc_info=exception,
        )
        return unavailable_response(DATABASE_RETRY_AFTER)
