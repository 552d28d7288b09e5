"""The invitee's accept page, `/invites/accept/`, through Django's test client."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory

from invites import services
from invites.models import Invite
from invites.ratelimit import accept_allowed
from invites.web.views import DONE_COOKIE, TOKEN_COOKIE
from tests.helpers import PASSWORD, expire, snapshot

pytestmark = pytest.mark.django_db
User = get_user_model()

ACCEPT = "/invites/accept/"
DONE = "/invites/accept/done/"


def open_link(client: Client, token: str) -> None:
    """Follow the emailed link: the token goes into the cookie, the URL loses it."""
    response = client.get(ACCEPT, {"token": token})
    assert response.status_code == 302
    assert response["Location"] == ACCEPT


def submit(
    client: Client,
    password: str = PASSWORD,
    again: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: str,
):
    data = {"first_name": "Ada", "last_name": "Lovelace", "password1": password}
    data["password2"] = password if again is None else again
    return client.post(ACCEPT, {**data, **extra}, headers=headers)


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def assert_page_headers(response, referrer_policy: str = "no-referrer") -> None:
    assert response["Referrer-Policy"] == referrer_policy
    assert "no-store" in response["Cache-Control"]


def assert_form_page_headers(response) -> None:
    # The form's page holds no token; `no-referrer` would make browsers send
    # `Origin: null` with the POST, which Django's CSRF check refuses.
    assert_page_headers(response, "same-origin")


# --- opening the link --------------------------------------------------------------


def test_link_moves_the_token_out_of_the_url(client, pending_invite):
    response = client.get(ACCEPT, {"token": pending_invite.token})

    assert response.status_code == 302
    assert response["Location"] == ACCEPT
    assert pending_invite.token not in response["Location"]
    assert_page_headers(response)
    cookie = response.cookies[TOKEN_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == ACCEPT
    assert not cookie["secure"]


def test_cookie_is_secure_over_https(client, pending_invite):
    response = client.get(ACCEPT, {"token": pending_invite.token}, secure=True)
    assert response.cookies[TOKEN_COOKIE]["secure"] is True


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
    client.cookies[TOKEN_COOKIE] = pending_invite.token  # not signed by the server

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


def test_existing_user_with_the_email_is_a_conflict(client, pending_invite):
    User.objects.create_user(username="pending", email="PENDING@example.com")
    open_link(client, pending_invite.token)

    response = client.get(ACCEPT)

    assert response.status_code == 409
    assert "An account with this email already exists" in page_text(response)


# --- submitting the form -----------------------------------------------------------


def test_accepting_creates_the_user_and_shows_success(client, pending_invite):
    open_link(client, pending_invite.token)

    response = submit(client)

    assert response.status_code == 302
    assert response["Location"] == DONE
    assert_page_headers(response)
    user = User.objects.get()
    assert user.email == "pending@example.com"
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")
    assert user.check_password(PASSWORD)
    assert not user.is_staff
    assert Invite.objects.get(pk=pending_invite.pk).status == "accepted"
    assert response.cookies[TOKEN_COOKIE]["max-age"] == 0  # the token cookie is gone

    done = client.get(DONE)
    assert done.status_code == 200
    assert_page_headers(done)
    text = page_text(done)
    assert "Your account is ready" in text
    assert "pending@example.com" in text
    assert "Sign in with your email address" in text
    assert '<a class="button" href="/accounts/login/">Sign in</a>' in text


def test_sign_in_link_follows_login_url(client, settings, pending_invite):
    settings.LOGIN_URL = "/somewhere/sign-in/"
    open_link(client, pending_invite.token)
    submit(client)

    assert 'href="/somewhere/sign-in/"' in page_text(client.get(DONE))


def test_done_page_names_a_username_that_differs_from_the_email(client, make_invite):
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

    response = client.post(ACCEPT, {"first_name": "Ada"})

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

    response = submit(client)

    assert response.status_code == 400
    assert "This invite has expired" in page_text(response)
    assert not User.objects.exists()


def test_post_after_a_refresh_revoked_the_link(client, pending_invite):
    open_link(client, pending_invite.token)
    services.refresh_invite_tokens([pending_invite.pk])

    response = submit(client)

    assert response.status_code == 400
    assert "This invite link is not valid" in page_text(response)
    assert not User.objects.exists()


def test_second_post_says_already_used(client, pending_invite):
    open_link(client, pending_invite.token)
    other = Client()
    open_link(other, pending_invite.token)
    assert submit(client).status_code == 302

    response = submit(other)

    assert response.status_code == 400
    assert "This invite has already been used" in page_text(response)
    assert User.objects.count() == 1


def test_post_when_a_user_registered_meanwhile(client, pending_invite):
    open_link(client, pending_invite.token)
    User.objects.create_user(username="early", email="pending@example.com")

    response = submit(client)

    assert response.status_code == 409
    assert "An account with this email already exists" in page_text(response)
    assert not Invite.objects.get(pk=pending_invite.pk).accepted


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
