"""The app's settings: one dict, `settings.INVITES`, read on every access.

Nothing here is read at import time, so `override_settings(INVITES=...)` just works.
Bad values are reported by the system checks in `invites.checks`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "VALID_DURATION": timedelta(days=1),
    "ACCEPT_URL": "/invites/accept/?token={token}",
    "MAX_BATCH_SIZE": 1000,
    "SEND_EMAILS": True,
    "ACCEPT_RATE": "10/minute",
}


class InvitesSettings:
    """Typed, lazy access to `settings.INVITES` with a default for every key."""

    def _get(self, key: str) -> Any:
        user_settings = getattr(settings, "INVITES", None) or {}
        if not isinstance(user_settings, dict):
            return DEFAULTS[key]
        return user_settings.get(key, DEFAULTS[key])

    @property
    def VALID_DURATION(self) -> timedelta:
        value = self._get("VALID_DURATION")
        if isinstance(value, timedelta):
            return value
        return timedelta(seconds=value)

    @property
    def ACCEPT_URL(self) -> str:
        return str(self._get("ACCEPT_URL"))

    @property
    def MAX_BATCH_SIZE(self) -> int:
        return int(self._get("MAX_BATCH_SIZE"))

    @property
    def SEND_EMAILS(self) -> bool:
        return bool(self._get("SEND_EMAILS"))

    @property
    def ACCEPT_RATE(self) -> str:
        return str(self._get("ACCEPT_RATE"))

    @property
    def SITE_URL(self) -> str:
        """The project's `SITE_URL`: the origin that accept links are built on."""
        return str(getattr(settings, "SITE_URL", "") or "http://127.0.0.1:8000")

    def accept_url(self, token: str) -> str:
        """The absolute link an invitee follows, built on `SITE_URL`, never on a request."""
        url = self.ACCEPT_URL.replace("{token}", token)
        if urlsplit(url).scheme:
            return url
        return f"{self.SITE_URL.rstrip('/')}/{url.lstrip('/')}"


invites_settings = InvitesSettings()
