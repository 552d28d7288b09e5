"""Small helpers shared by the tests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from invites.models import Invite

PASSWORD = "correct-horse-battery-staple-42"

requires_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
)


def expire(invite: Invite) -> None:
    """Move the invite's expiry into the past, as if its lifetime had gone by."""
    past = timezone.now() - timedelta(hours=1)
    Invite.all_objects.filter(pk=invite.pk).update(expires_at=past)
    invite.expires_at = past


def snapshot(*invites: Invite) -> list[tuple[object, ...]]:
    """Every stored column of these invites, to prove that a failed call changed nothing."""
    pks = [invite.pk for invite in invites]
    rows = Invite.all_objects.filter(pk__in=pks).order_by("pk").values_list()
    return list(rows)
