"""The accept rate limit, shared by the API endpoint and the HTML accept page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from invites.conf import invites_settings


class AcceptRateThrottle(SimpleRateThrottle):
    """`INVITES["ACCEPT_RATE"]` per client address, across the API and the accept page.

    The client address is `REMOTE_ADDR`. `X-Forwarded-For` is trusted only when DRF's
    `NUM_PROXIES` says how many proxies stand in front (DRF trusts it by default, which
    would let any client pick a fresh address per request).
    """

    scope = "invites_accept"

    def get_rate(self) -> str:
        return invites_settings.ACCEPT_RATE

    def get_ident(self, request: Any) -> str:
        if api_settings.NUM_PROXIES is None:
            return str(request.META.get("REMOTE_ADDR", ""))
        return str(super().get_ident(request))

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def accept_allowed(request: HttpRequest) -> tuple[bool, float | None]:
    """Count one accept attempt from this client; return (allowed, seconds to wait)."""
    throttle = AcceptRateThrottle()
    # The throttle reads only `request.META`, which a Django request has as well.
    if throttle.allow_request(request, None):  # type: ignore[arg-type]
        return True, None
    return False, throttle.wait()
