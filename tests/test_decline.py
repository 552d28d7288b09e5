"""Declining: the invitee says no; the invite is history and is never emailed again."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import TestCase

from invites import services
from invites.exceptions import (
    InvalidInviteToken,
    InviteAlreadyAccepted,
    InviteDeclined,
    InviteNotFound,
)
from invites.models import Invite, InviteStatus
from invites.signals import invite_declined
from tests.helpers import PASSWORD, expire, snapshot
from tests.test_tasks import run_queued, run_worker

pytestmark = pytest.mark.django_db


def test_decline_records_when_and_the_status_says_declined(pending_invite):
    invite = services.decline_invite(pending_invite.token)
    stored = Invite.objects.get(pk=invite.pk)
    assert stored.declined_at is not None
    assert stored.status == InviteStatus.DECLINED
    assert not stored.accepted
    assert list(Invite.objects.with_status("declined")) == [stored]


def test_an_expired_invite_can_be_declined(expired_invite):
    services.decline_invite(expired_invite.token)
    assert Invite.objects.get(pk=expired_invite.pk).is_declined


def test_decline_sends_invite_declined_after_commit(
    pending_invite, record, django_capture_on_commit_callbacks
):
    declined = record(invite_declined)
    with django_capture_on_commit_callbacks(execute=True):
        services.decline_invite(pending_invite.token)
        assert declined.calls == []
    [call] = declined.calls
    assert call["sender"] is Invite
    assert call["invite"].pk == pending_invite.pk


def test_the_token_stops_working(pending_invite):
    services.decline_invite(pending_invite.token)
    with pytest.raises(InviteDeclined) as caught:
        services.accept_invite(pending_invite.token, password=PASSWORD)
    assert caught.value.code == "declined"
    with pytest.raises(InviteDeclined):
        services.check_invite_token(pending_invite.token)
    with pytest.raises(InviteDeclined):
        services.check_invite_link(pending_invite.token)
    with pytest.raises(InviteDeclined):
        services.decline_invite(pending_invite.token)


@pytest.mark.parametrize("token", ["unknown", "", None, 5, "x" * 10_000])
def test_a_bad_token_is_invalid(token):
    with pytest.raises(InvalidInviteToken):
        services.decline_invite(token)


def test_a_deleted_invite_cannot_be_declined(deleted_invite):
    before = snapshot(deleted_invite)
    with pytest.raises(InvalidInviteToken):
        services.decline_invite(deleted_invite.token)
    assert snapshot(deleted_invite) == before


def test_an_accepted_invite_is_refused_as_accepted(make_invite):
    invite = make_invite()
    services.accept_invite(invite.token, password=PASSWORD)
    with pytest.raises(InviteAlreadyAccepted):
        services.decline_invite(invite.token)


def test_refresh_refuses_declined_invites_after_accepted_ones(make_invite):
    declined, accepted, pending = make_invite(), make_invite(), make_invite()
    services.decline_invite(declined.token)
    services.accept_invite(accepted.token, password=PASSWORD)
    before = snapshot(declined, accepted, pending)

    with pytest.raises(InviteAlreadyAccepted):
        services.refresh_invite_tokens([pending.pk, declined.pk, accepted.pk])
    with pytest.raises(InviteDeclined) as caught:
        services.refresh_invite_tokens([pending.pk, str(declined.pk)])
    assert caught.value.ids == [str(declined.pk)]
    with pytest.raises(InviteNotFound):
        services.refresh_invite_tokens([declined.pk, "nope"])
    with pytest.raises(InviteDeclined):
        services.check_refreshable([declined.pk])
    assert snapshot(declined, accepted, pending) == before


def test_a_declined_invite_gets_no_reminder_and_no_recovery_email(make_invite, dummy_tasks):
    declined, pending = make_invite("no@example.com"), make_invite("yes@example.com")
    expire(declined)
    expire(pending)
    services.decline_invite(declined.token)
    dummy_tasks.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("refresh_invites", "--expired", stdout=io.StringIO())
        call_command("send_invite_emails", "--stale-after", "0s", stdout=io.StringIO())
    queued = [arg for result in dummy_tasks.results for arg in result.args[0]]
    assert queued and all(arg.startswith(str(pending.pk)) for arg in queued)


def test_a_queued_email_of_an_invite_declined_meanwhile_is_not_sent(
    make_invite, dummy_tasks, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite = make_invite()
    assert dummy_tasks.results  # its email is queued
    services.decline_invite(invite.token)
    outcomes = run_queued(dummy_tasks)
    assert mailoutbox == []
    assert outcomes == [{"skipped: invite declined": 1}]


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_skips_a_declined_invite(database_tasks, mailoutbox):
    declined, _pending = services.create_invites(["no@example.com", "yes@example.com"])
    services.decline_invite(declined.token)
    run_worker()
    assert [message.to for message in mailoutbox] == [["yes@example.com"]]
