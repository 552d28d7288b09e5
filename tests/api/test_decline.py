"""Declining an invite through the public endpoint; what a declined invite refuses."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from invites import services
from invites.models import Invite
from invites.signals import invite_declined
from tests.api.helpers import ACCEPT, LIST, REFRESH, client_for, post_json, resend
from tests.helpers import PASSWORD, expire

pytestmark = pytest.mark.django_db
User = get_user_model()
DECLINE = "/api/invites/decline/"


@pytest.fixture
def declined(make_invite):
    invite = make_invite("no@example.com")
    services.decline_invite(invite.token)
    return invite


def test_decline_answers_the_declined_invite(
    pending_invite, record, django_capture_on_commit_callbacks
):
    declined_calls = record(invite_declined)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(APIClient(), DECLINE, {"token": pending_invite.token})

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["token"]) == (str(pending_invite.pk), "declined", None)
    assert body["declined_at"] is not None
    assert pending_invite.token not in response.content.decode()
    assert Invite.objects.get(pk=pending_invite.pk).status == "declined"
    assert [call["invite"].pk for call in declined_calls.calls] == [pending_invite.pk]


def test_decline_works_on_an_expired_invite(expired_invite):
    response = post_json(APIClient(), DECLINE, {"token": expired_invite.token})
    assert response.status_code == 200
    assert response.json()["status"] == "declined"


def test_decline_is_public_even_for_a_signed_in_browser(pending_invite, make_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(make_user())
    response = post_json(client, DECLINE, {"token": pending_invite.token})
    assert response.status_code == 200


def test_decline_token_problems_have_their_codes(declined, accepted_invite, make_invite):
    client = APIClient()
    again = post_json(client, DECLINE, {"token": declined.token})
    assert (again.status_code, again.json()["code"]) == (400, "declined")

    invite = make_invite("used@example.com")
    services.accept_invite(invite.token, password=PASSWORD)
    used = post_json(client, DECLINE, {"token": invite.token})
    assert (used.status_code, used.json()["code"]) == (400, "already_accepted")

    for token in ("", "x", "\x00", "A" * 43):
        response = post_json(client, DECLINE, {"token": token})
        assert (response.status_code, response.json()["code"]) == (400, "invalid_token")


@pytest.mark.parametrize("body", [{}, {"token": None}, [], "token", None])
def test_decline_bad_body_is_400(body):
    assert post_json(APIClient(), DECLINE, body).status_code == 400


def test_decline_is_throttled_with_accept(settings, pending_invite):
    settings.INVITES = {"ACCEPT_RATE": "2/minute"}
    client = APIClient(REMOTE_ADDR="10.0.0.8")
    assert post_json(client, ACCEPT, {"token": "x", "password": "y"}).status_code == 400
    assert post_json(client, DECLINE, {"token": "x"}).status_code == 400
    assert post_json(client, DECLINE, {"token": pending_invite.token}).status_code == 429
    assert Invite.objects.get(pk=pending_invite.pk).status == "pending"


def test_a_declined_invite_cannot_be_accepted(declined, nothing_changes):
    with nothing_changes(declined):
        response = post_json(APIClient(), ACCEPT, {"token": declined.token, "password": PASSWORD})
    assert response.status_code == 400
    assert response.json()["code"] == "declined"


def test_resend_and_refresh_of_a_declined_invite_are_409(
    api_admin, declined, pending_invite, nothing_changes
):
    with nothing_changes(declined, pending_invite):
        one = api_admin.post(resend(declined))
        many = post_json(
            api_admin, REFRESH, {"invite_ids": [str(pending_invite.pk), str(declined.pk)]}
        )
    assert (one.status_code, one.json()["code"]) == (409, "declined")
    assert (many.status_code, many.json()["code"]) == (409, "declined")
    assert many.json()["ids"] == [str(declined.pk)]


def test_the_email_may_be_invited_again_after_a_decline(api_admin, declined):
    response = post_json(api_admin, LIST, {"email": "no@example.com"})
    assert response.status_code == 201
    assert response.json()["status"] == "pending"


def test_a_declined_invite_is_listed_as_declined(make_user, declined, expired_invite):
    expire(declined)  # declined stays declined whatever the clock says
    viewer = client_for(make_user("view"))
    rows = viewer.get(LIST, {"status": "declined"}).json()["results"]
    assert [row["id"] for row in rows] == [str(declined.pk)]
