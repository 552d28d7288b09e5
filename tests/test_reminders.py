"""The reminders cron recipe: remind lapsed or lapsing invitees, never twice within a period."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import TestCase

from invites import services
from invites.models import Invite
from tests.test_tasks import run_queued, token_in

pytestmark = pytest.mark.django_db

DAY0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
# The recipe of docs/emails.md, run nightly at 02:00.
RECIPE = ["--expired", "--expiring-within", "12h", "--not-emailed-within", "3d"]


def nightly(*options: str) -> None:
    # The task queue here is outside the database: tasks go out after each commit.
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("refresh_invites", *options, stdout=io.StringIO())


def create(email: str) -> Invite:
    with TestCase.captureOnCommitCallbacks(execute=True):
        [invite] = services.create_invites([email])
    return invite


def test_nightly_reminders_reach_everyone_but_never_twice_within_the_period(
    dummy_tasks, mailoutbox
):
    sent_on: list[datetime] = []
    with time_machine.travel(DAY0, tick=False) as clock:
        invite = create("remind-me@example.com")
        run_queued(dummy_tasks)
        sent_on.append(DAY0)
        for night in range(1, 11):
            dummy_tasks.clear()
            now = DAY0.replace(hour=2) + timedelta(days=night)
            clock.move_to(now)
            before = len(mailoutbox)
            nightly(*RECIPE)
            run_queued(dummy_tasks)
            if len(mailoutbox) > before:
                sent_on.append(now)

    assert [when.day - DAY0.day for when in sent_on] == [0, 4, 7, 10]
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent_on)]
    assert min(gaps) >= timedelta(days=3)
    stored = Invite.objects.get(pk=invite.pk)
    assert token_in(mailoutbox[-1]) and stored.sent_at is not None


def test_without_the_option_every_night_emails_everyone(dummy_tasks, mailoutbox):
    with time_machine.travel(DAY0, tick=False) as clock:
        create("daily@example.com")
        run_queued(dummy_tasks)
        for night in range(1, 4):
            dummy_tasks.clear()
            clock.move_to(DAY0.replace(hour=2) + timedelta(days=night))
            nightly("--expired", "--expiring-within", "1d")
            run_queued(dummy_tasks)

    assert len(mailoutbox) == 4  # what the option is for


def test_explicit_ids_are_refreshed_whatever_the_option(dummy_tasks, make_invite):
    invite = make_invite()
    Invite.objects.filter(pk=invite.pk).update(last_emailed_at=Invite.objects.get().created_at)

    nightly(str(invite.pk), "--not-emailed-within", "30d")

    assert Invite.objects.get(pk=invite.pk).token_hash != invite.token_hash
