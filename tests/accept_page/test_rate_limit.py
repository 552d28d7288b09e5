"""The invitee's accept page, `/invites/accept/`: the rate limit."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client, RequestFactory

from invites.ratelimit import accept_allowed
from invites.web.cookies import INVITE_COOKIE, WAIT_COOKIE
from tests.accept_page.helpers import (
    ACCEPT,
    assert_form_page_headers,
    assert_page_headers,
    open_link,
    page_text,
    submit,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


# --- the rate limit ----------------------------------------------------------------


def test_opening_links_is_rate_limited_at_the_url_without_the_token(
    client, settings, pending_invite
):
    settings.INVITES = {"ACCEPT_RATE": "2/minute"}
    open_link(client, "guess-1")
    open_link(client, "guess-2")

    refused = client.get(ACCEPT, {"token": pending_invite.token})

    # The token leaves the address bar first, as for any other opening...
    assert refused.status_code == 302
    assert refused["Location"] == ACCEPT
    assert_page_headers(refused)
    assert refused.cookies[INVITE_COOKIE]["max-age"] == 0  # nothing of this link is kept
    assert pending_invite.token not in str(refused.cookies)
    # ...and the page there says to wait.
    response = client.get(ACCEPT)
    assert response.status_code == 429
    assert_page_headers(response)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Too many attempts" in page_text(response)


def test_the_wait_ends(client, settings, pending_invite):
    settings.INVITES = {"ACCEPT_RATE": "1/minute"}
    open_link(client, "guess-1")
    client.get(ACCEPT, {"token": pending_invite.token})
    assert client.get(ACCEPT).status_code == 429

    cache.clear()  # the minute went by
    client.cookies.pop(WAIT_COOKIE)  # as the browser does after its Max-Age
    open_link(client, pending_invite.token)
    assert client.get(ACCEPT).status_code == 200


def test_a_forged_wait_cookie_is_ignored(client, pending_invite):
    open_link(client, pending_invite.token)
    client.cookies[WAIT_COOKIE] = "9999999999"
    assert client.get(ACCEPT).status_code == 200


def test_form_errors_do_not_count_toward_the_accept_limit(client, settings, pending_invite):
    settings.INVITES = {"ACCEPT_RATE": "2/minute"}
    open_link(client, pending_invite.token)  # the one token look-up
    for _ in range(5):
        assert submit(client, password="short").status_code == 200

    assert submit(client).status_code == 302
    assert User.objects.get().email == pending_invite.email


def test_form_errors_have_their_own_limit_per_invite(client, make_invite):
    invite, other = make_invite("one@example.com"), make_invite("two@example.com")
    open_link(client, invite.token)
    for _ in range(10):
        assert submit(client, password="short").status_code == 200

    response = submit(client, first_name="Grace", last_name="Hopper")

    assert response.status_code == 429
    assert_form_page_headers(response)
    assert 1 <= int(response["Retry-After"]) <= 60
    text = page_text(response)
    assert "There were too many attempts with this form." in text
    # The form is still there, with what was typed.
    assert 'name="first_name" value="Grace"' in text
    assert 'name="last_name" value="Hopper"' in text
    assert not User.objects.exists()
    # Another invite's form is not affected.
    other_browser = Client()
    open_link(other_browser, other.token)
    assert submit(other_browser).status_code == 302


def test_form_limit_counts_errors_only(client, pending_invite):
    open_link(client, pending_invite.token)
    for _ in range(9):
        submit(client, password="short")
    # Showing the form again and again is no mistake.
    for _ in range(20):
        assert client.get(ACCEPT).status_code == 200

    assert submit(client).status_code == 302


def test_limit_is_shared_with_the_api_and_per_address(settings, pending_invite):
    settings.INVITES = {"ACCEPT_RATE": "2/minute"}
    api_request = RequestFactory().post("/api/invites/accept/", REMOTE_ADDR="10.0.0.7")
    assert accept_allowed(api_request)[0]
    assert accept_allowed(api_request)[0]

    same_address = Client(REMOTE_ADDR="10.0.0.7")
    open_link(same_address, pending_invite.token)
    assert same_address.get(ACCEPT).status_code == 429
    other_address = Client(REMOTE_ADDR="10.0.0.8")
    open_link(other_address, pending_invite.token)
    assert other_address.get(ACCEPT).status_code == 200


def test_showing_the_form_is_not_counted(client, settings, pending_invite):
    settings.INVITES = {"ACCEPT_RATE": "2/minute"}
    open_link(client, pending_invite.token)
    for _ in range(5):
        assert client.get(ACCEPT).status_code == 200

    assert submit(client).status_code == 302
