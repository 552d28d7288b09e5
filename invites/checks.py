"""System checks for `settings.INVITES` (`invites.E001`...), run by `manage.py check`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from invites.conf import DEFAULTS

RATE_RE = re.compile(r"^\s*\d+\s*/\s*(s|sec|second|m|min|minute|h|hour|d|day)\s*$")


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Report every malformed key of `settings.INVITES`."""
    user_settings = getattr(settings, "INVITES", {})
    if user_settings is None:
        user_settings = {}
    if not isinstance(user_settings, dict):
        return [Error("settings.INVITES must be a dict.", id="invites.E001")]

    errors: list[CheckMessage] = []
    unknown = sorted(set(user_settings) - set(DEFAULTS))
    if unknown:
        errors.append(
            Warning(
                f"settings.INVITES has unknown key(s): {', '.join(map(str, unknown))}.",
                hint=f"Known keys: {', '.join(DEFAULTS)}.",
                id="invites.W001",
            )
        )

    duration = user_settings.get("VALID_DURATION", DEFAULTS["VALID_DURATION"])
    if isinstance(duration, bool) or not isinstance(duration, (timedelta, int, float)):
        errors.append(
            Error(
                "INVITES['VALID_DURATION'] must be a timedelta or a number of seconds.",
                id="invites.E002",
            )
        )
    elif (duration.total_seconds() if isinstance(duration, timedelta) else duration) <= 0:
        errors.append(Error("INVITES['VALID_DURATION'] must be positive.", id="invites.E002"))

    accept_url = user_settings.get("ACCEPT_URL", DEFAULTS["ACCEPT_URL"])
    if not isinstance(accept_url, str) or "{token}" not in accept_url:
        errors.append(
            Error("INVITES['ACCEPT_URL'] must be a string containing '{token}'.", id="invites.E003")
        )

    batch = user_settings.get("MAX_BATCH_SIZE", DEFAULTS["MAX_BATCH_SIZE"])
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        errors.append(
            Error("INVITES['MAX_BATCH_SIZE'] must be a positive integer.", id="invites.E004")
        )

    if not isinstance(user_settings.get("SEND_EMAILS", DEFAULTS["SEND_EMAILS"]), bool):
        errors.append(Error("INVITES['SEND_EMAILS'] must be True or False.", id="invites.E005"))

    rate = user_settings.get("ACCEPT_RATE", DEFAULTS["ACCEPT_RATE"])
    if not isinstance(rate, str) or not RATE_RE.match(rate):
        errors.append(
            Error(
                "INVITES['ACCEPT_RATE'] must look like '10/minute' (per second, minute, hour "
                "or day).",
                id="invites.E006",
            )
        )

    site_url = getattr(settings, "SITE_URL", None)
    if site_url is not None and (
        not isinstance(site_url, str) or urlsplit(site_url).scheme not in ("http", "https")
    ):
        errors.append(
            Error("settings.SITE_URL must be an absolute http(s) URL.", id="invites.E007")
        )
    return errors
