"""The commands walk large selections in keyset batches: a bounded number of rows a query."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from invites import services
from invites.models import Invite

pytestmark = pytest.mark.django_db

TABLE = '"invites_invite"'


def run(name: str, *args: str) -> list[str]:
    """Run a command; the SQL of every query it sent."""
    with (
        CaptureQueriesContext(connection) as queries,
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        call_command(name, *args, stdout=io.StringIO())
    return [query["sql"] for query in queries.captured_queries]


def selects(sql: list[str]) -> list[str]:
    """The plain reads of the invite table (no counts, no locking reads)."""
    return [
        query
        for query in sql
        if query.startswith("SELECT")
        and f"FROM {TABLE}" in query
        and "COUNT(" not in query
        and "FOR UPDATE" not in query
    ]


def keyset_reads(sql: list[str], size: int) -> list[str]:
    reads = [query for query in selects(sql) if f"LIMIT {size}" in query]
    # Every read after the first starts after the last id of the one before.
    for query in reads[1:]:
        assert f'{TABLE}."id" >' in query, query
    return reads


def test_refresh_invites_expired_reads_one_batch_at_a_time(make_invite, settings):
    settings.INVITES = {"SEND_EMAILS": False}
    invites = [make_invite() for _ in range(5)]
    Invite.objects.update(expires_at=timezone.now() - timedelta(days=1))

    sql = run("refresh_invites", "--expired", "--batch-size", "2")

    reads = keyset_reads(sql, 2)
    assert len(reads) == 3
    assert not [query for query in selects(sql) if "LIMIT" not in query]
    assert not Invite.objects.expired().exists()
    assert len(invites) == Invite.objects.pending().count()


def test_send_invite_emails_reads_one_batch_at_a_time(dummy_tasks, settings, monkeypatch):
    monkeypatch.setattr("invites.management.commands.send_invite_emails.BATCH_SIZE", 2)
    settings.INVITES = {"SEND_EMAILS": False}
    services.create_invites([f"unsent{i}@example.com" for i in range(5)])
    settings.INVITES = {}

    sql = run("send_invite_emails", "--stale-after", "0s")

    assert len(keyset_reads(sql, 2)) == 3
    assert not [query for query in selects(sql) if "LIMIT" not in query]
    assert Invite.objects.filter(queued_at__isnull=False).count() == 5


def test_purge_invites_walks_by_key_not_from_the_start(make_invite, monkeypatch):
    monkeypatch.setattr("invites.management.commands.purge_invites.BATCH_SIZE", 2)
    for _ in range(5):
        make_invite()
    Invite.objects.update(expires_at=timezone.now() - timedelta(days=60))

    sql = run("purge_invites", "--older-than", "30d", "--no-input")

    # Two walks: the soft-deleted ones (none), then the expired ones (2 + 2 + 1).
    reads = [query for query in selects(sql) if "LIMIT 2" in query]
    assert len(reads) == 4
    assert len([query for query in reads if f'{TABLE}."id" >' in query]) == 2
    assert not Invite.all_objects.exists()
