"""The app's settings: one dict, `settings.INVITES`, read on every access.

Nothing here is read at import time, so `override_settings(INVITES=...)` just works.
Bad values are reported by the system checks in `invites.checks`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "VALID_DURATION": timedelta(days=1),
    # None: the app's own accept page, wherever the project mounts `invites.urls`.
    "ACCEPT_URL": None,
    "MAX_BATCH_SIZE": 1000,
    "SEND_EMAILS": True,
    "ACCEPT_RATE": "10/minute",
    # Sign the new user in after an accept on the page.
    "LOGIN_ON_ACCEPT": True,
    "ADAPTER": "invites.adapter.DefaultInviteAdapter",
    # None: the name of the current `django.contrib.sites` Site, else SITE_URL's host.
    "SITE_NAME": None,
    # With a task backend that can run tasks later: at most one invite email per invitee
    # per cooldown; a link refreshed within it is emailed when it ends. 0 turns it off.
    "EMAIL_COOLDOWN": timedelta(seconds=60),
    # The waits before each retry of a failed invite email (seconds or timedeltas); its
    # length is the number of retries, after which the email is `failed`.
    "EMAIL_RETRY_DELAYS": (60, 240, 960),
    # Most addresses and bytes one import (admin page, `import_invites`) takes.
    "IMPORT_MAX_ROWS": 100_000,
    "IMPORT_MAX_BYTES": 10 * 1024 * 1024,
    # The invite lists (admin, API) count matching rows up to this many, then report a
    # lower bound; None: always the exact count.
    "EXACT_COUNT_LIMIT": None,
    # With `invites.contrib.allauth`: allauth's sign-up only through an opened invite.
    "INVITE_ONLY": False,
    # The alias in settings.CACHES that holds the accept rate limit's counters.
    "RATE_LIMIT_CACHE": "default",
    # Columns of a CSV import beside `email` (each one a metadata key of every invite).
    "IMPORT_MAX_COLUMNS": 50,
    # Above these, the admin's import confirm and its bulk refresh run as a background
    # task with a progress page, instead of in the request.
    "BACKGROUND_IMPORT_ROWS": 5000,
    "BACKGROUND_REFRESH_IDS": 10_000,
    # Background admin jobs running at once; the others wait in the queue.
    "BACKGROUND_MAX_JOBS": 1,
    # A running job whose worker gave no sign of life for this long is run again.
    "BACKGROUND_JOB_STALE": timedelta(minutes=2),
}

# The adapter when the project names none and `invites.contrib.allauth` is installed:
# the same decisions, with allauth's login as the accept page's sign-in link.
ALLAUTH_ADAPTER = "invites.contrib.allauth.adapter.AllauthInviteAdapter"


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
    def ACCEPT_URL(self) -> str | None:
        value = self._get("ACCEPT_URL")
        return None if value is None else str(value)

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
    def RATE_LIMIT_CACHE(self) -> str:
        return str(self._get("RATE_LIMIT_CACHE"))

    @property
    def LOGIN_ON_ACCEPT(self) -> bool:
        return bool(self._get("LOGIN_ON_ACCEPT"))

    @property
    def ADAPTER(self) -> str:
        user_settings = getattr(settings, "INVITES", None) or {}
        named = isinstance(user_settings, dict) and "ADAPTER" in user_settings
        if not named and apps.is_installed("invites.contrib.allauth"):
            return ALLAUTH_ADAPTER
        return str(self._get("ADAPTER"))

    @property
    def INVITE_ONLY(self) -> bool:
        return bool(self._get("INVITE_ONLY"))

    @property
    def SITE_NAME(self) -> str | None:
        value = self._get("SITE_NAME")
        return None if value is None else str(value)

    @property
    def EMAIL_COOLDOWN(self) -> timedelta:
        value = self._get("EMAIL_COOLDOWN")
        if isinstance(value, timedelta):
            return value
        return timedelta(seconds=value)

    @property
    def EMAIL_RETRY_DELAYS(self) -> tuple[timedelta, ...]:
        return tuple(
            delay if isinstance(delay, timedelta) else timedelta(seconds=delay)
            for delay in self._get("EMAIL_RETRY_DELAYS")
        )

    @property
    def IMPORT_MAX_ROWS(self) -> int:
        return int(self._get("IMPORT_MAX_ROWS"))

    @property
    def IMPORT_MAX_BYTES(self) -> int:
        return int(self._get("IMPORT_MAX_BYTES"))

    @property
    def EXACT_COUNT_LIMIT(self) -> int | None:
        value = self._get("EXACT_COUNT_LIMIT")
        return None if value is None else int(value)

    @property
    def IMPORT_MAX_COLUMNS(self) -> int:
        return int(self._get("IMPORT_MAX_COLUMNS"))

    @property
    def BACKGROUND_IMPORT_ROWS(self) -> int:
        return int(self._get("BACKGROUND_IMPORT_ROWS"))

    @property
    def BACKGROUND_REFRESH_IDS(self) -> int:
        return int(self._get("BACKGROUND_REFRESH_IDS"))

    @property
    def BACKGROUND_MAX_JOBS(self) -> int:
        return int(self._get("BACKGROUND_MAX_JOBS"))

    @property
    def BACKGROUND_JOB_STALE(self) -> timedelta:
        value = self._get("BACKGROUND_JOB_STALE")
        if isinstance(value, timedelta):
            return value
        return timedelta(seconds=value)

    @property
    def SITE_URL(self) -> str | None:
        """The project's `SITE_URL` (no default): the base of every emailed link."""
        value = getattr(settings, "SITE_URL", None)
        return str(value) if value else None


invites_settings = InvitesSettings()
