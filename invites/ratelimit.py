"""The accept rate limit: `INVITES["ACCEPT_RATE"]` attempts per client address.

One counter for the REST endpoint and the HTML page together, kept in the cache that
`INVITES["RATE_LIMIT_CACHE"]` names (Django's default cache unless set), so every
process that shares the cache shares the limit. Plain Django: the page does not need
Django REST framework for it.

IPv4 clients are counted per address, IPv6 clients per /64 network: one host usually
holds a whole /64, and could otherwise take a fresh address for every attempt.

A cache that cannot be read or written (a missing table, a Redis that does not answer)
raises `RateLimitUnavailable`: the callers refuse the attempt with a 503, as a limit
that cannot count must not let everything through.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.http import HttpRequest

from invites.conf import invites_settings

logger = logging.getLogger(__name__)

CACHE_KEY = "throttle_invites_accept_{ident}"
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# The prefix length under which IPv6 addresses share one counter.
IPV6_PREFIX = 64
# Fewest entries a culling cache (locmem, database, file) must hold before it deletes
# some: below it, attempts from that many addresses within one period wipe a counter.
MIN_RATE_LIMIT_ENTRIES = 100_000
# Seconds a client is told to wait when the cache cannot count its attempt.
UNAVAILABLE_RETRY_AFTER = 30


class RateLimitUnavailable(Exception):
    """The rate limit's cache failed, so the attempt can be neither counted nor allowed."""

    retry_after = UNAVAILABLE_RETRY_AFTER


def rate_limit_cache() -> BaseCache:
    """The cache that holds the counters (`INVITES["RATE_LIMIT_CACHE"]`)."""
    return caches[invites_settings.RATE_LIMIT_CACHE]


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


def client_key(address: str) -> str:
    """What one client's attempts are counted under: its IPv4 address, its IPv6 /64."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)


def accept_allowed(request: HttpRequest | Any) -> tuple[bool, float | None]:
    """Count one accept attempt from this client; return (allowed, seconds to wait).

    A sliding window: the times of the attempts within the last period are kept, newest
    first, and an attempt is refused (and not counted) while the period is full.
    """
    key = CACHE_KEY.format(ident=client_key(client_address(request)))
    return count_attempt(key, invites_settings.ACCEPT_RATE)


def count_attempt(key: str, rate: str) -> tuple[bool, float | None]:
    """Count one attempt under the cache `key` at `rate`; return (allowed, seconds to wait)."""
    wait = seconds_to_wait(key, rate)
    if wait is not None:
        return False, wait
    _count, period = parse_rate(rate)
    now = time.time()
    history = [now, *_recent(key, period, now)]
    try:
        rate_limit_cache().set(key, history, period)
    except Exception as error:
        raise _unavailable(error) from error
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
    try:
        history = rate_limit_cache().get(key, [])
    except Exception as error:
        raise _unavailable(error) from error
    return [t for t in history if t > now - period]


def _unavailable(error: Exception) -> RateLimitUnavailable:
    # Any backend's failure (a database error, a Redis connection error): the cache is
    # the project's, so which exceptions it raises is not known here.
    logger.error(
        "The accept rate limit's cache %r failed (%s); attempts are refused until it works.",
        invites_settings.RATE_LIMIT_CACHE,
        type(error).__name__,
        exc_info=error,
    )
    return RateLimitUnavailable()
