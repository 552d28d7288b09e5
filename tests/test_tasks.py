"""The email tasks: send the newest link only, never store a token, survive SMTP."""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.mail.backends import locmem
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from invites import services
from invites.conf import invites_settings
from invites.exceptions import InvalidInviteToken
from invites.models import Invite
from invites.tasks import (
    Outcome,
    deliver_invite_email,
    deliver_invite_emails,
    retry_delay,
)
from invites.tokens import hash_token
from tests.helpers import PASSWORD, expire

pytestmark = pytest.mark.django_db

LINK_RE = r"https://invites\.example\.com/invites/accept/\?token=[A-Za-z0-9_-]+"


def token_in(message) -> str:
    """Follow the link of an invite email: the token its URL carries."""
    [link] = {match.group() for match in _links(message.body)}
    [html, _mimetype] = message.alternatives[0]
    assert link in html
    return parse_qs(urlsplit(link).query)["token"][0]


def _links(text: str) -> Iterator[re.Match[str]]:
    return re.finditer(LINK_RE, text)


def run_queued(backend) -> list[dict[str, int]]:
    """Run every task the dummy backend recorded, in order, as a worker would."""
    return [result.task.call(*result.args, **result.kwargs) for result in backend.results]


def run_worker() -> None:
    """A real django-tasks-db worker, run until no task is due."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="pytest",
        excluded_queue_names=[],
    ).run()


# --- the whole chain: service, receiver, task, email, accept -------------------------


def test_created_invite_gets_one_email_whose_link_accepts_it(
    immediate_tasks, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [invite] = services.create_invites(["newcomer@example.com"])

    [message] = mailoutbox
    assert message.to == ["newcomer@example.com"]
    assert message.subject == "You are invited to join invites.example.com"
    token = token_in(message)
    assert token == invite.token
    user = services.accept_invite(token, password=PASSWORD)
    assert user.email == "newcomer@example.com"


def test_resent_email_carries_the_new_link_and_the_old_one_is_dead(
    immediate_tasks, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [invite] = services.create_invites(["again@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        services.refresh_invite_tokens([invite.pk])

    first, second = mailoutbox
    assert second.subject == "Your new invitation link for invites.example.com"
    with pytest.raises(InvalidInviteToken):
        services.accept_invite(token_in(first), password=PASSWORD)
    assert services.accept_invite(token_in(second), password=PASSWORD).email == invite.email


# --- sent_at: when the current link went out ------------------------------------------


class RefreshingEmailBackend(locmem.EmailBackend):
    """Refreshes each recipient's invite while its email goes out: that link is superseded."""

    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages)
        for message in email_messages:
            for address in message.to:
                services.refresh_invite_tokens([Invite.objects.get(email=address).pk])
        return sent


def test_sending_the_current_link_sets_sent_at(make_invite, dummy_tasks, mailoutbox):
    invite = make_invite()
    assert Invite.objects.get(pk=invite.pk).sent_at is None
    before = timezone.now()

    deliver_invite_email.call(str(invite.pk), hash_token(invite.token), "created")

    [message] = mailoutbox
    assert token_in(message) == invite.token
    stored = Invite.objects.get(pk=invite.pk)
    assert before <= stored.sent_at <= timezone.now()
    assert stored.token_hash == hash_token(invite.token)


def test_a_superseded_send_does_not_mark_the_new_link_sent(
    settings, make_invite, dummy_tasks, mailoutbox
):
    settings.EMAIL_BACKEND = f"{__name__}.RefreshingEmailBackend"
    invite = make_invite()

    outcome = deliver_invite_email.call(str(invite.pk), hash_token(invite.token), "created")

    assert outcome == Outcome.SENT
    [message] = mailoutbox
    assert token_in(message) == invite.token
    stored = Invite.objects.get(pk=invite.pk)
    assert stored.token_hash != hash_token(invite.token)  # refreshed while sending
    assert stored.sent_at is None


def test_a_failed_or_stale_send_leaves_sent_at_unset(pending_invite, smtp_down):
    stale = hash_token(pending_invite.token)
    [refreshed] = services.refresh_invite_tokens([pending_invite.pk])

    assert deliver_invite_email.call(str(pending_invite.pk), stale, "created") == (
        Outcome.SKIPPED_STALE
    )
    current = hash_token(refreshed.token)
    assert deliver_invite_email.call(str(pending_invite.pk), current, "resent") == Outcome.FAILED
    assert Invite.objects.get(pk=pending_invite.pk).sent_at is None


# --- nothing but the newest link -----------------------------------------------------


def test_task_queued_before_another_refresh_sends_nothing(
    make_invite, dummy_tasks, mailoutbox, django_capture_on_commit_callbacks
):
    invite = make_invite()
    with django_capture_on_commit_callbacks(execute=True):
        services.refresh_invite_tokens([invite.pk])
        services.refresh_invite_tokens([invite.pk])
        [newest] = services.refresh_invite_tokens([invite.pk])

    assert run_queued(dummy_tasks) == [{Outcome.SKIPPED_STALE: 1}] * 2 + [{Outcome.SENT: 1}]
    [message] = mailoutbox
    assert token_in(message) == newest.token
    assert services.accept_invite(newest.token, password=PASSWORD).email == invite.email


@pytest.mark.parametrize(
    ("state", "outcome"),
    [
        ("accepted", Outcome.SKIPPED_ACCEPTED),
        ("deleted", Outcome.SKIPPED_DELETED),
        ("expired", Outcome.SKIPPED_EXPIRED),
        ("purged", Outcome.SKIPPED_MISSING),
    ],
)
def test_task_for_an_invite_that_moved_on_sends_nothing(
    make_invite, dummy_tasks, mailoutbox, django_capture_on_commit_callbacks, state, outcome
):
    with django_capture_on_commit_callbacks(execute=True):
        [invite] = services.create_invites(["moved-on@example.com"])
    if state == "accepted":
        services.accept_invite(invite.token, password=PASSWORD)
    elif state == "deleted":
        services.delete_invites([invite.pk])
    elif state == "expired":
        expire(invite)
    else:
        Invite.all_objects.filter(pk=invite.pk).delete()

    assert run_queued(dummy_tasks) == [{outcome: 1}]
    assert mailoutbox == []


def test_rotated_secret_key_uses_the_fallback(settings, pending_invite, mailoutbox):
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-secret-key-0123456789-abcdefghijklmnop"
    settings.SECRET_KEY_FALLBACKS = [old_key]

    outcome = deliver_invite_email.call(str(pending_invite.pk), pending_invite.token_hash, "resent")

    assert outcome == Outcome.SENT
    assert token_in(mailoutbox[0]) == pending_invite.token


def test_rotated_secret_key_without_fallback_sends_nothing(
    settings, pending_invite, mailoutbox, caplog
):
    settings.SECRET_KEY = "a-brand-new-secret-key-0123456789-abcdefghijklmnop"
    settings.SECRET_KEY_FALLBACKS = []

    with caplog.at_level(logging.ERROR, logger="invites.tasks"):
        outcome = deliver_invite_email.call(
            str(pending_invite.pk), pending_invite.token_hash, "resent"
        )

    assert outcome == Outcome.UNREBUILDABLE
    assert mailoutbox == []
    assert str(pending_invite.pk) in caplog.text


# --- the database backend: what is stored, and a real worker -------------------------


def test_no_raw_token_is_stored_in_the_task_table(
    make_invite, database_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = services.create_invites([f"stored{i}@example.com" for i in range(5)])
        first = services.refresh_invite_tokens([invite.pk for invite in created])
        second = services.refresh_invite_tokens([invite.pk for invite in created[:2]])
    minted = [invite.token for invite in [*created, *first, *second]]
    assert len(set(minted)) == 12

    rows = list(DBTaskResult.objects.order_by("enqueued_at").values())
    assert len(rows) == 3  # one task per batch
    assert [row["args_kwargs"]["args"] for row in rows] == [
        [[f"{invite.pk}:{hash_token(invite.token)}" for invite in invites], kind]
        for invites, kind in ((created, "created"), (first, "resent"), (second, "resent"))
    ]
    dump = json.dumps(rows, default=str)
    assert [token for token in minted if token in dump] == []


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_only_the_newest_links(database_tasks, mailoutbox):
    created = services.create_invites(["w1@example.com", "w2@example.com"])
    newest = {invite.pk: invite.token for invite in services.refresh_invite_tokens([created[0].pk])}
    newest[created[1].pk] = created[1].token
    assert DBTaskResult.objects.ready().count() == 2  # one per batch: create, refresh
    assert mailoutbox == []  # queued, not sent

    run_worker()

    assert DBTaskResult.objects.successful().count() == 2
    assert list(
        DBTaskResult.objects.order_by("enqueued_at").values_list("return_value", flat=True)
    ) == [{Outcome.SKIPPED_STALE: 1, Outcome.SENT: 1}, {Outcome.SENT: 1}]
    assert all(invite.sent_at for invite in Invite.objects.all())
    assert {message.to[0]: token_in(message) for message in mailoutbox} == {
        "w1@example.com": newest[created[0].pk],
        "w2@example.com": newest[created[1].pk],
    }
    dump = json.dumps(list(DBTaskResult.objects.values()), default=str)
    assert [t for t in [*newest.values(), created[0].token] if t in dump] == []


# --- delivery failures ---------------------------------------------------------------


@pytest.fixture
def smtp_down(settings) -> int:
    """Point Django's SMTP backend at a local port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 2
    return port


@pytest.fixture
def smtp_silent(settings) -> Iterator[int]:
    """An SMTP server that accepts the connection and never answers: a timeout."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.getsockname()[1]
        settings.EMAIL_TIMEOUT = 0.3
        yield settings.EMAIL_PORT


@pytest.mark.django_db(transaction=True)
def test_smtp_down_never_undoes_the_refresh_nor_raises(
    make_invite, immediate_tasks, smtp_down, caplog
):
    invite = make_invite()

    with caplog.at_level(logging.INFO, logger="invites"):
        [refreshed] = services.refresh_invite_tokens([invite.pk])

    assert Invite.objects.get(pk=invite.pk).token_hash == hash_token(refreshed.token)
    assert "ConnectionRefusedError" in caplog.text
    assert "wait until send_invite_emails or refresh_invites queues them" in caplog.text
    assert refreshed.token not in caplog.text
    assert "token=" not in caplog.text


def test_smtp_timeout_is_a_delivery_failure(pending_invite, immediate_tasks, smtp_silent, caplog):
    with caplog.at_level(logging.ERROR, logger="invites.tasks"):
        outcome = deliver_invite_email.call(
            str(pending_invite.pk), pending_invite.token_hash, "created"
        )

    assert outcome == Outcome.FAILED
    assert "SMTPServerDisconnected" in caplog.text  # how smtplib reports the timeout
    assert pending_invite.token not in caplog.text


def test_failure_with_a_deferring_backend_queues_a_later_retry(
    pending_invite, database_tasks, smtp_down
):
    before = timezone.now()
    outcome = deliver_invite_email.call(str(pending_invite.pk), pending_invite.token_hash, "resent")

    assert outcome == Outcome.RETRYING
    [retry] = DBTaskResult.objects.all()
    assert retry.task.func is deliver_invite_emails.func
    assert retry.args_kwargs["args"] == [
        [f"{pending_invite.pk}:{pending_invite.token_hash}"],
        "resent",
        2,
    ]
    assert retry.run_after >= before + retry_delay(1)
    assert not DBTaskResult.objects.ready().exists()  # not due yet
    stored = Invite.objects.get(pk=pending_invite.pk)
    assert stored.queued_at == retry.run_after  # send_invite_emails waits for it
    assert stored.last_emailed_at is None  # nothing went out: no cooldown starts


def test_the_last_attempt_gives_up_without_queueing(pending_invite, database_tasks, smtp_down):
    last = len(invites_settings.EMAIL_RETRY_DELAYS) + 1
    outcome = deliver_invite_email.call(
        str(pending_invite.pk), pending_invite.token_hash, "resent", last
    )

    assert outcome == Outcome.FAILED
    assert not DBTaskResult.objects.exists()
    stored = Invite.objects.get(pk=pending_invite.pk)
    assert (stored.delivery_status, stored.delivery_error) == ("failed", "ConnectionRefusedError")


def test_retry_delays_come_from_the_setting(pending_invite, database_tasks, smtp_down, settings):
    settings.INVITES = {"EMAIL_RETRY_DELAYS": (2, timedelta(seconds=5))}
    before = timezone.now()
    deliver_invite_email.call(str(pending_invite.pk), pending_invite.token_hash, "resent")
    deliver_invite_email.call(str(pending_invite.pk), pending_invite.token_hash, "resent", 2)
    outcome = deliver_invite_email.call(
        str(pending_invite.pk), pending_invite.token_hash, "resent", 3
    )

    assert outcome == Outcome.FAILED  # two retries, then no more
    waits = [
        (retry.run_after - before).total_seconds()
        for retry in DBTaskResult.objects.order_by("run_after")
    ]
    assert [round(wait) for wait in waits] == [2, 5]
    stored = Invite.objects.get(pk=pending_invite.pk)
    assert (stored.delivery_status, stored.delivery_attempts) == ("failed", 3)


def test_a_retry_sends_once_smtp_is_back(pending_invite, mailoutbox):
    outcome = deliver_invite_email.call(
        str(pending_invite.pk), pending_invite.token_hash, "resent", 2
    )

    assert outcome == Outcome.SENT
    assert token_in(mailoutbox[0]) == pending_invite.token


def test_backoff_grows_by_default():
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=1),
        timedelta(minutes=4),
        timedelta(minutes=16),
        None,
    ]
