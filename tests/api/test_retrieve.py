"""Reading one invite through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from invites.models import Invite
from tests.api.helpers import BAD_IDS, INVITE_KEYS, detail, resend

pytestmark = pytest.mark.django_db


def test_retrieve_returns_the_invite_with_a_null_token(api_admin, expired_invite):
    response = api_admin.get(detail(expired_invite))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == INVITE_KEYS
    assert body["id"] == str(expired_invite.pk)
    assert body["token"] is None
    assert body["status"] == "expired"
    assert body["sent_at"] is None


def test_retrieve_shows_when_the_current_link_was_sent(api_admin, pending_invite):
    sent_at = timezone.now() - timedelta(minutes=3)
    Invite.objects.filter(pk=pending_invite.pk).update(sent_at=sent_at)

    body = api_admin.get(detail(pending_invite)).json()

    assert parse_datetime(body["sent_at"]) == sent_at


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_retrieve_unknown_or_malformed_id_is_404(api_admin, bad_id):
    response = api_admin.get(detail(bad_id))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("spelling", ["{%s}", "urn:uuid:%s"])
def test_retrieve_and_resend_read_ids_alike(api_admin, pending_invite, spelling):
    """A spelling the services do not take is not found by any endpoint."""
    odd = spelling % pending_invite.pk
    assert api_admin.get(detail(odd)).status_code == 404
    assert api_admin.post(resend(odd)).status_code == 404


def test_retrieve_deleted_invite_is_404(api_admin, deleted_invite):
    assert api_admin.get(detail(deleted_invite)).status_code == 404


def test_retrieve_shows_the_delivery_state(api_admin, pending_invite):
    sent_at = timezone.now() - timedelta(minutes=3)
    Invite.objects.filter(pk=pending_invite.pk).update(
        sent_at=sent_at, delivery_status="bounced", delivery_attempts=2, delivery_error="hard"
    )

    delivery = api_admin.get(detail(pending_invite)).json()["delivery"]

    assert parse_datetime(delivery.pop("sent_at")) == sent_at
    assert delivery == {"status": "bounced", "attempts": 2, "error": "hard"}
