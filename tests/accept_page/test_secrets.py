"""The accept pages keep no raw token anywhere: not in a cookie, the session or a URL."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import signing

from invites import services
from invites.web.cookies import INVITE_COOKIE, INVITE_SALT
from tests.accept_page.helpers import (
    ACCEPT,
    DONE,
    assert_form_page_headers,
    assert_page_headers,
    open_link,
    page_text,
    shown_invite,
    submit,
)
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()


def everything_sent(response) -> str:
    """Every header of a response, its cookies included, as one text."""
    return "\n".join(f"{name}: {value}" for name, value in response.items()) + str(response.cookies)


def test_cookie_holds_the_signed_digest_for_the_browser_session_only(client, pending_invite):
    response = client.get(ACCEPT, {"token": pending_invite.token})

    cookie = response.cookies[INVITE_COOKIE]
    assert signing.loads(cookie.value, salt=INVITE_SALT) == pending_invite.token_hash
    assert pending_invite.token not in cookie.value
    # A browser-session cookie: no lifetime of its own.
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    assert "Max-Age" not in cookie.output() and "expires" not in cookie.output()


def test_a_cookie_signed_for_something_else_is_ignored(client, pending_invite):
    client.cookies[INVITE_COOKIE] = signing.dumps(pending_invite.token_hash, salt="other")
    assert "No invite link was opened" in page_text(client.get(ACCEPT))
    client.cookies[INVITE_COOKIE] = signing.dumps(["not", "a", "digest"], salt=INVITE_SALT)
    assert "No invite link was opened" in page_text(client.get(ACCEPT))


def test_no_raw_token_in_any_header_cookie_url_or_session(client, settings, pending_invite):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    responses = [client.get(ACCEPT, {"token": pending_invite.token})]
    responses.append(client.get(ACCEPT))
    responses.append(submit(client, password="short"))
    responses.append(submit(client))
    responses.append(client.get(responses[-1]["Location"]))

    for response in responses:
        assert pending_invite.token not in everything_sent(response)
        assert pending_invite.token not in response.content.decode()
    assert Session.objects.exists()  # the new user's session
    for session in Session.objects.all():
        assert pending_invite.token not in session.session_data
        assert pending_invite.token not in str(session.get_decoded())


def test_a_refresh_makes_the_remembered_reference_lead_nowhere(client, pending_invite):
    open_link(client, pending_invite.token)
    [fresh] = services.refresh_invite_tokens([pending_invite.pk])

    response = client.get(ACCEPT)

    assert response.status_code == 400
    assert "This invite link is not valid" in page_text(response)
    open_link(client, fresh.token)
    assert client.get(ACCEPT).status_code == 200


def test_reference_survives_a_secret_key_rotation(client, settings, pending_invite):
    open_link(client, pending_invite.token)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-the-rotation-test-0123456789"

    assert client.get(ACCEPT).status_code == 200
    assert submit(client).status_code == 302
    assert User.objects.get().email == pending_invite.email


def test_every_page_is_no_store_and_sends_no_referrer(client, settings, pending_invite):
    settings.INVITES = {"LOGIN_ON_ACCEPT": False}
    assert_page_headers(client.get(ACCEPT))  # no link opened
    assert_page_headers(client.get(ACCEPT, {"token": pending_invite.token}))
    assert_form_page_headers(client.get(ACCEPT))
    assert_form_page_headers(client.get("/invites/accept/decline/"))
    assert_page_headers(client.get("/invites/accept/declined/"))
    assert_page_headers(submit(client))
    assert_page_headers(client.get(DONE))


def test_signed_in_as_another_account_has_the_headers(client, pending_invite):
    client.force_login(User.objects.create_user("bob", "bob@example.com", PASSWORD))
    open_link(client, pending_invite.token)
    assert_form_page_headers(client.get(ACCEPT))  # its sign-out button posts


def test_the_form_names_the_invite_it_was_shown_for(client, pending_invite):
    open_link(client, pending_invite.token)
    assert shown_invite(client) == str(pending_invite.pk)
