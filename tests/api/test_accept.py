"""Accepting an invite through the public endpoint, and its rate limit."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from invites import services
from invites.models import Invite
from invites.signals import invite_accepted
from tests.api.helpers import ACCEPT, post_json
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_accept_creates_the_user(pending_invite, record, django_capture_on_commit_callbacks):
    accepted = record(invite_accepted)
    body = {
        "token": pending_invite.token,
        "password": PASSWORD,
        "first_name": "Ada",
        "last_name": "Lovelace",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(APIClient(), ACCEPT, body)

    assert response.status_code == 201
    user = User.objects.get(email=pending_invite.email)
    assert response.json() == {"user": {"id": user.pk, "email": pending_invite.email}}
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")
    assert user.check_password(PASSWORD)
    assert Invite.objects.get(pk=pending_invite.pk).status == "accepted"
    assert [call["user"].pk for call in accepted.calls] == [user.pk]


def test_accept_ignores_an_email_in_the_body(pending_invite):
    body = {"token": pending_invite.token, "password": PASSWORD, "email": "evil@example.com"}
    response = post_json(APIClient(), ACCEPT, body)
    assert response.status_code == 201
    assert response.json()["user"]["email"] == "pending@example.com"
    assert not User.objects.filter(email="evil@example.com").exists()


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "A" * 5000, "\x00"])
def test_accept_unknown_token_is_invalid_token(pending_invite, token, nothing_changes):
    with nothing_changes(pending_invite):
        response = post_json(APIClient(), ACCEPT, {"token": token, "password": PASSWORD})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


def test_accept_revoked_token_is_invalid_token(pending_invite, nothing_changes):
    old = pending_invite.token
    services.refresh_invite_tokens([pending_invite.pk])
    with nothing_changes(pending_invite):
        response = post_json(APIClient(), ACCEPT, {"token": old, "password": PASSWORD})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


def test_accept_deleted_invite_is_invalid_token(deleted_invite, nothing_changes):
    with nothing_changes(deleted_invite):
        response = post_json(
            APIClient(), ACCEPT, {"token": deleted_invite.token, "password": PASSWORD}
        )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


def test_accept_expired_invite_says_it_expired(expired_invite, nothing_changes):
    with nothing_changes(expired_invite):
        response = post_json(
            APIClient(), ACCEPT, {"token": expired_invite.token, "password": PASSWORD}
        )
    assert response.status_code == 400
    assert response.json()["code"] == "expired"
    assert "expired" in response.json()["detail"]


def test_accept_twice_is_already_accepted(pending_invite, nothing_changes):
    body = {"token": pending_invite.token, "password": PASSWORD}
    assert post_json(APIClient(), ACCEPT, body).status_code == 201
    with nothing_changes(pending_invite):
        response = post_json(APIClient(), ACCEPT, body)
    assert response.status_code == 400
    assert response.json()["code"] == "already_accepted"


def test_accept_when_the_user_exists_is_409(granting_invite, make_user, nothing_changes):
    make_user(email="GRANTING@example.com")
    with nothing_changes(granting_invite):
        response = post_json(
            APIClient(), ACCEPT, {"token": granting_invite.token, "password": PASSWORD}
        )
    assert response.status_code == 409
    assert response.json()["code"] == "user_exists"


@pytest.mark.parametrize("password", ["123", "password", "12345678901234", "pending@example.com"])
def test_accept_weak_password_is_400_with_the_validators_messages(
    pending_invite, password, nothing_changes
):
    with nothing_changes(pending_invite):
        response = post_json(
            APIClient(), ACCEPT, {"token": pending_invite.token, "password": password}
        )
    assert response.status_code == 400
    messages = response.json()["password"]
    assert messages and all(isinstance(m, str) for m in messages)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"token": "x"},
        {"password": PASSWORD},
        {"token": None, "password": PASSWORD},
        {"token": "x", "password": ""},
        {"token": "x", "password": PASSWORD, "first_name": "x" * 151},
        {"token": "x", "password": PASSWORD, "first_name": "nul\x00"},
        {"token": "x", "password": PASSWORD, "last_name": ["list"]},
        None,
        [],
        "token",
    ],
)
def test_accept_bad_body_is_400(pending_invite, body, nothing_changes):
    with nothing_changes(pending_invite):
        response = post_json(APIClient(), ACCEPT, body)
    assert response.status_code == 400
    assert all(isinstance(value, list) for value in response.json().values())


def test_accept_is_throttled_per_client_address(settings, pending_invite):
    settings.INVITES = {"ACCEPT_RATE": "2/minute"}
    body = {"token": "wrong", "password": PASSWORD}
    client = APIClient(REMOTE_ADDR="10.0.0.1")

    assert post_json(client, ACCEPT, body).status_code == 400
    assert post_json(client, ACCEPT, body).status_code == 400
    response = post_json(client, ACCEPT, body)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    # Even a good token is refused from that address now, and nothing happens.
    good = {"token": pending_invite.token, "password": PASSWORD}
    assert post_json(client, ACCEPT, good).status_code == 429
    assert not User.objects.filter(email=pending_invite.email).exists()
    # Another address has its own budget; X-Forwarded-For is not trusted by default.
    other = APIClient(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert post_json(other, ACCEPT, good).status_code == 201
    spoof = APIClient(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert post_json(spoof, ACCEPT, body).status_code == 429


def test_accept_behind_known_proxies_counts_the_forwarded_client_address(settings):
    """With `NUM_PROXIES`, the address the nearest trusted proxy saw is the one counted."""
    settings.INVITES = {"ACCEPT_RATE": "1/minute"}
    settings.REST_FRAMEWORK = {**getattr(settings, "REST_FRAMEWORK", {}), "NUM_PROXIES": 1}
    body = {"token": "wrong", "password": PASSWORD}

    def through_proxy(forwarded: str) -> APIClient:
        return APIClient(REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR=forwarded)

    assert post_json(through_proxy("203.0.113.7"), ACCEPT, body).status_code == 400
    # The same client again, whatever it puts in front of the proxy's entry: throttled.
    again = post_json(through_proxy("198.51.100.1, 203.0.113.7"), ACCEPT, body)
    assert again.status_code == 429
    # Another client behind the same proxy has its own budget.
    assert post_json(through_proxy("203.0.113.8"), ACCEPT, body).status_code == 400


def test_accept_default_rate_is_ten_a_minute(settings):
    settings.INVITES = {}
    client = APIClient(REMOTE_ADDR="10.0.0.3")
    codes = [
        post_json(client, ACCEPT, {"token": "x", "password": "y"}).status_code for _ in range(11)
    ]
    assert codes == [400] * 10 + [429]
