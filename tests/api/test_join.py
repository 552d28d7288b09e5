"""Joining an invite as an existing, signed-in user; accept's answer for such a user."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from invites import services
from invites.models import Invite
from invites.signals import invite_accepted
from tests.api.adapters import PATH
from tests.api.helpers import ACCEPT, client_for, post_json
from tests.helpers import PASSWORD, expire

pytestmark = pytest.mark.django_db
User = get_user_model()
JOIN = "/api/invites/join/"


@pytest.fixture(autouse=True)
def group_targets(settings):
    settings.INVITES = {**getattr(settings, "INVITES", {}), "ADAPTER": PATH}


@pytest.fixture
def team(db):
    return Group.objects.create(name="Marketing")


@pytest.fixture
def grace(db):
    """An existing user, with no invite permission at all."""
    return User.objects.create_user(username="grace", email="grace@example.com", password=PASSWORD)


@pytest.fixture
def team_invite(team, grace):
    [invite] = services.create_invites(["Grace@Example.com"], target=team, role="editor")
    return invite


def test_join_applies_the_grants_to_the_signed_in_user(
    grace, team, team_invite, record, django_capture_on_commit_callbacks
):
    accepted = record(invite_accepted)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(client_for(grace), JOIN, {"token": team_invite.token})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["user"] == {"id": grace.pk, "email": "grace@example.com"}
    invite = body["invite"]
    assert (invite["id"], invite["status"], invite["token"]) == (
        str(team_invite.pk),
        "accepted",
        None,
    )
    assert invite["accepted_by"] == {"id": grace.pk, "email": "grace@example.com"}
    assert invite["target"]["name"] == "Marketing"
    assert grace.groups.filter(pk=team.pk).exists()
    assert User.objects.count() == 1  # nobody new
    assert [(call["user"].pk, call["created"]) for call in accepted.calls] == [(grace.pk, False)]


def test_join_with_the_session_of_a_signed_in_browser(grace, team_invite):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(grace)
    # A session caller meets Django's CSRF check, as on every other write.
    assert post_json(client, JOIN, {"token": team_invite.token}).status_code == 403
    client = APIClient()
    client.force_login(grace)
    assert post_json(client, JOIN, {"token": team_invite.token}).status_code == 200


def test_join_needs_a_signed_in_user(team_invite, nothing_changes):
    with nothing_changes(team_invite):
        response = post_json(APIClient(), JOIN, {"token": team_invite.token})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_join_as_another_account_is_403_without_the_invited_address(
    make_user, team_invite, nothing_changes
):
    other = make_user(email="mallory@example.com")
    with nothing_changes(team_invite):
        response = post_json(client_for(other), JOIN, {"token": team_invite.token})
    assert response.status_code == 403
    assert response.json()["code"] == "email_mismatch"
    assert "grace" not in response.content.decode().lower()


def test_join_of_a_plain_site_invite_is_409(make_invite, make_user, nothing_changes):
    invite = make_invite("late@example.com")
    user = make_user(email="late@example.com")
    with nothing_changes(invite):
        response = post_json(client_for(user), JOIN, {"token": invite.token})
    assert response.status_code == 409
    assert response.json()["code"] == "user_exists"


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "\x00"])
def test_join_with_an_unknown_token_is_invalid_token(grace, team_invite, token):
    response = post_json(client_for(grace), JOIN, {"token": token})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


def test_join_token_problems_have_their_codes(grace, team, team_invite):
    client = client_for(grace)
    expire(team_invite)
    assert post_json(client, JOIN, {"token": team_invite.token}).json()["code"] == "expired"

    [declined] = services.create_invites(["grace@example.com"], groups=[team])
    services.decline_invite(declined.token)
    assert post_json(client, JOIN, {"token": declined.token}).json()["code"] == "declined"

    [joined] = services.create_invites(
        ["grace@example.com"], target=Group.objects.create(name="Sales")
    )
    assert post_json(client, JOIN, {"token": joined.token}).status_code == 200
    again = post_json(client, JOIN, {"token": joined.token})
    assert (again.status_code, again.json()["code"]) == (400, "already_accepted")


@pytest.mark.parametrize("body", [{}, {"token": None}, {"token": 5}, [], "token", None])
def test_join_bad_body_is_400(grace, body):
    response = post_json(client_for(grace), JOIN, body)
    assert response.status_code == 400


def test_join_is_throttled_with_accept(settings, grace, team_invite):
    settings.INVITES = {**settings.INVITES, "ACCEPT_RATE": "2/minute"}
    client = client_for(grace)
    client.defaults["REMOTE_ADDR"] = "10.0.0.9"
    assert post_json(client, JOIN, {"token": "wrong"}).status_code == 400
    assert post_json(client, JOIN, {"token": "wrong"}).status_code == 400
    response = post_json(client, JOIN, {"token": team_invite.token})
    assert response.status_code == 429
    assert Invite.objects.get(pk=team_invite.pk).status == "pending"


def test_accept_for_an_existing_account_says_to_sign_in_and_join(grace, team_invite):
    response = post_json(APIClient(), ACCEPT, {"token": team_invite.token, "password": PASSWORD})
    assert response.status_code == 409
    assert response.json()["code"] == "user_exists"
    assert "join" in response.json()["detail"]
    assert Invite.objects.get(pk=team_invite.pk).status == "pending"
