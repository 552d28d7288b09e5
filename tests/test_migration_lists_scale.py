"""0006: `email_domain` is filled in batches for existing rows, and kept in step."""

from __future__ import annotations

import importlib
import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from invites import services
from invites.models import Invite

BEFORE = [("invites", "0005_delivery_state")]
AFTER = [("invites", "0008_list_indexes")]


@pytest.mark.django_db(transaction=True)
def test_backfill_fills_the_domain_of_every_row(monkeypatch):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("invites", "Invite")
    when = datetime(2030, 1, 1, tzinfo=UTC)
    keys = [f"user{i}@example{i % 3}.com" for i in range(7)] + ['"a@b"@quoted.org']
    old.objects.bulk_create(
        old(
            id=uuid.uuid4(),
            email=key,
            email_key=key,
            token_hash=uuid.uuid4().hex,
            token_nonce="n",
            expires_at=when,
            deleted_at=when if i == 0 else None,
        )
        for i, key in enumerate(keys)
    )
    # Batches smaller than the table: the loop must go on past the first one.
    module = importlib.import_module("invites.migrations.0008_list_indexes")
    monkeypatch.setattr(module, "BATCH_SIZE", 3)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    try:
        domains = dict(Invite.all_objects.values_list("email_key", "email_domain"))
        assert domains == {key: key.rpartition("@")[2] for key in keys}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("invites"))


@pytest.mark.django_db
def test_the_domain_follows_the_email():
    [invite] = services.create_invites(["Ada@Example.COM"])
    assert Invite.objects.get(pk=invite.pk).email_domain == "example.com"
    invite.email = "ada@Other.Example"
    invite.save(update_fields=["email"])
    assert Invite.objects.get(pk=invite.pk).email_domain == "other.example"
