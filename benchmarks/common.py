"""What the benchmarks share: seeding invites, a clean starting point, naming the database.

Import it after `django.setup()`, as the benchmarks import the app.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from invites import bulk, tokens
from invites.models import Invite, email_key


def seed(count: int) -> list[Any]:
    """Replace every invite with `count` pending ones, inserted set-based; their ids."""
    Invite.all_objects.all().delete()
    now = timezone.now()
    invites = [
        Invite(
            email=f"bench{i}@example.com",
            email_key=email_key(f"bench{i}@example.com"),
            expires_at=now + timedelta(days=1),
            created_at=now,
            updated_at=now,
        )
        for i in range(count)
    ]
    for invite, minted in zip(invites, tokens.mint_tokens([i.pk for i in invites]), strict=True):
        invite.token_nonce, invite.token_hash = minted.nonce, minted.digest
    with transaction.atomic():
        bulk.insert_invites(invites)
    vacuum()
    return [invite.pk for invite in invites]


def vacuum() -> None:
    """Give each timed run the same starting point (no dead rows from the last one)."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def describe_database() -> str:
    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    major, minor = divmod(connection.pg_version, 10000)
    return f"PostgreSQL {major}.{minor}"
