"""Where the accept page sends the invitee: only ever to this site."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model

from tests.accept_page.helpers import ACCEPT, DONE, page_text, submit

pytestmark = pytest.mark.django_db
User = get_user_model()

UNSAFE = [
    "https://evil.example/",
    "//evil.example/path",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http://testserver/over-plain-http",  # the page was served over HTTPS
    "https://testserver.evil.example/",
]


def test_a_safe_next_is_kept_through_the_redirect_and_followed(client, pending_invite):
    opened = client.get(ACCEPT, {"token": pending_invite.token, "next": "/teams/5/"})
    assert opened["Location"] == f"{ACCEPT}?next={quote('/teams/5/', safe='')}"
    form = client.get(opened["Location"])
    assert 'name="next" value="/teams/5/"' in page_text(form)

    response = submit(client, next="/teams/5/")

    assert response.status_code == 302
    assert response["Location"] == "/teams/5/"


def test_a_next_on_this_host_with_its_scheme_is_followed(client, pending_invite):
    client.get(ACCEPT, {"token": pending_invite.token}, secure=True)
    response = submit(client, next="https://testserver/teams/5/", secure=True)
    assert response["Location"] == "https://testserver/teams/5/"


@pytest.mark.parametrize("next_url", UNSAFE)
def test_an_unsafe_next_is_dropped_when_the_link_is_opened(client, pending_invite, next_url):
    opened = client.get(ACCEPT, {"token": pending_invite.token, "next": next_url}, secure=True)

    assert opened["Location"] == ACCEPT
    assert "evil" not in page_text(client.get(ACCEPT, secure=True))


@pytest.mark.parametrize("next_url", UNSAFE)
def test_an_unsafe_next_is_never_followed_after_an_accept(client, pending_invite, next_url):
    client.get(ACCEPT, {"token": pending_invite.token}, secure=True)

    response = submit(client, next=next_url, secure=True)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"  # the adapter's default
    assert User.objects.get().email == pending_invite.email


def test_without_a_next_the_adapter_decides(client, settings, pending_invite):
    settings.INVITES = {"LOGIN_ON_ACCEPT": False}
    client.get(ACCEPT, {"token": pending_invite.token})
    assert submit(client)["Location"] == DONE
