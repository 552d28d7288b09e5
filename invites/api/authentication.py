"""Who the API's callers are: the project's authentication classes, or a default pair.

A project that sets `REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]` (JWT, knox,
...) gets exactly those on the invite endpoints. Otherwise the API accepts DRF's token
(only where `rest_framework.authtoken` is installed; the app never needs it) and the
session. Token comes first, so an anonymous caller gets 401 with
`WWW-Authenticate: Token`; with the session alone DRF answers 403, having no
challenge to send. Read on every request, so `override_settings` applies.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    TokenAuthentication,
)
from rest_framework.settings import api_settings


def authentication_classes() -> list[type[BaseAuthentication]]:
    """The authentication classes of the invite endpoints (the accept endpoint has none)."""
    if "DEFAULT_AUTHENTICATION_CLASSES" in (getattr(settings, "REST_FRAMEWORK", None) or {}):
        # DRF has imported the dotted paths (and reloads them when settings change).
        configured: list[type[BaseAuthentication]] = list(
            api_settings.DEFAULT_AUTHENTICATION_CLASSES  # type: ignore[arg-type]
        )
        return configured
    classes: list[type[BaseAuthentication]] = []
    if apps.is_installed("rest_framework.authtoken"):
        classes.append(TokenAuthentication)
    classes.append(SessionAuthentication)
    return classes
