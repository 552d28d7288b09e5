"""The accept endpoint's throttle: the rate limit it shares with the HTML accept page."""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import BaseThrottle

from invites.api.errors import ServiceUnavailable
from invites.ratelimit import RateLimitUnavailable, accept_allowed


class AcceptRateThrottle(BaseThrottle):
    """`INVITES["ACCEPT_RATE"]` per client address (see `invites.ratelimit`).

    A cache that fails refuses the request with a 503 rather than letting it through.
    """

    def __init__(self) -> None:
        self.wait_seconds: float | None = None

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            allowed, self.wait_seconds = accept_allowed(request)
        except RateLimitUnavailable as error:
            raise ServiceUnavailable(error.retry_after) from error
        return allowed

    def wait(self) -> float | None:
        return self.wait_seconds
