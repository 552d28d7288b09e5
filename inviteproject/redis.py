"""Where the demo's cache lives when the task queue is Redis: the same server, its own database."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

# Redis servers have databases 0-15 unless configured otherwise.
REDIS_DATABASES = 16


def redis_cache_location(queue_url: str) -> str:
    """The cache's URL beside the queue at `queue_url`: the next database number up.

    Not the queue's own database: Django's Redis cache empties its whole database on
    `cache.clear()`, which would drop every queued task with it.
    """
    parts = urlsplit(queue_url)
    if parts.scheme not in ("redis", "rediss"):
        raise ImproperlyConfigured(
            f"REDIS_URL must be a redis:// or rediss:// URL, not {queue_url!r}."
        )
    path = parts.path.strip("/")
    try:
        database = int(path or 0)
    except ValueError:
        raise ImproperlyConfigured(
            f"REDIS_URL's path must be a database number, not {path!r}."
        ) from None
    if not 0 <= database < REDIS_DATABASES - 1:
        raise ImproperlyConfigured(
            f"REDIS_URL's database must be 0 to {REDIS_DATABASES - 2}: the cache takes the "
            "next one."
        )
    return urlunsplit(parts._replace(path=f"/{database + 1}"))
