"""`send_invite_emails`: after any crash, every unsent current link is queued again."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.mail.backends import locmem
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from invites import services
from invites.models import Invite
from invites.tokens import hash_token
from tests.helpers import PASSWORD, expire
from tests.test_tasks import run_worker, token_in

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    # A queue outside the database gets its tasks after the commit.
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("send_invite_emails", *args, stdout=out)
    return out.getvalue()


STATES = ["never", "stale", "recent", "sent", "accepted", "deleted", "expired"]


def age_queued_at(minutes: int) -> None:
    Invite.objects.update(queued_at=timezone.now() - timedelta(minutes=minutes))


def test_queues_only_unsent_links_not_queued_recently(dummy_tasks, settings):
    settings.INVITES = {"SEND_EMAILS": False}
    never, stale, recent, sent, accepted, deleted, expired = services.create_invites(
        [f"{name}@example.com" for name in STATES]
    )
    now = timezone.now()
    Invite.objects.filter(pk=stale.pk).update(queued_at=now - timedelta(minutes=11))
    Invite.objects.filter(pk=recent.pk).update(queued_at=now - timedelta(minutes=9))
    Invite.objects.filter(pk=sent.pk).update(sent_at=now)
    services.accept_invite(accepted.token, password=PASSWORD)
    services.delete_invites([deleted.pk])
    expire(expired)

    out = run()

    assert "Queued 2 invite emails." in out
    [result] = dummy_tasks.results
    assert sorted(result.args[0]) == sorted(
        [f"{i.pk}:{hash_token(i.token)}" for i in (never, stale)]
    )
    assert result.args[1] == "created"
    stored = Invite.objects.get(pk=never.pk)
    assert timezone.now() - stored.queued_at < timedelta(seconds=5)
    assert run() == "No invite emails to queue.\n"  # just queued: not stale yet


def test_stale_after_and_dry_run(dummy_tasks, settings):
    settings.INVITES = {"SEND_EMAILS": False}
    services.create_invites(["a@example.com", "b@example.com"])
    settings.INVITES = {}
    age_queued_at(3)

    assert run("--stale-after", "5m") == "No invite emails to queue.\n"
    assert run("--stale-after", "2m", "--dry-run") == (
        "Would queue 2 invite emails (dry run, nothing changed).\n"
    )
    assert dummy_tasks.results == []
    assert "Queued 2 invite emails." in run("--stale-after", "0s")
    assert len(dummy_tasks.results) == 1


def test_refreshed_links_are_queued_as_resent(dummy_tasks, make_invite):
    invite = make_invite()
    [refreshed] = services.refresh_invite_tokens([invite.pk])
    dummy_tasks.clear()
    age_queued_at(30)

    run()

    [result] = dummy_tasks.results
    assert list(result.args) == [[f"{invite.pk}:{hash_token(refreshed.token)}"], "resent"]


def test_a_bad_duration_is_a_usage_error():
    with pytest.raises(CommandError, match="invalid duration"):
        run("--stale-after", "soon")


# --- crashes --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_process_killed_after_its_commit_loses_no_email(
    dummy_tasks, mailoutbox, settings, monkeypatch
):
    # With a queue outside the database the tasks go out after the commit: a process
    # killed in between queued nothing. Here the after-commit callbacks never run.
    monkeypatch.setattr("invites.delivery.transaction.on_commit", lambda *a, **k: None)
    created = services.create_invites([f"lost{i}@example.com" for i in range(3)])
    refreshed = services.refresh_invite_tokens([invite.pk for invite in created[:2]])
    assert dummy_tasks.results == []
    monkeypatch.undo()

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    run("--stale-after", "0s")
    run_worker()

    newest = {invite.email: invite.token for invite in [*refreshed, created[2]]}
    assert {message.to[0]: token_in(message) for message in mailoutbox} == newest
    assert Invite.objects.filter(sent_at__isnull=True).count() == 0


class DyingEmailBackend(locmem.EmailBackend):
    """Hands two messages over, then the worker dies (as if SIGKILLed) mid-batch."""

    def send_messages(self, messages):
        if len(locmem.mail.outbox) >= 2:
            raise SystemExit("killed")
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_nothing(database_tasks, mailoutbox, settings):
    settings.INVITES = {"EMAIL_COOLDOWN": 0}
    created = services.create_invites([f"mid{i}@example.com" for i in range(5)])
    settings.EMAIL_BACKEND = f"{__name__}.DyingEmailBackend"

    run_worker()  # the task fails with SystemExit after two emails went out
    assert len(mailoutbox) == 2
    assert Invite.objects.filter(sent_at__isnull=False).count() == 0  # never recorded
    assert DBTaskResult.objects.get().status == "FAILED"

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run("--stale-after", "0s")
    run_worker()

    assert Invite.objects.filter(sent_at__isnull=True).count() == 0
    per_invite = {invite.email: 0 for invite in created}
    for message in mailoutbox:
        per_invite[message.to[0]] += 1
        assert hash_token(token_in(message)) == Invite.objects.get(email=message.to[0]).token_hash
    # A second copy only for the two handed over before the crash: at most one batch.
    assert sorted(per_invite.values()) == [1, 1, 1, 2, 2]
