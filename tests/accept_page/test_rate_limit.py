"""The invitee's accept page, `/invites/accept/`: the rate limit."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory

from invites.ratelimit import accept_allowed
from invites.web.views import TOKEN_COOKIE
from tests.accept_page.helpers import (
    ACCEPT,
    assert_page_headers,
    open_link,
    page_text,
    submit,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


# --- the rate limit ----------------------------------------------------------------


def test_opening_links_is_rate_limited(client, settings, pending_invite):
    settings.INVITES = {"ACCEPT_RATE": "2/minute"}
    open_link(client, "guess-1")
    open_link(client, "guess-2")

    response = client.get(ACCEPT, {"token": pending_invite.token})

    assert response.status_code == 429
    assert_page_headers(response)
    assert int(response["Retry-After"]) >= 1
    assert "Too many attempts" in page_text(response)
    assert TOKEN_COOKIE not in response.cookies


def test_posts_are_rate_limited(client, settings, pending_invite):
    settings.INVITES = {"ACCEPT_RATE": "3/minute"}
    open_link(client, pending_invite.token)  # 1
    submit(client, password="short")  # 2
    submit(client, password="short")  # 3

    response = submit(client)

    assert response.status_code == 429
    assert not User.objects.exists()


def test_showing_the_form_is_not_counted(client, settings, pending_invite):
    settings.INVITES = {"ACCEPT_RATE": "2/minute"}
    open_link(client, pending_invite.token)
    for _ in range(5):
        assert client.get(ACCEPT).status_code == 200

    assert submit(client).status_code == 302


def test_limit_is_shared_with_the_api_and_per_address(settings, pending_invite):
    settings.INVITES = {"ACCEPT_RATE": "2/minute"}
    api_request = RequestFactory().post("/api/invites/accept/", REMOTE_ADDR="10.0.0.7")
    assert accept_allowed(api_request)[0]
    assert accept_allowed(api_request)[0]

    same_address = Client(REMOTE_ADDR="10.0.0.7")
    assert same_address.get(ACCEPT, {"token": pending_invite.token}).status_code == 429
    other_address = Client(REMOTE_ADDR="10.0.0.8")
    assert other_address.get(ACCEPT, {"token": pending_invite.token}).status_code == 302
