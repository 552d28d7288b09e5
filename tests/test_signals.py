"""Signals are robust: a raising receiver is logged and isolated."""

from __future__ import annotations

import logging

import pytest

from invites import services
from invites.models import Invite
from invites.signals import invite_accepted, invite_created, invite_deleted, invite_resent
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def broken_receiver(sender, **kwargs):
    raise Boom("receiver bug")


@pytest.fixture
def broken(request):
    signal = request.param
    signal.connect(broken_receiver, weak=False)
    yield signal
    signal.disconnect(broken_receiver)


@pytest.mark.parametrize("broken", [invite_resent], indirect=True)
def test_raising_receiver_is_logged_and_others_still_run(
    broken, pending_invite, record, caplog, django_capture_on_commit_callbacks
):
    later = record(invite_resent)  # connected after the broken one

    with (
        caplog.at_level(logging.ERROR, logger="invites"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        [refreshed] = services.refresh_invite_tokens([pending_invite.pk])

    assert [call["invite"].pk for call in later.calls] == [pending_invite.pk]
    assert Invite.objects.get(pk=pending_invite.pk).token_hash == refreshed.token_hash
    failures = [r for r in caplog.records if r.name == "invites.signals"]
    assert len(failures) == 1
    assert str(pending_invite.pk) in failures[0].getMessage()
    assert failures[0].exc_info[0] is Boom
    # The raw token must not reach the log.
    assert refreshed.token not in caplog.text


@pytest.mark.parametrize("broken", [invite_created, invite_accepted, invite_deleted], indirect=True)
def test_every_service_survives_a_raising_receiver(broken, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [invite] = services.create_invites(["robust@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        user = services.accept_invite(invite.token, password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_invites([invite.pk])

    assert user.pk is not None
    assert Invite.all_objects.get(pk=invite.pk).deleted_at is not None


def test_signals_carry_the_documented_keyword_arguments(record, django_capture_on_commit_callbacks):
    calls = {
        signal: record(signal)
        for signal in (invite_created, invite_resent, invite_accepted, invite_deleted)
    }
    with django_capture_on_commit_callbacks(execute=True):
        [invite] = services.create_invites(["kw@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        [invite] = services.refresh_invite_tokens([invite.pk])
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_invite(invite.token, password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_invites([invite.pk])

    def keys(signal):
        return [sorted(call) for call in calls[signal].calls]

    assert keys(invite_created) == [["invite", "sender", "token"]]
    assert keys(invite_resent) == [["invite", "sender", "token"]]
    assert keys(invite_accepted) == [["created", "invite", "sender", "user"]]
    assert keys(invite_deleted) == [["invite", "sender"]]
    assert all(call["sender"] is Invite for rec in calls.values() for call in rec.calls)
