"""The rate limit's cache, checked: its table exists, and it holds the counters.

A database or local-memory cache deletes entries once it holds MAX_ENTRIES (300 unless
set): attempts from that many other addresses delete a client's counter, and a client
already refused may try again. The check warns about such a cache; Redis has no such
limit.
"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import RequestFactory

from invites.checks import check_rate_limit_cache, check_rate_limit_cache_store
from invites.ratelimit import MIN_RATE_LIMIT_ENTRIES, accept_allowed

pytestmark = pytest.mark.django_db
TABLE = "invites_rate_limit_cache"


def database_cache(**options):
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": TABLE,
            "OPTIONS": options,
        }
    }


def locmem_cache(**options):
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "culling",
            "OPTIONS": options,
        }
    }


def ids():
    return [message.id for message in check_rate_limit_cache_store()]


def from_address(address: str):
    return RequestFactory().post("/api/invites/accept/", REMOTE_ADDR=address)


def test_a_database_cache_without_its_table_is_reported(settings):
    settings.CACHES = database_cache(MAX_ENTRIES=MIN_RATE_LIMIT_ENTRIES)
    assert ids() == ["invites.W071"]
    [error] = check_rate_limit_cache_store()
    assert "createcachetable" in error.hint

    call_command("createcachetable", verbosity=0)
    assert ids() == []


def test_the_rate_limit_cache_alias_must_exist(settings):
    settings.INVITES = {"RATE_LIMIT_CACHE": "throttle"}
    assert ids() == ["invites.E070"]

    settings.CACHES = {**settings.CACHES, "throttle": locmem_cache()["default"]}
    settings.DEBUG = True
    assert ids() == []


def test_the_rate_limit_counts_in_the_cache_it_names(settings):
    settings.INVITES = {"ACCEPT_RATE": "1/minute", "RATE_LIMIT_CACHE": "throttle"}
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
        "throttle": locmem_cache()["default"],
    }
    assert accept_allowed(from_address("10.0.0.1"))[0]
    assert not accept_allowed(from_address("10.0.0.1"))[0]


@pytest.fixture(params=["locmem", "database"])
def culling_config(request, settings):
    """A cache of each culling kind, as configured by default (MAX_ENTRIES 300)."""
    settings.DEBUG = False
    settings.INVITES = {"ACCEPT_RATE": "2/minute"}
    configure = database_cache if request.param == "database" else locmem_cache
    settings.CACHES = configure()
    call_command("createcachetable", verbosity=0)
    caches["default"].clear()
    yield configure
    caches["default"].clear()


def refused_after_others(count: int) -> bool:
    """Use up 10.0.0.1's limit, let `count` other addresses try once, then try again."""
    victim = from_address("10.0.0.1")
    assert accept_allowed(victim)[0]
    assert accept_allowed(victim)[0]
    assert not accept_allowed(victim)[0]
    for n in range(count):
        accept_allowed(from_address(f"10.1.{n // 250}.{n % 250 + 1}"))
    return not accept_allowed(victim)[0]


def test_a_culling_cache_forgets_a_refused_client_and_is_warned_about(culling_config):
    # As the probe found: 350 other addresses, and the refused client may try again.
    assert not refused_after_others(350)
    assert ids() == ["invites.W070"]


def test_a_cache_large_enough_keeps_the_counter_and_passes(settings, culling_config):
    settings.CACHES = culling_config(MAX_ENTRIES=MIN_RATE_LIMIT_ENTRIES)
    assert refused_after_others(350)
    assert ids() == []


def test_redis_is_not_warned_about(settings):
    settings.DEBUG = False
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    assert ids() == []


def test_a_development_server_is_not_warned_about(settings, culling_config):
    settings.DEBUG = True
    assert ids() == []


def test_the_process_local_warning_looks_at_the_rate_limit_cache(settings):
    settings.DEBUG = False
    settings.INVITES = {"RATE_LIMIT_CACHE": "throttle"}
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"},
        "throttle": locmem_cache(MAX_ENTRIES=MIN_RATE_LIMIT_ENTRIES)["default"],
    }
    assert [message.id for message in check_rate_limit_cache()] == ["invites.W003"]
