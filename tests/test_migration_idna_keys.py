"""The migration that re-keys existing invites with the domain in its IDNA form.

It runs against real rows written under the previous schema: keys are rewritten in
batches, and two open invites that become one mailbox stop the migration with a
message naming both, nothing changed.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

MIGRATION = ("invites", "0007_idna_keys")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def before() -> Iterator[Any]:
    """The database migrated to just before `MIGRATION`; the `Invite` model of then."""
    executor = MigrationExecutor(connection)
    [parent] = executor.loader.graph.node_map[MIGRATION].parents
    executor.migrate([parent.key])
    yield executor.loader.project_state([parent.key]).apps.get_model("invites", "Invite")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("invites"))


def migrate_to(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])


def old_invite(Invite: Any, email: str, **fields: Any) -> Any:
    """An invite as the old code wrote it: the key NFKC + casefold of the whole email."""
    return Invite.objects.create(
        email=email,
        email_key=unicodedata.normalize("NFKC", email).casefold(),
        token_hash=uuid.uuid4().hex * 2,
        token_nonce=uuid.uuid4().hex,
        expires_at=timezone.now() + timedelta(days=1),
        **fields,
    )


def keys(Invite: Any) -> dict[str, str]:
    return dict(Invite.objects.values_list("email", "email_key"))


def test_existing_keys_are_rewritten(before):
    old_invite(before, "x@ex\u0430mple.com")
    old_invite(before, "bob@BÜCHER.de", accepted=True)
    old_invite(before, "ada@example.com")
    updated = dict(before.objects.values_list("email", "updated_at"))
    migrate_to(MIGRATION)
    assert keys(before) == {
        "x@ex\u0430mple.com": "x@xn--exmple-4nf.com",
        "bob@BÜCHER.de": "bob@xn--bcher-kva.de",
        "ada@example.com": "ada@example.com",
    }
    assert dict(before.objects.values_list("email", "updated_at")) == updated


def test_two_open_invites_for_one_mailbox_stop_the_migration(before):
    first = old_invite(before, "x@ex\u0430mple.com")
    second = old_invite(before, "x@xn--exmple-4nf.com")
    old_invite(before, "bob@bücher.de")
    with pytest.raises(CommandError) as caught:
        migrate_to(MIGRATION)
    message = str(caught.value)
    assert "nothing was changed" in message
    assert f"{first.pk} (x@ex\u0430mple.com)" in message
    assert f"{second.pk} (x@xn--exmple-4nf.com)" in message
    assert "bücher" not in message
    assert keys(before)["bob@bücher.de"] == "bob@bücher.de"
    # Declining one of them is enough.
    before.objects.filter(pk=second.pk).update(declined_at=timezone.now())
    migrate_to(MIGRATION)
    assert set(keys(before).values()) == {"x@xn--exmple-4nf.com", "bob@xn--bcher-kva.de"}


def test_history_does_not_stop_the_migration(before):
    old_invite(before, "x@ex\u0430mple.com", accepted=True)
    old_invite(before, "x@xn--exmple-4nf.com", deleted_at=timezone.now())
    old_invite(before, "x@EX\u0410MPLE.com")
    migrate_to(MIGRATION)
    assert set(keys(before).values()) == {"x@xn--exmple-4nf.com"}


def test_it_reverses(before):
    old_invite(before, "x@ex\u0430mple.com")
    migrate_to(MIGRATION)
    [parent] = MigrationExecutor(connection).loader.graph.node_map[MIGRATION].parents
    migrate_to(parent.key)
    assert keys(before) == {"x@ex\u0430mple.com": "x@ex\u0430mple.com"}
