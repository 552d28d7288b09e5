"""System checks for `settings.INVITES` (`invites.E001`...), run by `manage.py check`.

- E001 INVITES is not a dict; E002-E006, E009, E010 a malformed key; W001 an unknown key.
- E007 SITE_URL is not an absolute http(s) URL.
- E008 SITE_URL is missing while emails are on and DEBUG is off; W002 missing otherwise.
- E020 EMAIL_COOLDOWN is not a timedelta or a number of seconds, or is negative.
- E030 LOGIN_ON_ACCEPT is not True or False.
- E011 ACCEPT_URL is None (the app's page) but the URLconf does not route `invites.urls`.
- W003 DEBUG is off and the accept rate limit counts in a process-local cache; W004 in
  a cache that stores nothing.
- E021 EMAIL_RETRY_DELAYS is not a list or tuple of non-negative seconds or timedeltas.
- E012 IMPORT_MAX_ROWS or IMPORT_MAX_BYTES is not a positive integer.
- E050 EXACT_COUNT_LIMIT is neither None nor a positive integer.
- E040 INVITE_ONLY is not True or False; E041 it is on without `invites.contrib.allauth`
  installed (nothing would close sign-up). The contrib app checks its own adapters
  (`invites.contrib.allauth.checks`).
- E070 RATE_LIMIT_CACHE names no cache of settings.CACHES.
- W071 the rate limit's cache is a database cache whose table does not exist (a warning,
  so that `migrate` still runs before `createcachetable`).
- W070 the rate limit's cache culls at fewer entries than `MIN_RATE_LIMIT_ENTRIES`.
- E090 IMPORT_MAX_COLUMNS, BACKGROUND_IMPORT_ROWS, BACKGROUND_REFRESH_IDS or
  BACKGROUND_MAX_JOBS is not a positive integer; E091 BACKGROUND_JOB_STALE is not a
  positive timedelta or number of seconds.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError, connections, router
from django.utils.module_loading import import_string

from invites.adapter import DefaultInviteAdapter
from invites.conf import DEFAULTS, invites_settings
from invites.links import accept_page_is_mounted
from invites.ratelimit import MIN_RATE_LIMIT_ENTRIES

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
    if accept_url is not None and (not isinstance(accept_url, str) or "{token}" not in accept_url):
        errors.append(
            Error(
                "INVITES['ACCEPT_URL'] must be None (the app's accept page) or a string "
                "containing '{token}'.",
                id="invites.E003",
            )
        )

    batch = user_settings.get("MAX_BATCH_SIZE", DEFAULTS["MAX_BATCH_SIZE"])
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        errors.append(
            Error("INVITES['MAX_BATCH_SIZE'] must be a positive integer.", id="invites.E004")
        )

    for key in ("IMPORT_MAX_ROWS", "IMPORT_MAX_BYTES"):
        limit = user_settings.get(key, DEFAULTS[key])
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            errors.append(Error(f"INVITES[{key!r}] must be a positive integer.", id="invites.E012"))

    count_limit = user_settings.get("EXACT_COUNT_LIMIT", DEFAULTS["EXACT_COUNT_LIMIT"])
    if count_limit is not None and (
        isinstance(count_limit, bool) or not isinstance(count_limit, int) or count_limit < 1
    ):
        errors.append(
            Error(
                "INVITES['EXACT_COUNT_LIMIT'] must be None or a positive integer.",
                id="invites.E050",
            )
        )

    for key in (
        "IMPORT_MAX_COLUMNS",
        "BACKGROUND_IMPORT_ROWS",
        "BACKGROUND_REFRESH_IDS",
        "BACKGROUND_MAX_JOBS",
    ):
        limit = user_settings.get(key, DEFAULTS[key])
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            errors.append(Error(f"INVITES[{key!r}] must be a positive integer.", id="invites.E090"))
    stale = user_settings.get("BACKGROUND_JOB_STALE", DEFAULTS["BACKGROUND_JOB_STALE"])
    seconds = stale.total_seconds() if isinstance(stale, timedelta) else stale
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
        errors.append(
            Error(
                "INVITES['BACKGROUND_JOB_STALE'] must be a positive timedelta or number of "
                "seconds.",
                id="invites.E091",
            )
        )

    if not isinstance(user_settings.get("SEND_EMAILS", DEFAULTS["SEND_EMAILS"]), bool):
        errors.append(Error("INVITES['SEND_EMAILS'] must be True or False.", id="invites.E005"))

    if not isinstance(user_settings.get("LOGIN_ON_ACCEPT", DEFAULTS["LOGIN_ON_ACCEPT"]), bool):
        errors.append(Error("INVITES['LOGIN_ON_ACCEPT'] must be True or False.", id="invites.E030"))

    errors.extend(_check_invite_only(user_settings))

    rate = user_settings.get("ACCEPT_RATE", DEFAULTS["ACCEPT_RATE"])
    if not isinstance(rate, str) or not RATE_RE.match(rate):
        errors.append(
            Error(
                "INVITES['ACCEPT_RATE'] must look like '10/minute' (per second, minute, hour "
                "or day).",
                id="invites.E006",
            )
        )

    cooldown = user_settings.get("EMAIL_COOLDOWN", DEFAULTS["EMAIL_COOLDOWN"])
    if isinstance(cooldown, bool) or not isinstance(cooldown, (timedelta, int, float)):
        errors.append(
            Error(
                "INVITES['EMAIL_COOLDOWN'] must be a timedelta or a number of seconds.",
                id="invites.E020",
            )
        )
    elif (cooldown.total_seconds() if isinstance(cooldown, timedelta) else cooldown) < 0:
        errors.append(
            Error(
                "INVITES['EMAIL_COOLDOWN'] must be zero (no cooldown) or positive.",
                id="invites.E020",
            )
        )

    errors.extend(_check_retry_delays(user_settings))
    errors.extend(_check_site_url(user_settings))
    errors.extend(_check_adapter(user_settings))

    site_name = user_settings.get("SITE_NAME", DEFAULTS["SITE_NAME"])
    if site_name is not None and not isinstance(site_name, str):
        errors.append(Error("INVITES['SITE_NAME'] must be a string or None.", id="invites.E010"))
    return errors


def _check_retry_delays(user_settings: dict[str, Any]) -> list[CheckMessage]:
    delays = user_settings.get("EMAIL_RETRY_DELAYS", DEFAULTS["EMAIL_RETRY_DELAYS"])
    if isinstance(delays, (list, tuple)) and all(_is_wait(delay) for delay in delays):
        return []
    return [
        Error(
            "INVITES['EMAIL_RETRY_DELAYS'] must be a list or tuple of waits, each a "
            "timedelta or a number of seconds, zero or more.",
            hint="For example (60, 240, 960): three retries, 1, 4 and 16 minutes apart; "
            "() for none.",
            id="invites.E021",
        )
    ]


def _is_wait(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (timedelta, int, float)):
        return False
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    return bool(0 <= seconds < float("inf"))


def _check_site_url(user_settings: dict[str, Any]) -> list[CheckMessage]:
    site_url = getattr(settings, "SITE_URL", None)
    if site_url:
        if not isinstance(site_url, str) or urlsplit(site_url).scheme not in ("http", "https"):
            return [Error("settings.SITE_URL must be an absolute http(s) URL.", id="invites.E007")]
        return []
    hint = "Set SITE_URL to the address the site is served at, e.g. 'https://app.example.com'."
    if user_settings.get("SEND_EMAILS", DEFAULTS["SEND_EMAILS"]) and not settings.DEBUG:
        return [
            Error(
                "settings.SITE_URL is not set, so invite emails cannot carry a link.",
                hint=hint,
                id="invites.E008",
            )
        ]
    return [
        Warning(
            "settings.SITE_URL is not set: building an accept link (an email, the admin's "
            "link) raises ImproperlyConfigured.",
            hint=hint,
            id="invites.W002",
        )
    ]


def _check_invite_only(user_settings: dict[str, Any]) -> list[CheckMessage]:
    invite_only = user_settings.get("INVITE_ONLY", DEFAULTS["INVITE_ONLY"])
    if not isinstance(invite_only, bool):
        return [Error("INVITES['INVITE_ONLY'] must be True or False.", id="invites.E040")]
    if invite_only and not apps.is_installed("invites.contrib.allauth"):
        return [
            Error(
                "INVITES['INVITE_ONLY'] is on, but 'invites.contrib.allauth' is not in "
                "INSTALLED_APPS: nothing closes sign-up to people without an invite.",
                hint="Add 'invites.contrib.allauth' (with django-allauth), or turn "
                "INVITE_ONLY off.",
                id="invites.E041",
            )
        ]
    return []


def _check_adapter(user_settings: dict[str, Any]) -> list[CheckMessage]:
    path = user_settings.get("ADAPTER", DEFAULTS["ADAPTER"])
    message = "INVITES['ADAPTER'] must be the dotted path of a DefaultInviteAdapter subclass"
    if not isinstance(path, str):
        return [Error(f"{message}.", id="invites.E009")]
    try:
        adapter_class = import_string(path)
    except ImportError as error:
        return [Error(f"{message}; {path!r} cannot be imported: {error}", id="invites.E009")]
    if not (isinstance(adapter_class, type) and issubclass(adapter_class, DefaultInviteAdapter)):
        return [Error(f"{message}; {path!r} is not one.", id="invites.E009")]
    return []


@register(Tags.urls)
def check_accept_page_is_mounted(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """With no `ACCEPT_URL`, the links lead to the app's page, so it must be routed."""
    user_settings = getattr(settings, "INVITES", None) or {}
    if not isinstance(user_settings, dict) or user_settings.get("ACCEPT_URL") is not None:
        # A malformed INVITES is E001's to report; a URL of the project's needs no page.
        return []
    if accept_page_is_mounted():
        return []
    return [
        Error(
            "INVITES['ACCEPT_URL'] is None, but the URLconf does not include invites.urls, "
            "so accept links lead nowhere.",
            hint="Add path('', include('invites.urls')) to the URLconf, or set "
            "INVITES['ACCEPT_URL'] to a URL with '{token}'.",
            id="invites.E011",
        )
    ]


@register(Tags.caches)
def check_rate_limit_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The accept rate limit holds across processes only in a cache they all share."""
    if settings.DEBUG:
        return []
    try:
        backend = import_string(settings.CACHES[invites_settings.RATE_LIMIT_CACHE]["BACKEND"])
    except (ImportError, KeyError, TypeError):
        return []  # Django's own checks report a broken CACHES
    hint = (
        "Point CACHES['default'] to a cache that every process of the site shares: the "
        "database cache (after `manage.py createcachetable`), Redis or Memcached."
    )
    if issubclass(backend, LocMemCache):
        return [
            Warning(
                "The accept rate limit (INVITES['ACCEPT_RATE']) counts in a process-local "
                "cache (LocMemCache): each server process counts on its own, so N processes "
                "let N times the rate through.",
                hint=hint,
                id="invites.W003",
            )
        ]
    if issubclass(backend, DummyCache):
        return [
            Warning(
                "The accept rate limit (INVITES['ACCEPT_RATE']) is off: the default cache "
                "(DummyCache) stores nothing, so no attempt is counted.",
                hint=hint,
                id="invites.W004",
            )
        ]
    return []


# Backends that delete entries once they hold MAX_ENTRIES (default 300).
CULLING_CACHES = (LocMemCache, DatabaseCache, FileBasedCache)


@register(Tags.caches)
def check_rate_limit_cache_store(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The rate limit's cache exists, has its table, and holds enough counters."""
    alias = invites_settings.RATE_LIMIT_CACHE
    caches_setting = getattr(settings, "CACHES", {})
    if alias not in caches_setting:
        return [
            Error(
                f"INVITES['RATE_LIMIT_CACHE'] is {alias!r}, which settings.CACHES does not define.",
                hint=f"Use one of: {', '.join(map(repr, caches_setting))}.",
                id="invites.E070",
            )
        ]
    try:
        cache = caches[alias]
    except Exception:
        return []  # Django's own checks report a broken CACHES
    return [*_missing_table(alias, cache), *_culls_counters(alias, cache)]


def _missing_table(alias: str, cache: Any) -> list[CheckMessage]:
    if not isinstance(cache, DatabaseCache):
        return []
    table = cache.cache_model_class._meta.db_table
    database = router.db_for_write(cache.cache_model_class)
    try:
        with connections[database].cursor() as cursor:
            tables = connections[database].introspection.table_names(cursor)
    except (DatabaseError, RuntimeError):
        # A database that does not answer (or may not be used here, as in a test that
        # declares no database) is not this check's to report.
        return []
    if table in tables:
        return []
    return [
        Warning(
            f"The accept rate limit counts in the database cache {alias!r}, whose table "
            f"{table!r} does not exist: every accept is refused with a 503.",
            hint="Run `manage.py createcachetable`.",
            id="invites.W071",
        )
    ]


def _culls_counters(alias: str, cache: Any) -> list[CheckMessage]:
    # As W003: a development server's counters need not withstand anyone.
    if settings.DEBUG or not isinstance(cache, CULLING_CACHES):
        return []
    if cache._max_entries >= MIN_RATE_LIMIT_ENTRIES:
        return []
    return [
        Warning(
            f"The accept rate limit counts in the cache {alias!r} ({type(cache).__name__}), "
            f"which deletes entries once it holds {cache._max_entries}: attempts from that "
            "many other addresses delete a client's counter, and its limit starts again.",
            hint=f"Use Redis for the rate limit (INVITES['RATE_LIMIT_CACHE']), or set the "
            f"cache's OPTIONS['MAX_ENTRIES'] to at least {MIN_RATE_LIMIT_ENTRIES}.",
            id="invites.W070",
        )
    ]
