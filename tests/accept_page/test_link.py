"""The invitee's accept page, `/invites/accept/`: opening the emailed link."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session

from invites import services
from invites.web.cookies import INVITE_COOKIE
from tests.accept_page.helpers import (
    ACCEPT,
    assert_form_page_headers,
    assert_page_headers,
    open_link,
    page_text,
    submit,
)
from tests.helpers import PASSWORD, expire, snapshot

pytestmark = pytest.mark.django_db
User = get_user_model()


# --- opening the link --------------------------------------------------------------


def test_link_moves_the_token_out_of_the_url(client, pending_invite):
    response = client.get(ACCEPT, {"token": pending_invite.token})

    assert response.status_code == 302
    assert response["Location"] == ACCEPT
    assert pending_invite.token not in response["Location"]
    assert_page_headers(response)
    cookie = response.cookies[INVITE_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == ACCEPT
    assert not cookie["secure"]


def test_cookie_is_secure_over_https(client, pending_invite):
    response = client.get(ACCEPT, {"token": pending_invite.token}, secure=True)
    assert response.cookies[INVITE_COOKIE]["secure"] is True


def test_token_is_never_written_to_the_database(client, pending_invite):
    open_link(client, pending_invite.token)
    client.get(ACCEPT)
    submit(client)

    for session in Session.objects.all():
        assert pending_invite.token not in session.session_data
        assert pending_invite.token not in str(session.get_decoded())


def test_form_shows_the_invite_email_and_changes_nothing(client, pending_invite):
    before = snapshot(pending_invite)
    open_link(client, pending_invite.token)

    response = client.get(ACCEPT)

    assert response.status_code == 200
    assert_form_page_headers(response)
    text = page_text(response)
    assert "<h1>Accept your invitation</h1>" in text
    assert 'value="pending@example.com"' in text
    assert 'name="password1"' in text and 'name="password2"' in text
    assert 'name="csrfmiddlewaretoken"' in text
    assert 'name="email"' not in text  # nothing to override the invite's email with
    assert pending_invite.token not in text
    # Opening (even many times, as a mail scanner might) never uses the invite up.
    client.get(ACCEPT)
    assert snapshot(pending_invite) == before
    assert not User.objects.exists()


def test_page_is_accessible_and_fits_a_phone(client, pending_invite):
    open_link(client, pending_invite.token)
    text = page_text(client.get(ACCEPT))

    assert re.search(r'<html lang="en(-us)?"', text)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert text.count("<h1>") == 1
    inputs = re.findall(r'<input (?![^>]*type="hidden")[^>]*id="([^"]+)"', text)
    assert len(inputs) == 5  # email (read-only), first and last name, two passwords
    for input_id in inputs:
        assert f'<label for="{input_id}">' in text


def test_without_a_link_the_page_says_so(client, pending_invite):
    response = client.get(ACCEPT)

    assert response.status_code == 400
    assert_page_headers(response)
    assert "No invite link was opened" in page_text(response)


def test_a_forged_cookie_is_ignored(client, pending_invite):
    client.cookies[INVITE_COOKIE] = pending_invite.token  # not signed by the server

    response = client.get(ACCEPT)

    assert response.status_code == 400
    assert "No invite link was opened" in page_text(response)


@pytest.mark.parametrize(
    "token",
    ["nope", "x" * 43, "", "x" * 129, "' OR 1=1 --", "é\u0000", "\ufffd", "a;b=c", "\r\nX: 1"],
)
def test_unknown_token_is_invalid(client, pending_invite, token):
    open_link(client, token)
    response = client.get(ACCEPT)

    assert response.status_code == 400
    text = page_text(response)
    assert "This invite link is not valid" in text
    assert "Ask the person who invited you to send you a new invite." in text


def test_token_revoked_by_a_refresh_is_invalid(client, pending_invite):
    services.refresh_invite_tokens([pending_invite.pk])
    open_link(client, pending_invite.token)

    response = client.get(ACCEPT)

    assert response.status_code == 400
    assert "This invite link is not valid" in page_text(response)


def test_deleted_invite_is_invalid(client, pending_invite):
    services.delete_invites([pending_invite.pk])
    open_link(client, pending_invite.token)

    assert "This invite link is not valid" in page_text(client.get(ACCEPT))


def test_expired_invite_says_it_expired(client, pending_invite):
    expire(pending_invite)
    open_link(client, pending_invite.token)

    response = client.get(ACCEPT)

    assert response.status_code == 400
    assert_page_headers(response)
    text = page_text(response)
    assert "This invite has expired" in text
    assert "send the invite again" in text
    assert "This invite link is not valid" not in text


def test_used_invite_says_it_was_used(client, pending_invite):
    services.accept_invite(pending_invite.token, password=PASSWORD)
    open_link(client, pending_invite.token)

    response = client.get(ACCEPT)

    assert response.status_code == 400
    text = page_text(response)
    assert "This invite has already been used" in text
    assert 'href="/accounts/login/"' in text


def test_existing_user_with_the_email_is_offered_to_sign_in(client, granting_invite):
    User.objects.create_user(username="granting", email="GRANTING@example.com")
    open_link(client, granting_invite.token)

    response = client.get(ACCEPT)

    assert response.status_code == 200
    text = page_text(response)
    assert "You already have an account with granting@example.com." in text
    assert 'name="password1"' not in text


def test_existing_user_of_a_plain_invite_is_a_conflict(client, pending_invite):
    # Saving a user closes a plain invite of its email; a bulk insert sends no signal.
    User.objects.bulk_create([User(username="pending", email="PENDING@example.com")])
    open_link(client, pending_invite.token)

    response = client.get(ACCEPT)

    assert response.status_code == 409
    assert "An account with this email already exists" in page_text(response)
