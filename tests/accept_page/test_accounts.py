"""The accept page by who opens it: a new person, the invite's account, someone else."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from invites import services
from invites.models import Invite
from invites.web.cookies import INVITE_COOKIE
from tests.accept_page.helpers import ACCEPT, open_link, page_text, shown_invite, submit
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()

SITE = "invites.example.com"  # the host of the test settings' SITE_URL


@pytest.fixture
def ada(db):
    return User.objects.create_user(
        "ada", "ada@example.com", PASSWORD, first_name="Ada", last_name="Lovelace"
    )


@pytest.fixture
def bob(db):
    return User.objects.create_user("bob", "bob@example.com", PASSWORD)


def group_invite(email: str, **kwargs):
    """An invite that gives a group: one an existing account can join."""
    readers = Group.objects.get_or_create(name="Readers")[0]
    [invite] = services.create_invites([email], groups=[readers], **kwargs)
    return invite


# --- who invited whom into what -------------------------------------------------------


def test_page_names_the_inviter_by_full_name(client, ada):
    [invite] = services.create_invites(["new@example.com"], invited_by=ada)
    open_link(client, invite.token)
    assert f"Ada Lovelace invited you to join {SITE}." in page_text(client.get(ACCEPT))


def test_page_names_an_inviter_without_a_name_by_email(client, bob):
    [invite] = services.create_invites(["new@example.com"], invited_by=bob)
    open_link(client, invite.token)
    assert f"bob@example.com invited you to join {SITE}." in page_text(client.get(ACCEPT))


def test_page_without_an_inviter_names_the_site(client, settings, pending_invite):
    settings.INVITES = {"SITE_NAME": "Acme"}
    open_link(client, pending_invite.token)
    assert "You are invited to join Acme." in page_text(client.get(ACCEPT))


def test_names_are_escaped(client):
    evil = User.objects.create_user("x", "x@example.com", first_name="<script>alert(1)</script>")
    [invite] = services.create_invites(["new@example.com"], invited_by=evil)
    open_link(client, invite.token)
    text = page_text(client.get(ACCEPT))
    assert "<script>alert(1)" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; invited you" in text


# --- the invite's email has an account --------------------------------------------------


def test_not_signed_in_the_page_offers_sign_in_and_no_account_form(client, ada):
    invite = group_invite("ada@example.com")
    open_link(client, invite.token)

    response = client.get(ACCEPT)

    assert response.status_code == 200
    text = page_text(response)
    assert "You already have an account with ada@example.com." in text
    assert 'href="/accounts/login/?next=%2Finvites%2Faccept%2F">Sign in</a>' in text
    assert 'name="password1"' not in text
    assert "Create my account" not in text


def test_sign_in_link_carries_a_safe_next_on(client, ada):
    invite = group_invite("ada@example.com")
    client.get(ACCEPT, {"token": invite.token, "next": "/teams/5/"})

    text = page_text(client.get(ACCEPT, {"next": "/teams/5/"}))

    assert (
        'href="/accounts/login/?next=%2Finvites%2Faccept%2F%3Fnext%3D%252Fteams%252F5%252F"' in text
    )


def test_posting_the_account_form_for_an_existing_account_creates_nothing(client, ada):
    invite = group_invite("ada@example.com")
    open_link(client, invite.token)

    response = submit(client, invite=str(invite.pk))

    assert response.status_code == 200
    assert "You already have an account with ada@example.com." in page_text(response)
    assert User.objects.count() == 1
    assert Invite.objects.get(pk=invite.pk).status == "pending"


def test_a_plain_invite_for_an_existing_account_is_a_conflict(client, make_invite):
    invite = make_invite("late@example.com")
    # Saving a user closes a plain invite of its email; a bulk insert sends no signal.
    User.objects.bulk_create([User(username="late", email="late@example.com")])
    open_link(client, invite.token)

    response = client.get(ACCEPT)

    assert response.status_code == 409
    assert "An account with this email already exists" in page_text(response)


def test_signed_in_as_the_invitee_the_page_offers_join(client, ada):
    invite = group_invite("ADA@example.com")
    client.force_login(ada)
    open_link(client, invite.token)

    text = page_text(client.get(ACCEPT))

    assert "You are signed in as ada@example.com." in text
    assert '<button type="submit" class="button" name="action" value="join">Join</button>' in text
    assert 'name="password1"' not in text


# --- signed in as someone else ---------------------------------------------------------


@pytest.mark.parametrize("existing_account", [False, True])
def test_signed_in_as_someone_else_nothing_is_accepted(client, ada, bob, existing_account):
    invite = group_invite("ada@example.com") if existing_account else group_invite("new@x.org")
    client.force_login(bob)
    open_link(client, invite.token)

    page = client.get(ACCEPT)
    posted = client.post(ACCEPT, {"invite": str(invite.pk), "action": "join"})
    also = submit(client, invite=str(invite.pk))

    for response in (page, posted, also):
        assert response.status_code == 403
        text = page_text(response)
        assert "You are signed in as bob@example.com, but this invite was sent to" in text
        assert "Nothing has been accepted." in text
        assert 'name="action" value="sign_out"' in text
    assert Invite.objects.get(pk=invite.pk).status == "pending"
    assert User.objects.count() == 2
    assert not bob.groups.exists()


def test_sign_out_keeps_the_invite_and_shows_it_to_the_signed_out_visitor(client, bob):
    invite = group_invite("new@example.com")
    client.force_login(bob)
    open_link(client, invite.token)

    response = client.post(ACCEPT, {"action": "sign_out"})

    assert response.status_code == 302
    assert response["Location"] == ACCEPT
    assert SESSION_KEY not in client.session
    assert INVITE_COOKIE not in response.cookies  # the invite is still remembered
    assert shown_invite(client) == str(invite.pk)


# --- one form, one invite --------------------------------------------------------------


def test_a_form_posted_after_another_link_was_opened_accepts_neither(client, make_invite):
    first, second = make_invite("first@example.com"), make_invite("second@example.com")
    open_link(client, first.token)
    form_for_first = shown_invite(client)
    open_link(client, second.token)  # in another tab of the same browser

    response = submit(client, invite=form_for_first)

    assert response.status_code == 409
    text = page_text(response)
    assert "This form was for another invite" in text
    assert "Nothing was accepted." in text
    assert 'href="/invites/accept/">Continue</a>' in text
    assert not User.objects.exists()
    assert Invite.objects.get(pk=first.pk).status == "pending"
    assert Invite.objects.get(pk=second.pk).status == "pending"
    # The invite opened last is still there, and its own form works.
    assert submit(client).status_code == 302
    assert User.objects.get().email == "second@example.com"


def test_a_form_without_its_invite_is_refused(client, pending_invite):
    open_link(client, pending_invite.token)
    assert submit(client, invite="").status_code == 409
    assert submit(client, invite="not-a-uuid").status_code == 409
    assert not User.objects.exists()


def test_forms_of_two_browsers_do_not_mix(make_invite):
    first, second = make_invite("first@example.com"), make_invite("second@example.com")
    one, other = Client(), Client()
    open_link(one, first.token)
    open_link(other, second.token)

    assert submit(one, invite=str(second.pk)).status_code == 409
    assert submit(other).status_code == 302
    assert User.objects.get().email == "second@example.com"
