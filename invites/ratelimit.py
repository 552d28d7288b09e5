"""The accept rate limit: `INVITES["ACCEPT_RATE"]` attempts per client address.

One counter for the REST endpoint and the HTML page together, kept in Django's default
cache, so every process that shares the cache shares the limit. Plain Django: the page
does not need Django REST framework for it.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from invites.conf import invites_settings

CACHE_KEY = "throttle_invites_accept_{ident}"
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """`"10/minute"` as (10, 60): how many attempts in how many seconds."""
    count, period = rate.split("/")
    return int(count), PERIODS[period.strip()[0]]


def client_address(request: HttpRequest) -> str:
    """The caller's address: `REMOTE_ADDR`, or `X-Forwarded-For` behind known proxies.

    `X-Forwarded-For` is trusted only when `REST_FRAMEWORK["NUM_PROXIES"]` says how many
    proxies stand in front; otherwise any client could pick a fresh address per request.
    """
    remote_addr = str(request.META.get("REMOTE_ADDR", ""))
    num_proxies = getattr(settings, "REST_FRAMEWORK", {}).get("NUM_PROXIES")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not num_proxies or not forwarded:
        return remote_addr
    addresses = str(forwarded).split(",")
    return addresses[-min(int(num_proxies), len(addresses))].strip()


def accept_allowed(request: HttpRequest | Any) -> tuple[bool, float | None]:
    """Count one accept attempt from this client; return (allowed, seconds to wait).

    A sliding window: the times of the attempts within the last period are kept, newest
    first, and an attempt is refused (and not counted) while the period is full.
    """
    key = CACHE_KEY.format(ident=client_address(request))
    return count_attempt(key, invites_settings.ACCEPT_RATE)


def count_attempt(key: str, rate: str) -> tuple[bool, float | None]:
    """Count one attempt under the cache `key` at `rate`; return (allowed, seconds to wait)."""
    wait = seconds_to_wait(key, rate)
    if wait is not None:
        return False, wait
    _count, period = parse_rate(rate)
    now = time.time()
    cache.set(key, [now, *_recent(key, period, now)], period)
    return True, None


def seconds_to_wait(key: str, rate: str) -> float | None:
    """How long until `key` may make another attempt at `rate`; None when it may now.

    Counts nothing: for a caller that only counts failures, and must look before it acts.
    """
    count, period = parse_rate(rate)
    now = time.time()
    history = _recent(key, period, now)
    if len(history) >= count:
        return period - (now - history[count - 1])
    return None


def _recent(key: str, period: int, now: float) -> list[float]:
    return [t for t in cache.get(key, []) if t > now - period]
