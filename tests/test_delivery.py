"""A batch of invite emails: one query, one connection, idempotent, failures retried per invite."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from invites import services
from invites.models import Invite
from invites.tasks import Outcome, deliver, deliver_invite_email, deliver_invite_emails
from invites.tokens import hash_token

pytestmark = pytest.mark.django_db

CONNECTIONS: list[CountingBackend] = []


class CountingBackend(locmem.EmailBackend):
    """locmem that counts the connections opened and refuses some recipients."""

    refuse: set[str] = set()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.opened = 0
        CONNECTIONS.append(self)

    def open(self):
        self.opened += 1
        return super().open()

    def send_messages(self, messages):
        for message in messages:
            if set(message.to) & self.refuse:
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"no")})
        return super().send_messages(messages)


@pytest.fixture
def counting_backend(settings):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CONNECTIONS.clear()
    CountingBackend.refuse = set()
    yield CountingBackend
    CountingBackend.refuse = set()


@pytest.fixture
def quiet_invites(settings):
    """Invites made with emails off, so each test queues and runs its own tasks."""

    def make(count: int) -> list[Invite]:
        settings.INVITES = {"SEND_EMAILS": False}
        created = services.create_invites([f"batch{i}@example.com" for i in range(count)])
        settings.INVITES = {}
        return created

    return make


def pairs(invites) -> list[str]:
    return [f"{invite.pk}:{hash_token(invite.token)}" for invite in invites]


def test_a_batch_loads_its_invites_in_one_query_and_sends_over_one_connection(
    quiet_invites, counting_backend, django_assert_max_num_queries
):
    invites = quiet_invites(50)

    # Transaction, locking SELECT, claim UPDATE, commit, then the sent_at UPDATE: the
    # count does not grow with the batch.
    with django_assert_max_num_queries(6):
        counts = deliver_invite_emails.call(pairs(invites), "created")

    assert counts == {Outcome.SENT: 50}
    assert len(mail.outbox) == 50
    assert [c.opened for c in CONNECTIONS] == [1]
    assert Invite.objects.filter(sent_at__isnull=True).count() == 0
    assert Invite.objects.filter(last_emailed_at__isnull=True).count() == 0


def test_running_a_batch_twice_sends_each_link_once(quiet_invites, counting_backend):
    invites = quiet_invites(3)

    first = deliver_invite_emails.call(pairs(invites), "created")
    second = deliver_invite_emails.call(pairs(invites), "created")

    assert first == {Outcome.SENT: 3}
    assert second == {Outcome.SKIPPED_SENT: 3}
    assert len(mail.outbox) == 3


def test_outcomes_per_invite_in_one_batch(quiet_invites, counting_backend):
    sent, refreshed, accepted, deleted, fine = quiet_invites(5)
    Invite.objects.filter(pk=sent.pk).update(sent_at=timezone.now())
    services.refresh_invite_tokens([refreshed.pk])  # the immediate backend sends it
    services.accept_invite(accepted.token, password="Correct-Horse-42")
    services.delete_invites([deleted.pk])
    mail.outbox.clear()

    outcomes = deliver(
        [*pairs([sent, refreshed, accepted, deleted, fine]), "not-a-uuid:" + "0" * 64],
        "created",
    )

    assert outcomes == {
        str(sent.pk): Outcome.SKIPPED_SENT,
        str(refreshed.pk): Outcome.SKIPPED_STALE,
        str(accepted.pk): Outcome.SKIPPED_ACCEPTED,
        str(deleted.pk): Outcome.SKIPPED_DELETED,
        str(fine.pk): Outcome.SENT,
        "not-a-uuid": Outcome.SKIPPED_MISSING,
    }
    assert [message.to for message in mail.outbox] == [[fine.email]]


def test_a_failed_recipient_is_retried_alone(quiet_invites, counting_backend, database_tasks):
    good, bad, also_good = quiet_invites(3)
    counting_backend.refuse = {bad.email}

    counts = deliver_invite_emails.call(pairs([good, bad, also_good]), "resent")

    assert counts == {Outcome.SENT: 2, Outcome.RETRYING: 1}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([good.email, also_good.email])
    [retry] = DBTaskResult.objects.all()
    assert retry.args_kwargs["args"] == [pairs([bad]), "resent", 2]
    stored = Invite.objects.get(pk=bad.pk)
    assert stored.sent_at is None and stored.last_emailed_at is None


def test_a_refused_connection_fails_the_whole_batch_for_a_retry(
    quiet_invites, database_tasks, settings
):
    invites = quiet_invites(3)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2

    counts = deliver_invite_emails.call(pairs(invites), "created")

    assert counts == {Outcome.RETRYING: 3}
    [retry] = DBTaskResult.objects.all()
    assert retry.args_kwargs["args"][0] == pairs(invites)


def test_the_single_invite_task_of_older_queues_still_runs(quiet_invites, counting_backend):
    [invite] = quiet_invites(1)

    assert deliver_invite_email.call(str(invite.pk), hash_token(invite.token), "created") == (
        Outcome.SENT
    )
    assert deliver_invite_email.call(str(invite.pk), hash_token(invite.token), "created") == (
        Outcome.SKIPPED_SENT
    )
    assert len(mail.outbox) == 1


def test_an_unknown_kind_is_refused(quiet_invites):
    [invite] = quiet_invites(1)
    with pytest.raises(ValueError, match="kind"):
        deliver_invite_emails.call(pairs([invite]), "reminder")


def test_a_deadlocked_claim_runs_again(quiet_invites, counting_backend, monkeypatch):
    from django.db import OperationalError

    from invites import tasks

    [invite] = quiet_invites(1)
    real_claim = tasks._claim
    calls = []

    class Deadlock(Exception):
        sqlstate = "40P01"

    def claim_once_deadlocked(*args):
        calls.append(args)
        if len(calls) == 1:
            raise OperationalError("deadlock detected") from Deadlock()
        return real_claim(*args)

    monkeypatch.setattr(tasks, "_claim", claim_once_deadlocked)

    assert deliver_invite_emails.call(pairs([invite]), "created") == {Outcome.SENT: 1}
    assert len(calls) == 2
    assert len(mail.outbox) == 1


def test_sending_a_batch_uses_no_deprecated_mail_api(quiet_invites, recwarn):
    invites = quiet_invites(2)

    deliver_invite_emails.call(pairs(invites), "created")

    assert len(mail.outbox) == 2
    deprecated = [
        str(warning.message)
        for warning in recwarn
        if "get_connection" in str(warning.message) or "fail_silently" in str(warning.message)
    ]
    assert deprecated == []
