"""The demo on Redis: the RQ queue's connection, and the cache beside it on the same server."""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

# Redis servers have databases 0-15 unless configured otherwise.
REDIS_DATABASES = 16


# RQ kills a job that runs longer (180 s by default). A batch of invite emails to a slow
# SMTP server may take EMAIL_TIMEOUT per message; a killed batch is not lost
# (send_invite_emails queues it again) but is sent again.
RQ_JOB_TIMEOUT = 3600


def rq_queue_config(url: str) -> dict[str, Any]:
    """django-rq's `RQ_QUEUES` entry for the Redis at `url`, over one connection pool.

    Given a URL, django-rq makes a new client, and so a new connection, for every task
    it queues; a bulk refresh queues one task per 200 invites. A client built on one
    pool of the process reuses its connections (redis-py starts a new pool in a forked
    work horse by itself). With a pool, django-rq ignores HOST and PORT, but needs them.
    """
    import redis

    parts, _database = parse_redis_url(url)
    return {
        "HOST": parts.hostname or "127.0.0.1",
        "PORT": parts.port or 6379,
        "REDIS_CLIENT_KWARGS": {"connection_pool": redis.ConnectionPool.from_url(url)},
        "DEFAULT_TIMEOUT": RQ_JOB_TIMEOUT,
    }


def redis_cache_location(queue_url: str) -> str:
    """The cache's URL beside the queue at `queue_url`: the next database number up.

    Not the queue's own database: Django's Redis cache empties its whole database on
    `cache.clear()`, which would drop every queued task with it.
    """
    parts, database = parse_redis_url(queue_url)
    if database >= REDIS_DATABASES - 1:
        raise ImproperlyConfigured(
            f"REDIS_URL's database must be 0 to {REDIS_DATABASES - 2}: the cache takes the "
            "next one."
        )
    return urlunsplit(parts._replace(path=f"/{database + 1}"))


def parse_redis_url(url: str) -> tuple[SplitResult, int]:
    """`url` split, and its database number; ImproperlyConfigured unless a Redis URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ImproperlyConfigured(f"REDIS_URL must be a redis:// or rediss:// URL, not {url!r}.")
    path = parts.path.strip("/")
    try:
        database = int(path or 0)
    except ValueError:
        raise ImproperlyConfigured(
            f"REDIS_URL's path must be a database number, not {path!r}."
        ) from None
    return parts, database
