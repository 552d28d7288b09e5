"""The invitee's accept page, `/invites/accept/`: submitting the form."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY, get_user_model
from django.test import Client

from invites import services
from invites.models import Invite
from invites.web.cookies import DONE_COOKIE, INVITE_COOKIE
from tests.accept_page.helpers import (
    ACCEPT,
    DONE,
    assert_form_page_headers,
    assert_page_headers,
    open_link,
    page_text,
    submit,
)
from tests.helpers import PASSWORD, expire, snapshot

pytestmark = pytest.mark.django_db
User = get_user_model()


# --- submitting the form -----------------------------------------------------------


def test_accepting_creates_the_user_and_signs_them_in(client, pending_invite):
    open_link(client, pending_invite.token)
    anonymous_session = client.cookies.get("sessionid")

    response = submit(client)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"  # LOGIN_REDIRECT_URL
    assert_page_headers(response)
    user = User.objects.get()
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.session[BACKEND_SESSION_KEY] == "django.contrib.auth.backends.ModelBackend"
    assert client.cookies["sessionid"].value != getattr(anonymous_session, "value", None)
    assert response.cookies[INVITE_COOKIE]["max-age"] == 0
    invite = Invite.objects.get(pk=pending_invite.pk)
    assert (invite.status, invite.accepted_by) == ("accepted", user)


def test_accepting_creates_the_user_and_shows_success(client, settings, pending_invite):
    settings.INVITES = {"LOGIN_ON_ACCEPT": False}
    open_link(client, pending_invite.token)

    response = submit(client)

    assert response.status_code == 302
    assert response["Location"] == DONE
    assert SESSION_KEY not in client.session
    assert_page_headers(response)
    user = User.objects.get()
    assert user.email == "pending@example.com"
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")
    assert user.check_password(PASSWORD)
    assert not user.is_staff
    assert Invite.objects.get(pk=pending_invite.pk).status == "accepted"
    assert response.cookies[INVITE_COOKIE]["max-age"] == 0  # the token cookie is gone

    done = client.get(DONE)
    assert done.status_code == 200
    assert_page_headers(done)
    text = page_text(done)
    assert "Your account is ready" in text
    assert "pending@example.com" in text
    assert "Sign in with your email address" in text
    assert '<a class="button" href="/accounts/login/">Sign in</a>' in text


def test_sign_in_link_follows_login_url(client, settings, pending_invite):
    settings.INVITES = {"LOGIN_ON_ACCEPT": False}
    settings.LOGIN_URL = "/somewhere/sign-in/"
    open_link(client, pending_invite.token)
    submit(client)

    assert 'href="/somewhere/sign-in/"' in page_text(client.get(DONE))


def test_done_page_names_a_username_that_differs_from_the_email(client, settings, make_invite):
    settings.INVITES = {"LOGIN_ON_ACCEPT": False}
    User.objects.create_user(username="taken@example.com", email="someone.else@example.com")
    invite = make_invite("taken@example.com")
    open_link(client, invite.token)
    submit(client)

    username = User.objects.get(email="taken@example.com").get_username()
    assert username != "taken@example.com"
    assert f"<strong>{username}</strong>" in page_text(client.get(DONE))


def test_done_page_without_an_accept_goes_back(client):
    assert client.get(DONE)["Location"] == ACCEPT
    client.cookies[DONE_COOKIE] = '{"email": "forged@example.com"}'
    response = client.get(DONE)
    assert response.status_code == 302
    assert_page_headers(response)


def test_form_cannot_choose_the_email_the_token_or_privileges(client, make_invite):
    invite, other = make_invite("mine@example.com"), make_invite("other@example.com")
    open_link(client, invite.token)

    response = submit(
        client,
        email="attacker@example.com",
        token=other.token,
        username="root",
        is_staff="on",
        is_superuser="on",
    )

    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "mine@example.com"
    assert user.get_username() == "mine@example.com"
    assert not user.is_staff and not user.is_superuser
    assert Invite.objects.get(pk=invite.pk).accepted
    assert not Invite.objects.get(pk=other.pk).accepted


@pytest.mark.parametrize(
    "password, message",
    [
        ("short", "This password is too short."),
        ("password123", "This password is too common."),
        ("81726354091827", "This password is entirely numeric."),
        ("pending@example.com", "The password is too similar to the email address."),
    ],
)
def test_weak_password_shows_the_validators_messages(client, pending_invite, password, message):
    open_link(client, pending_invite.token)
    before = snapshot(pending_invite)

    response = submit(client, password=password)

    assert response.status_code == 200
    assert_form_page_headers(response)
    assert message in page_text(response)
    assert 'aria-invalid="true"' in page_text(response)
    assert not User.objects.exists()
    assert snapshot(pending_invite) == before


def test_password_similar_to_the_typed_name_is_refused(client, pending_invite):
    open_link(client, pending_invite.token)

    response = submit(client, password="Wilhelmina-Zwanenburg", first_name="Wilhelmina Zwanenburg")

    assert "The password is too similar to the first name." in page_text(response)
    assert not User.objects.exists()


def test_mismatched_passwords(client, pending_invite):
    open_link(client, pending_invite.token)

    response = submit(client, again=PASSWORD + "x")

    assert response.status_code == 200
    assert "The two password fields didn\u2019t match." in page_text(response)
    assert not User.objects.exists()


def test_missing_password(client, pending_invite):
    open_link(client, pending_invite.token)

    response = client.post(ACCEPT, {"first_name": "Ada", "invite": str(pending_invite.pk)})

    assert response.status_code == 200
    assert "This field is required." in page_text(response)
    assert not User.objects.exists()


def test_too_long_name_is_a_form_error(client, pending_invite):
    open_link(client, pending_invite.token)

    response = submit(client, first_name="x" * 151)

    assert response.status_code == 200
    assert "Ensure this value has at most 150 characters" in page_text(response)
    assert not User.objects.exists()


def test_post_without_a_link(client, pending_invite):
    response = submit(client)

    assert response.status_code == 400
    assert "No invite link was opened" in page_text(response)
    assert not User.objects.exists()


def test_post_after_expiry(client, pending_invite):
    open_link(client, pending_invite.token)
    expire(pending_invite)

    response = submit(client, invite=str(pending_invite.pk))

    assert response.status_code == 400
    assert "This invite has expired" in page_text(response)
    assert not User.objects.exists()


def test_post_after_a_refresh_revoked_the_link(client, pending_invite):
    open_link(client, pending_invite.token)
    services.refresh_invite_tokens([pending_invite.pk])

    response = submit(client, invite=str(pending_invite.pk))

    assert response.status_code == 400
    assert "This invite link is not valid" in page_text(response)
    assert not User.objects.exists()


def test_second_post_says_already_used(client, pending_invite):
    open_link(client, pending_invite.token)
    other = Client()
    open_link(other, pending_invite.token)
    assert submit(client).status_code == 302

    response = submit(other, invite=str(pending_invite.pk))

    assert response.status_code == 400
    assert "This invite has already been used" in page_text(response)
    assert User.objects.count() == 1


def test_post_when_a_user_registered_meanwhile(client, granting_invite):
    open_link(client, granting_invite.token)
    User.objects.create_user(username="early", email="granting@example.com")

    response = submit(client, invite=str(granting_invite.pk))

    # No second account: the page now offers that account's sign-in.
    assert response.status_code == 200
    assert "You already have an account with granting@example.com." in page_text(response)
    assert User.objects.count() == 1
    assert not Invite.objects.get(pk=granting_invite.pk).accepted


def test_post_needs_the_csrf_token(pending_invite):
    client = Client(enforce_csrf_checks=True)
    open_link(client, pending_invite.token)

    response = submit(client)

    assert response.status_code == 403
    assert not User.objects.exists()


def test_post_with_the_csrf_token_and_origin_passes(pending_invite):
    client = Client(enforce_csrf_checks=True)
    open_link(client, pending_invite.token)
    form_page = client.get(ACCEPT)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page_text(form_page))

    response = submit(
        client, csrfmiddlewaretoken=csrf.group(1), headers={"Origin": "http://testserver"}
    )

    assert response.status_code == 302
    assert User.objects.get().email == "pending@example.com"


def test_other_methods_are_refused_with_the_headers(client, pending_invite):
    response = client.put(ACCEPT)
    assert response.status_code == 405
    assert_page_headers(response)
