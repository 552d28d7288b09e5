"""The built-in receivers: one email task per invite, queued after commit, never with a token."""

from __future__ import annotations

import json
import logging

import pytest
from django.db import transaction

from invites import services
from invites.models import Invite
from invites.tasks import deliver_invite_email

pytestmark = pytest.mark.django_db


def queued(backend) -> list[list[object]]:
    """The argument lists of the email tasks the dummy backend recorded."""
    assert all(result.task.func is deliver_invite_email.func for result in backend.results)
    return [list(result.args) for result in backend.results]


def test_created_invites_queue_one_task_each_after_commit(
    dummy_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invites = services.create_invites(["a@example.com", "b@example.com", "c@example.com"])
    assert dummy_tasks.results == []  # nothing before the commit

    for callback in callbacks:
        callback()

    assert queued(dummy_tasks) == [
        [str(invite.pk), invite.token_hash, "created"] for invite in invites
    ]


def test_refresh_queues_one_resent_task_per_invite(
    make_invite, dummy_tasks, django_capture_on_commit_callbacks
):
    first, second = make_invite(), make_invite()

    with django_capture_on_commit_callbacks(execute=True):
        refreshed = services.refresh_invite_tokens([first.pk, second.pk, str(first.pk)])

    assert queued(dummy_tasks) == [
        [str(invite.pk), invite.token_hash, "resent"] for invite in refreshed
    ]
    stored = dict(Invite.objects.values_list("pk", "token_hash"))
    assert [args[1] for args in queued(dummy_tasks)] == [stored[first.pk], stored[second.pk]]


def test_task_arguments_never_hold_the_raw_token(
    make_invite, dummy_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = services.create_invites(["x@example.com", "y@example.com"])
        refreshed = services.refresh_invite_tokens([invite.pk for invite in created])

    tokens = [invite.token for invite in [*created, *refreshed]]
    stored = json.dumps([[r.args, r.kwargs] for r in dummy_tasks.results])
    assert len(dummy_tasks.results) == 4
    assert not [token for token in tokens if token in stored]


def test_send_emails_off_queues_nothing(
    settings, make_invite, dummy_tasks, django_capture_on_commit_callbacks
):
    settings.INVITES = {"SEND_EMAILS": False}

    with django_capture_on_commit_callbacks(execute=True):
        [invite] = services.create_invites(["off@example.com"])
        services.refresh_invite_tokens([invite.pk])

    assert dummy_tasks.results == []


def test_send_emails_can_be_turned_back_on_without_reconnecting(
    settings, dummy_tasks, django_capture_on_commit_callbacks
):
    settings.INVITES = {"SEND_EMAILS": False}
    with django_capture_on_commit_callbacks(execute=True):
        services.create_invites(["quiet@example.com"])
    settings.INVITES = {"SEND_EMAILS": True}
    with django_capture_on_commit_callbacks(execute=True):
        [loud] = services.create_invites(["loud@example.com"])

    assert queued(dummy_tasks) == [[str(loud.pk), loud.token_hash, "created"]]


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


@pytest.mark.django_db(transaction=True)
def test_a_queue_failure_is_logged_and_never_undoes_the_refresh(settings, make_invite, caplog):
    invite = make_invite()
    # A backend that accepts no queue named "default": every enqueue raises.
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["elsewhere"]}
    }

    with caplog.at_level(logging.ERROR, logger="invites.signals"):
        [refreshed] = services.refresh_invite_tokens([invite.pk])

    assert Invite.objects.get(pk=invite.pk).token_hash == refreshed.token_hash
    assert "email_resent_invite" in caplog.text
    assert refreshed.token not in caplog.text
