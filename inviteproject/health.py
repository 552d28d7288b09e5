"""`/healthz`: whether this process can serve requests, for a load balancer's probe."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"


class HealthCheckMiddleware:
    """Answer `GET /healthz` before any other middleware sees the request.

    A load balancer probes each backend over plain HTTP, by its address: behind the HTTPS
    redirect and the `ALLOWED_HOSTS` check, every probe would be a 301 or a 400. First in
    `MIDDLEWARE`, this answers 200 `ok` while the default database answers a query, and
    503 when it does not, and tells nothing else about the process.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != HEALTH_PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError as error:
            logger.warning("Health check: the database does not answer (%s).", type(error).__name__)
            response = HttpResponse("database unavailable\n", status=503, content_type="text/plain")
        else:
            response = HttpResponse("ok\n", content_type="text/plain")
        add_never_cache_headers(response)
        return response
