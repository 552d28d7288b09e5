"""`EMAIL_COOLDOWN`: at most one email per invitee per cooldown, deferred, never dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from invites import services
from invites.checks import check_settings
from invites.conf import invites_settings
from invites.models import Invite
from invites.tasks import Outcome
from invites.tokens import hash_token
from tests.test_tasks import run_worker, token_in

pytestmark = pytest.mark.django_db
# A real worker closes the connection between tasks (as Django does between requests),
# which would end a test's enclosing transaction.
with_worker = pytest.mark.django_db(transaction=True)

START = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


@with_worker
def test_100_resends_within_a_minute_send_two_emails_the_last_with_the_newest_link(
    database_tasks, mailoutbox
):
    with time_machine.travel(START, tick=False) as clock:
        [invite] = services.create_invites(["burst@example.com"])
        run_worker()
        assert len(mailoutbox) == 1  # the invitation itself
        for _resend in range(100):
            clock.shift(timedelta(seconds=0.5))
            [newest] = services.refresh_invite_tokens([invite.pk])
            run_worker()  # workers keep up: each resend's task runs (and is deferred)
        assert len(mailoutbox) == 1
        assert Invite.objects.get(pk=invite.pk).queued_at == START + timedelta(seconds=60)

        clock.move_to(START + timedelta(seconds=60))
        run_worker()

    _first, last = mailoutbox
    assert token_in(last) == newest.token
    stored = Invite.objects.get(pk=invite.pk)
    assert stored.token_hash == hash_token(newest.token)
    assert stored.sent_at == START + timedelta(seconds=60)
    assert not DBTaskResult.objects.ready().exists()
    assert not DBTaskResult.objects.filter(status="READY").exists()  # nothing left behind


@with_worker
def test_a_resend_after_the_cooldown_goes_out_at_once(database_tasks, mailoutbox):
    with time_machine.travel(START, tick=False) as clock:
        [invite] = services.create_invites(["later@example.com"])
        run_worker()
        clock.shift(timedelta(seconds=61))
        [newest] = services.refresh_invite_tokens([invite.pk])
        run_worker()

    assert [token_in(message) for message in mailoutbox] == [invite.token, newest.token]


@with_worker
def test_the_deferred_task_waits_for_the_cooldown_to_end(database_tasks, mailoutbox, settings):
    settings.INVITES = {"EMAIL_COOLDOWN": timedelta(minutes=10)}
    with time_machine.travel(START, tick=False) as clock:
        [invite] = services.create_invites(["wait@example.com"])
        run_worker()
        clock.shift(timedelta(minutes=1))
        services.refresh_invite_tokens([invite.pk])
        run_worker()
        [deferred] = DBTaskResult.objects.filter(status="READY")
        assert deferred.run_after == START + timedelta(minutes=10)
        assert list(
            DBTaskResult.objects.exclude(pk=deferred.pk)
            .order_by("enqueued_at")
            .values_list("return_value", flat=True)
        ) == [{Outcome.SENT: 1}, {Outcome.DEFERRED: 1}]

        clock.move_to(START + timedelta(minutes=9, seconds=59))
        run_worker()
        assert len(mailoutbox) == 1
        clock.move_to(START + timedelta(minutes=10))
        run_worker()

    assert len(mailoutbox) == 2


@with_worker
def test_cooldown_zero_turns_it_off(database_tasks, mailoutbox, settings):
    settings.INVITES = {"EMAIL_COOLDOWN": 0}
    [invite] = services.create_invites(["eager@example.com"])
    run_worker()
    for _resend in range(3):
        services.refresh_invite_tokens([invite.pk])
        run_worker()

    assert len(mailoutbox) == 4


@pytest.mark.django_db(transaction=True)
def test_a_backend_that_cannot_defer_sends_rather_than_drops(immediate_tasks, mailoutbox):
    [invite] = services.create_invites(["inline@example.com"])
    [newest] = services.refresh_invite_tokens([invite.pk])

    assert [token_in(message) for message in mailoutbox] == [invite.token, newest.token]


def test_the_setting_takes_a_timedelta_or_seconds(settings):
    cooldowns = [invites_settings.EMAIL_COOLDOWN]
    settings.INVITES = {"EMAIL_COOLDOWN": 90}
    cooldowns.append(invites_settings.EMAIL_COOLDOWN)
    settings.INVITES = {"EMAIL_COOLDOWN": timedelta(minutes=5)}
    cooldowns.append(invites_settings.EMAIL_COOLDOWN)

    assert cooldowns == [timedelta(seconds=60), timedelta(seconds=90), timedelta(minutes=5)]


@pytest.mark.parametrize("value", ["60", -1, timedelta(seconds=-1), True, None])
def test_a_bad_cooldown_is_a_system_check_error(settings, value):
    settings.INVITES = {"EMAIL_COOLDOWN": value}
    assert [message.id for message in check_settings()] == ["invites.E020"]


@pytest.mark.parametrize("value", [0, 30, 2.5, timedelta(0), timedelta(hours=1)])
def test_good_cooldowns_pass(settings, value):
    settings.INVITES = {"EMAIL_COOLDOWN": value}
    assert check_settings() == []
