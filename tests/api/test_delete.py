"""Soft-deleting an invite through the API."""

from __future__ import annotations

import pytest

from invites.models import Invite
from invites.signals import invite_deleted
from tests.api.helpers import BAD_IDS, detail

pytestmark = pytest.mark.django_db


def test_delete_soft_deletes(api_admin, pending_invite, record, django_capture_on_commit_callbacks):
    deleted = record(invite_deleted)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_admin.delete(detail(pending_invite))

    assert response.status_code == 204
    assert response.content == b""
    assert not Invite.objects.filter(pk=pending_invite.pk).exists()
    assert Invite.all_objects.get(pk=pending_invite.pk).deleted_at is not None
    assert [call["invite"].pk for call in deleted.calls] == [pending_invite.pk]
    assert api_admin.get(detail(pending_invite)).status_code == 404


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_delete_unknown_or_malformed_id_is_404(api_admin, pending_invite, bad_id, nothing_changes):
    with nothing_changes(pending_invite):
        response = api_admin.delete(detail(bad_id))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_delete_deleted_invite_is_404(api_admin, deleted_invite, nothing_changes):
    with nothing_changes(deleted_invite):
        assert api_admin.delete(detail(deleted_invite)).status_code == 404
