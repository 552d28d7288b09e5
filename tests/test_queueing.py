"""Queueing the invite emails: one task per batch, committed with the tokens, never a token."""

from __future__ import annotations

import json
import logging

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from invites import services
from invites.delivery import EMAIL_BATCH_SIZE, queue_is_transactional
from invites.models import Invite
from invites.tasks import deliver_invite_emails

pytestmark = pytest.mark.django_db


def queued(backend) -> list[list[object]]:
    """The argument lists of the email tasks the dummy backend recorded."""
    assert all(result.task.func is deliver_invite_emails.func for result in backend.results)
    return [list(result.args) for result in backend.results]


def pairs(invites) -> list[str]:
    return [f"{invite.pk}:{invite.token_hash}" for invite in invites]


# --- a backend outside the database: queued after the commit ---------------------------


def test_created_invites_queue_one_batch_task_after_commit(
    dummy_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invites = services.create_invites(["a@example.com", "b@example.com", "c@example.com"])
    assert dummy_tasks.results == []  # nothing before the commit
    assert not queue_is_transactional()

    for callback in callbacks:
        callback()

    assert queued(dummy_tasks) == [[pairs(invites), "created"]]
    assert all(invite.queued_at is not None for invite in Invite.objects.all())


def test_refresh_queues_the_new_digests_in_given_order(
    make_invite, dummy_tasks, django_capture_on_commit_callbacks
):
    first, second = make_invite(), make_invite()
    dummy_tasks.clear()

    with django_capture_on_commit_callbacks(execute=True):
        refreshed = services.refresh_invite_tokens([first.pk, second.pk, str(first.pk)])

    assert queued(dummy_tasks) == [[pairs(refreshed), "resent"]]
    stored = dict(Invite.objects.values_list("pk", "token_hash"))
    assert [item.split(":")[1] for item in queued(dummy_tasks)[0][0]] == [
        stored[first.pk],
        stored[second.pk],
    ]


def test_a_bulk_refresh_queues_one_task_per_batch(dummy_tasks, django_capture_on_commit_callbacks):
    count = 2 * EMAIL_BATCH_SIZE + 7
    with django_capture_on_commit_callbacks(execute=True):
        created = services.create_invites([f"many{i}@example.com" for i in range(count)])
    dummy_tasks.clear()
    with django_capture_on_commit_callbacks(execute=True):
        refreshed = services.refresh_invite_tokens([invite.pk for invite in created])

    batches = queued(dummy_tasks)
    assert [len(ids) for ids, _kind in batches] == [EMAIL_BATCH_SIZE, EMAIL_BATCH_SIZE, 7]
    assert [pair for ids, _kind in batches for pair in ids] == pairs(refreshed)


def test_task_arguments_never_hold_the_raw_token(
    make_invite, dummy_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = services.create_invites(["x@example.com", "y@example.com"])
        refreshed = services.refresh_invite_tokens([invite.pk for invite in created])

    tokens = [invite.token for invite in [*created, *refreshed]]
    stored = json.dumps([[r.args, r.kwargs] for r in dummy_tasks.results])
    assert len(dummy_tasks.results) == 2
    assert not [token for token in tokens if token in stored]


def test_send_emails_off_queues_nothing_and_marks_nothing_queued(
    settings, make_invite, dummy_tasks, django_capture_on_commit_callbacks
):
    settings.INVITES = {"SEND_EMAILS": False}

    with django_capture_on_commit_callbacks(execute=True):
        [invite] = services.create_invites(["off@example.com"])
        services.refresh_invite_tokens([invite.pk])

    assert dummy_tasks.results == []
    assert Invite.objects.get(pk=invite.pk).queued_at is None


def test_send_emails_is_read_at_each_call(
    settings, dummy_tasks, django_capture_on_commit_callbacks
):
    settings.INVITES = {"SEND_EMAILS": False}
    with django_capture_on_commit_callbacks(execute=True):
        services.create_invites(["quiet@example.com"])
    settings.INVITES = {"SEND_EMAILS": True}
    with django_capture_on_commit_callbacks(execute=True):
        [loud] = services.create_invites(["loud@example.com"])

    assert queued(dummy_tasks) == [[pairs([loud]), "created"]]


@pytest.mark.django_db(transaction=True)
def test_tasks_are_queued_on_real_commit_only(make_invite, dummy_tasks):
    invite = make_invite()
    dummy_tasks.clear()

    with transaction.atomic():
        services.refresh_invite_tokens([invite.pk])
        assert dummy_tasks.results == []

    assert len(dummy_tasks.results) == 1


@pytest.mark.django_db(transaction=True)
def test_no_task_when_the_transaction_rolls_back(make_invite, dummy_tasks):
    invite = make_invite()
    dummy_tasks.clear()

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        services.refresh_invite_tokens([invite.pk])
        services.create_invites(["rolled-back@example.com"])
        raise Abort

    assert dummy_tasks.results == []
    assert not Invite.objects.filter(email="rolled-back@example.com").exists()


# --- the database queue: the tasks are written in the caller's transaction -------------


@pytest.mark.django_db(transaction=True)
def test_database_queue_tasks_commit_with_the_tokens(database_tasks, record):
    from invites.signals import invite_resent

    resent = record(invite_resent)
    [invite] = services.create_invites(["db@example.com"])
    assert queue_is_transactional()

    with transaction.atomic():
        [refreshed] = services.refresh_invite_tokens([invite.pk])
        # Written already, inside the transaction; the signal waits for the commit.
        assert DBTaskResult.objects.count() == 2
        assert resent.calls == []

    assert [call["invite"].pk for call in resent.calls] == [invite.pk]
    args = list(DBTaskResult.objects.order_by("enqueued_at").values_list("args_kwargs", flat=True))
    assert args[1]["args"] == [pairs([refreshed]), "resent"]


@pytest.mark.django_db(transaction=True)
def test_database_queue_tasks_roll_back_with_the_tokens(database_tasks):
    [invite] = services.create_invites(["db-rollback@example.com"])
    before = Invite.objects.get(pk=invite.pk).token_hash

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        services.refresh_invite_tokens([invite.pk])
        raise Abort

    assert Invite.objects.get(pk=invite.pk).token_hash == before
    assert DBTaskResult.objects.count() == 1  # the create's only


def test_a_bulk_refresh_on_the_database_queue_writes_one_row_per_batch(
    database_tasks, django_assert_max_num_queries
):
    created = services.create_invites([f"rows{i}@example.com" for i in range(1000)])
    DBTaskResult.objects.all().delete()

    # The refresh's own statements plus one INSERT per batch.
    batches = -(-1000 // EMAIL_BATCH_SIZE)
    with django_assert_max_num_queries(4 + batches):
        services.refresh_invite_tokens([invite.pk for invite in created])

    assert DBTaskResult.objects.count() == batches


@pytest.mark.django_db(transaction=True)
def test_a_queue_failure_is_logged_and_never_undoes_the_refresh(settings, make_invite, caplog):
    invite = make_invite()
    # A backend that accepts no queue named "default": every enqueue raises.
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["elsewhere"]}
    }

    with caplog.at_level(logging.ERROR, logger="invites.delivery"):
        [refreshed] = services.refresh_invite_tokens([invite.pk])

    stored = Invite.objects.get(pk=invite.pk)
    assert stored.token_hash == refreshed.token_hash
    assert stored.sent_at is None and stored.queued_at is not None  # send_invite_emails' job
    assert "Could not queue the emails of 1 invites" in caplog.text
    assert refreshed.token not in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_failed_task_write_rolls_the_whole_refresh_back(database_tasks, monkeypatch):
    from django.db import DatabaseError

    [invite] = services.create_invites(["atomic@example.com"])
    before = Invite.objects.get(pk=invite.pk).token_hash

    def broken_insert(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(DBTaskResult.objects, "create", broken_insert)
    with pytest.raises(DatabaseError):
        services.refresh_invite_tokens([invite.pk])

    assert Invite.objects.get(pk=invite.pk).token_hash == before  # nothing changed
