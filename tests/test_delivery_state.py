"""Each invite's delivery state, and every write about a link keyed on that link."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from invites import delivery, services
from invites.models import Invite
from invites.tasks import Outcome, deliver_invite_email, deliver_invite_emails
from invites.tokens import hash_token
from tests import mail_backends

pytestmark = pytest.mark.django_db

FAILING = "tests.mail_backends.TemporaryFailureBackend"


@pytest.fixture
def failing_smtp(settings):
    """Every message answered with a 451; hooks in `mail_backends.on_send` run first."""
    settings.EMAIL_BACKEND = FAILING
    yield mail_backends.on_send
    mail_backends.on_send.clear()


def state(invite: Invite) -> tuple[str, int, str]:
    stored = Invite.objects.get(pk=invite.pk)
    return stored.delivery_status, stored.delivery_attempts, stored.delivery_error


def test_created_invites_are_queued_and_a_send_marks_them_sent(
    make_invite, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invite = make_invite()
    assert state(invite) == ("queued", 0, "")

    for callback in callbacks:  # the immediate backend sends once the create commits
        callback()

    assert len(mailoutbox) == 1
    assert state(invite) == ("sent", 1, "")


def test_without_emails_an_invite_is_not_sent(settings, dummy_tasks):
    settings.INVITES = {"SEND_EMAILS": False}
    [invite] = services.create_invites(["quiet@example.com"])

    assert state(invite) == ("not_sent", 0, "")


def test_a_failure_records_its_class_and_code_never_the_reply(
    pending_invite, database_tasks, failing_smtp
):
    outcome = deliver_invite_email.call(str(pending_invite.pk), pending_invite.token_hash, "resent")

    assert outcome == Outcome.RETRYING
    assert state(pending_invite) == ("retrying", 1, "SMTPDataError 451")


def test_a_refresh_resets_the_delivery_state(pending_invite, database_tasks, failing_smtp):
    deliver_invite_email.call(str(pending_invite.pk), pending_invite.token_hash, "resent")

    services.refresh_invite_tokens([pending_invite.pk])

    assert state(pending_invite) == ("queued", 0, "")


def test_a_failed_old_link_writes_nothing_on_the_new_one(
    pending_invite, database_tasks, failing_smtp
):
    old = Invite.objects.get(pk=pending_invite.pk)
    refreshed: list[Invite] = []
    # The refresh commits while the old link's email is on its way, then the server
    # answers 451: the retry and the failure are the old link's, not the new one's.
    failing_smtp.append(
        lambda message: refreshed.extend(services.refresh_invite_tokens([pending_invite.pk]))
    )

    outcome = deliver_invite_email.call(str(old.pk), old.token_hash, "resent")

    assert outcome == Outcome.RETRYING
    stored = Invite.objects.get(pk=old.pk)
    assert stored.token_hash == hash_token(refreshed[0].token)
    assert (stored.delivery_status, stored.delivery_attempts, stored.delivery_error) == (
        "queued",
        0,
        "",
    )
    # The new link counts as just queued (by its refresh), not as due at the retry time.
    assert stored.queued_at <= timezone.now()
    # The claim's cooldown stamp stays (it is the invite's, and the link moved on): the
    # new link waits at most one cooldown, and never loses its email.
    assert stored.last_emailed_at is not None
    arguments = [task.args_kwargs["args"][0] for task in DBTaskResult.objects.all()]
    assert [f"{old.pk}:{stored.token_hash}"] in arguments  # the new link's own task
    assert [f"{old.pk}:{old.token_hash}"] in arguments  # the old link's retry


def test_stale_after_0s_queues_links_in_backoff(pending_invite, database_tasks, failing_smtp):
    deliver_invite_email.call(str(pending_invite.pk), pending_invite.token_hash, "resent")
    assert Invite.objects.get(pk=pending_invite.pk).queued_at > timezone.now()  # in backoff
    now = timezone.now()

    assert delivery.unsent_invites(timedelta(minutes=10), now=now).count() == 0
    assert delivery.unsent_invites(timedelta(0), now=now).count() == 1
    assert "Would queue 1 invite email" in command("--stale-after", "0s", "--dry-run")
    assert "Queued 1 invite email." in command("--stale-after", "0s")
    assert state(pending_invite)[0] == "queued"


def test_the_last_retry_marks_failed(pending_invite, database_tasks, failing_smtp, settings):
    settings.INVITES = {"EMAIL_RETRY_DELAYS": (0,)}
    deliver_invite_email.call(str(pending_invite.pk), pending_invite.token_hash, "resent")
    [retry] = DBTaskResult.objects.all()

    outcome = deliver_invite_emails.call(*retry.args_kwargs["args"])

    assert outcome == {Outcome.FAILED: 1}
    assert state(pending_invite) == ("failed", 2, "SMTPDataError 451")


def test_one_summary_line_per_batch(make_invite, settings, database_tasks, caplog):
    settings.INVITES = {"SEND_EMAILS": False}
    invites = [make_invite() for _ in range(5)]
    settings.EMAIL_BACKEND = FAILING

    with caplog.at_level(logging.INFO, logger="invites.tasks"):
        deliver_invite_emails.call([f"{i.pk}:{i.token_hash}" for i in invites], "created")

    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "0 sent, 5 retrying, 0 failed" in record.getMessage()
    assert "SMTPDataError 451: 5" in record.getMessage()
    assert "try again later" not in caplog.text and "https://" not in caplog.text


def test_status_prints_counts_per_state(make_invite, settings, database_tasks):
    settings.INVITES = {"SEND_EMAILS": False}
    quiet, failed, queued = make_invite(), make_invite(), make_invite()
    Invite.objects.filter(pk=failed.pk).update(delivery_status="failed")
    Invite.objects.filter(pk=queued.pk).update(delivery_status="queued")

    lines = command("--status").splitlines()

    counts = {line.split()[0]: int(line.split()[1]) for line in lines[1:]}
    assert counts == {
        "not_sent": 1,
        "queued": 1,
        "sent": 0,
        "retrying": 0,
        "failed": 1,
        "bounced": 0,
    }
    assert not DBTaskResult.objects.exists()  # --status queues nothing
    assert quiet


def command(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("send_invite_emails", *args, stdout=out)
    return out.getvalue()
