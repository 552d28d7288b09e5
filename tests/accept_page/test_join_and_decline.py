"""Joining with an existing account, and declining, from the accept page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from invites import services
from invites.models import Invite
from invites.web.cookies import INVITE_COOKIE
from tests.accept_page.helpers import (
    ACCEPT,
    assert_form_page_headers,
    assert_page_headers,
    open_link,
    page_text,
    shown_invite,
)
from tests.helpers import PASSWORD, expire, snapshot

pytestmark = pytest.mark.django_db
User = get_user_model()

DECLINE = "/invites/accept/decline/"
DECLINED = "/invites/accept/declined/"


@pytest.fixture
def readers(db):
    return Group.objects.create(name="Readers")


@pytest.fixture
def ada(db):
    return User.objects.create_user("ada", "ada@example.com", PASSWORD)


@pytest.fixture
def invite(ada, readers):
    [invite] = services.create_invites(["ada@example.com"], groups=[readers])
    return invite


def join(client: Client, **extra: str):
    return client.post(ACCEPT, {"invite": shown_invite(client), "action": "join", **extra})


# --- join --------------------------------------------------------------------------


def test_signed_in_invitee_joins(client, ada, readers, invite):
    client.force_login(ada)
    open_link(client, invite.token)

    response = join(client)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"  # LOGIN_REDIRECT_URL
    assert_page_headers(response)
    assert response.cookies[INVITE_COOKIE]["max-age"] == 0
    stored = Invite.objects.get(pk=invite.pk)
    assert (stored.status, stored.accepted_by) == ("accepted", ada)
    assert list(ada.groups.all()) == [readers]
    assert User.objects.count() == 1


def test_join_follows_a_safe_next_only(client, ada, invite):
    client.force_login(ada)
    open_link(client, invite.token)
    assert join(client, next="https://evil.example/")["Location"] == "/accounts/profile/"

    [second] = services.create_invites(
        ["ada@example.com"], groups=[Group.objects.create(name="Writers")]
    )
    open_link(client, second.token)
    assert join(client, next="/teams/5/")["Location"] == "/teams/5/"


def test_joining_twice_says_it_was_used(client, ada, invite):
    client.force_login(ada)
    open_link(client, invite.token)
    form_invite = shown_invite(client)
    join(client)
    open_link(client, invite.token)

    response = client.post(ACCEPT, {"invite": form_invite, "action": "join"})

    assert response.status_code == 400
    assert "This invite has already been used" in page_text(response)


def test_join_posted_signed_out_joins_nothing(client, ada, invite):
    open_link(client, invite.token)

    response = client.post(ACCEPT, {"invite": str(invite.pk), "action": "join"})

    assert response.status_code == 200
    assert "You already have an account with ada@example.com." in page_text(response)
    assert Invite.objects.get(pk=invite.pk).status == "pending"


def test_join_after_signing_in_from_the_invite(client, ada, invite):
    """The whole round trip with Django's LoginView: sign in, come back, join."""
    open_link(client, invite.token)
    sign_in = client.get(ACCEPT)
    assert 'href="/accounts/login/?next=%2Finvites%2Faccept%2F"' in page_text(sign_in)

    signed_in = client.post(
        "/accounts/login/?next=/invites/accept/",
        {"username": "ada", "password": PASSWORD, "next": "/invites/accept/"},
    )
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/invites/accept/"
    back = client.get(ACCEPT)
    assert "You are signed in as ada@example.com." in page_text(back)

    assert join(client).status_code == 302
    assert Invite.objects.get(pk=invite.pk).accepted_by == ada


# --- decline -------------------------------------------------------------------------


def test_decline_asks_first_and_changes_nothing(client, invite):
    open_link(client, invite.token)
    before = snapshot(invite)
    assert f'href="{DECLINE}">Decline</a>' in page_text(client.get(ACCEPT))

    response = client.get(DECLINE)

    assert response.status_code == 200
    assert_form_page_headers(response)
    text = page_text(response)
    assert "<h1>Decline this invitation?</h1>" in text
    assert "You are invited to join invites.example.com." in text
    assert f'name="invite" value="{invite.pk}"' in text
    assert 'href="/invites/accept/">Back to the invitation</a>' in text
    assert snapshot(invite) == before


def test_declining(client, invite):
    open_link(client, invite.token)
    client.get(DECLINE)

    response = client.post(DECLINE, {"invite": str(invite.pk)})

    assert response.status_code == 302
    assert response["Location"] == DECLINED
    assert response.cookies[INVITE_COOKIE]["max-age"] == 0
    stored = Invite.objects.get(pk=invite.pk)
    assert stored.status == "declined"
    done = client.get(DECLINED)
    assert done.status_code == 200
    assert_page_headers(done)
    assert "You declined the invitation" in page_text(done)
    # The link itself now says so.
    open_link(client, invite.token)
    assert "This invite was declined" in page_text(client.get(ACCEPT))


def test_an_expired_invite_can_still_be_declined(client, pending_invite):
    expire(pending_invite)
    open_link(client, pending_invite.token)
    expired = page_text(client.get(ACCEPT))
    assert "This invite has expired" in expired
    assert f'href="{DECLINE}">Decline</a>' in expired

    assert client.get(DECLINE).status_code == 200
    assert client.post(DECLINE, {"invite": str(pending_invite.pk)})["Location"] == DECLINED
    assert Invite.objects.get(pk=pending_invite.pk).status == "declined"


def test_decline_posted_after_another_link_was_opened_declines_neither(client, make_invite):
    first, second = make_invite("first@example.com"), make_invite("second@example.com")
    open_link(client, first.token)
    client.get(DECLINE)
    open_link(client, second.token)

    response = client.post(DECLINE, {"invite": str(first.pk)})

    assert response.status_code == 409
    assert "This form was for another invite" in page_text(response)
    assert Invite.objects.get(pk=first.pk).status == "pending"
    assert Invite.objects.get(pk=second.pk).status == "pending"


def test_decline_without_a_link(client, pending_invite):
    assert client.get(DECLINE).status_code == 400
    response = client.post(DECLINE, {"invite": str(pending_invite.pk)})
    assert response.status_code == 400
    assert "No invite link was opened" in page_text(response)
    assert Invite.objects.get(pk=pending_invite.pk).status == "pending"


def test_decline_of_a_used_invite_says_so(client, ada, invite):
    open_link(client, invite.token)
    services.join_invite(invite.token, user=ada)

    response = client.post(DECLINE, {"invite": str(invite.pk)})

    assert response.status_code == 400
    assert "This invite has already been used" in page_text(response)
    assert Invite.objects.get(pk=invite.pk).status == "accepted"


def test_decline_needs_the_csrf_token(pending_invite):
    client = Client(enforce_csrf_checks=True)
    open_link(client, pending_invite.token)
    assert client.post(DECLINE, {"invite": str(pending_invite.pk)}).status_code == 403
    assert Invite.objects.get(pk=pending_invite.pk).status == "pending"
