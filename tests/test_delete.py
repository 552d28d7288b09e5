"""`delete_invites`: soft delete, errors, signal."""

from __future__ import annotations

import uuid

import pytest

from invites import services
from invites.exceptions import InviteNotFound
from invites.models import Invite
from invites.signals import invite_deleted
from tests.helpers import snapshot

pytestmark = pytest.mark.django_db


def test_soft_deletes(make_invite, record, django_capture_on_commit_callbacks):
    first, second = make_invite(), make_invite()
    deleted = record(invite_deleted)

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_invites([first.pk, str(second.pk)])

    assert not Invite.objects.filter(pk__in=[first.pk, second.pk]).exists()
    rows = Invite.all_objects.filter(pk__in=[first.pk, second.pk])
    assert all(row.deleted_at is not None for row in rows)
    assert [call["invite"].pk for call in deleted.calls] == [first.pk, second.pk]


@pytest.mark.parametrize("bad", [str(uuid.uuid4()), "garbage", 7])
def test_unknown_or_malformed_changes_nothing(pending_invite, record, bad):
    deleted = record(invite_deleted)
    before = snapshot(pending_invite)
    with pytest.raises(InviteNotFound) as caught:
        services.delete_invites([pending_invite.pk, bad])
    assert caught.value.ids == [bad]
    assert snapshot(pending_invite) == before
    assert deleted.calls == []


def test_already_deleted_is_not_found(deleted_invite):
    with pytest.raises(InviteNotFound) as caught:
        services.delete_invites([deleted_invite.pk])
    assert caught.value.ids == [deleted_invite.pk]


def test_empty_input_does_nothing(pending_invite, record):
    deleted = record(invite_deleted)
    services.delete_invites([])
    assert Invite.objects.filter(pk=pending_invite.pk).exists()
    assert deleted.calls == []
