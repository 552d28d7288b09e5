"""The django-allauth integration, against real allauth: verified addresses, sign-in back
to the invite, invite-only sign-up by form and by the offline `dummy` social provider."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.db import transaction
from django.test import Client

from invites import services, signals
from invites.contrib.allauth.session import SESSION_KEY
from invites.models import Invite
from tests.helpers import PASSWORD, expire

User = get_user_model()


def open_invite(client: Client, invite: Invite) -> Any:
    """Follow the emailed link as a browser does (the page drops the token from the URL)."""
    return client.get(f"/invites/accept/?token={invite.token}", follow=True)


def addresses(user: Any) -> list[tuple[str, bool, bool]]:
    return list(EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary"))


def login(client: Client, email: str) -> Any:
    return client.post("/accounts/login/", {"login": email, "password": PASSWORD})


# --- the invite proves the address ------------------------------------------------


def test_accept_on_the_page_then_allauth_login_needs_no_verification(client, make_invite):
    invite = make_invite("new@example.com")
    open_invite(client, invite)
    response = client.post(
        "/invites/accept/",
        {"invite": str(invite.pk), "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert addresses(user) == [("new@example.com", True, True)]

    client.logout()
    response = login(client, "new@example.com")
    assert response.status_code == 302
    assert response["Location"] == "/welcome/"
    assert mail.outbox == []  # no confirmation email


def test_the_api_accept_and_a_join_verify_the_address(client, make_invite, group):
    invite = make_invite("api@example.com")
    response = client.post(
        "/api/invites/accept/",
        {"token": invite.token, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert addresses(User.objects.get(email="api@example.com")) == [("api@example.com", True, True)]

    existing = User.objects.create_user("old", "old@example.com", PASSWORD)
    EmailAddress.objects.create(user=existing, email="other@example.com", primary=True)
    joining = make_invite("old@example.com", groups=[group])
    services.join_invite(joining.token, user=existing)
    assert sorted(addresses(existing)) == [
        ("old@example.com", True, True),
        ("other@example.com", False, False),
    ]


def test_the_address_is_written_in_the_accepts_transaction(make_invite):
    invite = make_invite("rollback@example.com")

    def veto(sender: Any, **kwargs: Any) -> None:
        assert EmailAddress.objects.filter(email="rollback@example.com", verified=True).exists()
        raise RuntimeError("veto")

    signals.invite_accepting.connect(veto, weak=False)
    try:
        with pytest.raises(RuntimeError):
            services.accept_invite(invite.token, password=PASSWORD)
    finally:
        signals.invite_accepting.disconnect(veto)
    assert not EmailAddress.objects.exists()
    assert not User.objects.filter(email="rollback@example.com").exists()


# --- sign-in returns to the invite ------------------------------------------------


def test_an_existing_user_signs_in_through_allauth_and_joins(client, make_invite, group):
    user = User.objects.create_user("member", "member@example.com", PASSWORD)
    EmailAddress.objects.create(user=user, email="member@example.com", verified=True, primary=True)
    invite = make_invite("member@example.com", groups=[group])

    page = open_invite(client, invite)
    assert b'href="/accounts/login/?next=%2Finvites%2Faccept%2F"' in page.content

    response = client.post(
        "/accounts/login/?next=/invites/accept/",
        {"login": "member@example.com", "password": PASSWORD, "next": "/invites/accept/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/invites/accept/"
    page = client.get("/invites/accept/")
    assert b"Join" in page.content
    response = client.post("/invites/accept/", {"invite": str(invite.pk)})
    assert response.status_code == 302
    invite.refresh_from_db()
    assert invite.accepted_by == user
    assert group in user.groups.all()


# --- invite-only sign-up by form --------------------------------------------------


def signup(client: Client, email: str) -> Any:
    return client.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )


def test_signup_is_closed_without_an_invite(client, db):
    response = client.get("/accounts/signup/")
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    signup(client, "nobody@example.com")
    assert not User.objects.exists()


def test_an_opened_invite_opens_signup_which_accepts_it_with_its_grants(client, make_invite, group):
    invite = make_invite("invited@example.com", groups=[group])
    open_invite(client, invite)
    stored = client.session[SESSION_KEY]
    assert stored["id"] == str(invite.pk)
    assert invite.token not in str(dict(client.session.items()))

    page = client.get("/accounts/signup/")
    assert page.status_code == 200
    assert b'value="invited@example.com"' in page.content

    response = signup(client, "invited@example.com")
    assert response.status_code == 302
    assert response["Location"] == "/welcome/"  # signed in: no verification step
    user = User.objects.get(email="invited@example.com")
    invite.refresh_from_db()
    assert invite.accepted and invite.accepted_by == user
    assert group in user.groups.all()
    assert addresses(user) == [("invited@example.com", True, True)]
    assert mail.outbox == []
    assert SESSION_KEY not in client.session


def test_signup_refuses_another_email_with_a_form_error(client, make_invite):
    invite = make_invite("invited@example.com")
    open_invite(client, invite)
    response = signup(client, "someone-else@example.com")
    assert response.status_code == 200
    assert b"the email address your invitation was sent to" in response.content
    assert not User.objects.exists()
    invite.refresh_from_db()
    assert not invite.accepted


@pytest.mark.parametrize("change", ["refresh", "delete", "expire", "decline"])
def test_signup_closes_again_when_the_invite_stops_being_usable(client, make_invite, change):
    invite = make_invite("invited@example.com")
    open_invite(client, invite)
    if change == "refresh":
        services.refresh_invite_tokens([invite.pk])
    elif change == "delete":
        services.delete_invites([invite.pk])
    elif change == "expire":
        expire(invite)
    else:
        services.decline_invite(invite.token)
    response = client.get("/accounts/signup/")
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    signup(client, "invited@example.com")
    assert not User.objects.exists()


def test_a_grant_that_fails_leaves_no_user(client, make_invite):
    invite = make_invite("invited@example.com")
    open_invite(client, invite)

    def fail(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("grant failed")

    signals.invite_accepting.connect(fail, weak=False)
    try:
        with pytest.raises(RuntimeError):
            signup(client, "invited@example.com")
    finally:
        signals.invite_accepting.disconnect(fail)
    assert not User.objects.exists()
    invite.refresh_from_db()
    assert not invite.accepted


def test_without_invite_only_signup_is_open_and_another_email_leaves_the_invite(
    client, make_invite, settings
):
    settings.INVITES = {"INVITE_ONLY": False, "SEND_EMAILS": False}
    invite = make_invite("invited@example.com", groups=[Group.objects.create(name="G")])
    open_invite(client, invite)
    signup(client, "free@example.com")
    user = User.objects.get(email="free@example.com")
    assert addresses(user) == [("free@example.com", False, True)]  # not verified by the invite
    invite.refresh_from_db()
    assert not invite.accepted


# --- social sign-up (the dummy provider) ------------------------------------------


def social_signup(client: Client, email: str, *, verified: bool = True, uid: int = 1) -> Any:
    response = client.post("/accounts/dummy/login/")
    assert response.status_code == 302, response.content
    data = {"id": uid, "email": email}
    if verified:
        data["email_verified"] = "on"
    return client.post(response["Location"], data)


def test_social_signup_with_the_invited_verified_email_accepts_it(client, make_invite, group):
    invite = make_invite("social@example.com", groups=[group])
    open_invite(client, invite)
    response = social_signup(client, "social@example.com")
    assert response.status_code == 302, response.content
    user = User.objects.get(email="social@example.com")
    assert SocialAccount.objects.filter(user=user, provider="dummy").exists()
    invite.refresh_from_db()
    assert invite.accepted_by == user
    assert group in user.groups.all()
    assert addresses(user) == [("social@example.com", True, True)]


@pytest.mark.parametrize(
    ("email", "verified"), [("other@example.com", True), ("social@example.com", False)]
)
def test_social_signup_with_another_or_unverified_email_is_refused(
    client, make_invite, email, verified
):
    invite = make_invite("social@example.com")
    open_invite(client, invite)
    response = social_signup(client, email, verified=verified)
    assert response.status_code == 403
    assert b"invitation only" in response.content
    assert b"social@example.com" not in response.content
    assert not User.objects.exists()
    invite.refresh_from_db()
    assert not invite.accepted


def test_social_signup_without_an_invite_is_closed(client, db):
    response = social_signup(client, "anyone@example.com")
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert not User.objects.exists()


def test_no_token_reaches_the_session_store(client, make_invite):
    invite = make_invite("invited@example.com")
    open_invite(client, invite)
    with transaction.atomic():
        from django.contrib.sessions.models import Session

        stored = [s.get_decoded() for s in Session.objects.all()]
    assert stored and invite.token not in repr(stored)
