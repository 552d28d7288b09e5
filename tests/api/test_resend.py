"""Resending an invite: a new token, the old one revoked."""

from __future__ import annotations

import pytest

from invites.models import Invite
from invites.signals import invite_resent
from invites.tokens import hash_token
from tests.api.helpers import BAD_IDS, INVITE_KEYS, detail, resend

pytestmark = pytest.mark.django_db


def test_resend_returns_a_new_working_token_and_revokes_the_old(
    api_admin, pending_invite, record, django_capture_on_commit_callbacks
):
    resent = record(invite_resent)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_admin.post(resend(pending_invite))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == INVITE_KEYS
    assert body["token"] and body["token"] != pending_invite.token
    assert [call["token"] for call in resent.calls] == [body["token"]]
    assert Invite.objects.get(pk=pending_invite.pk).token_hash == hash_token(body["token"])
    assert api_admin.get(detail(pending_invite)).json()["token"] is None


def test_resend_makes_an_expired_invite_pending(api_admin, expired_invite):
    response = api_admin.post(resend(expired_invite))
    assert response.status_code == 200
    assert response.json()["status"] == "pending"


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_resend_unknown_or_malformed_id_is_404(api_admin, pending_invite, bad_id, nothing_changes):
    with nothing_changes(pending_invite):
        response = api_admin.post(resend(bad_id))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_resend_deleted_invite_is_404(api_admin, deleted_invite, nothing_changes):
    with nothing_changes(deleted_invite):
        assert api_admin.post(resend(deleted_invite)).status_code == 404


def test_resend_accepted_invite_is_409(api_admin, accepted_invite, nothing_changes):
    with nothing_changes(accepted_invite):
        response = api_admin.post(resend(accepted_invite))
    assert response.status_code == 409
    assert response.json()["code"] == "already_accepted"
    assert response.json()["ids"] == [str(accepted_invite.pk)]
