"""The email search of the admin and the API: prefixes of the email, exact domains."""

from __future__ import annotations

import pytest

from invites.models import Invite
from invites.search import search_invites, search_terms

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/invites/invite/"
EMAILS = [
    "ada.lovelace@example.com",
    "ada@example.org",
    "grace@sub.example.com",
    "zoe@Straße.example",
    "user12@example42.com",
    "user123@example42.com",
    "user1234@other.net",
]


@pytest.fixture
def invites(make_invite):
    return {email: make_invite(email) for email in EMAILS}


def found(text: str) -> set[str]:
    return set(
        search_invites(Invite.objects.all(), search_terms(text)).values_list("email", flat=True)
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ada", {"ada.lovelace@example.com", "ada@example.org"}),
        ("ADA.LOVE", {"ada.lovelace@example.com"}),
        ("ada@", {"ada@example.org"}),
        ("ada@exa", {"ada@example.org"}),
        ("user123", {"user123@example42.com", "user1234@other.net"}),
        # Compared as emails are: NFKC then casefold (ß is ss).
        ("ZOE@STRASSE", {"zoe@straße.example"}),
        ("@STRASSE.example", {"zoe@straße.example"}),
        # A substring is not a prefix.
        ("lovelace", set()),
        ("example", set()),
        # A domain, exactly: not its subdomains, not a prefix of it; a term that looks
        # like one is a prefix of the email too.
        ("example.com", {"ada.lovelace@example.com"}),
        ("@EXAMPLE.COM", {"ada.lovelace@example.com"}),
        ("@example42.com", {"user12@example42.com", "user123@example42.com"}),
        ("example4", set()),
        ("@example", set()),
        ("sub.example.com", {"grace@sub.example.com"}),
        ("ada.lovelace", {"ada.lovelace@example.com"}),
        ("@ada.lovelace", set()),
        # Every term must match.
        ("user12 example42.com", {"user12@example42.com", "user123@example42.com"}),
        ("user1234, example42.com", set()),
        ("", set(EMAILS) - {"zoe@Straße.example"} | {"zoe@straße.example"}),
    ],
)
def test_search_semantics(invites, text, expected):
    assert found(text) == expected


def test_deleted_invites_are_not_found(invites):
    Invite.objects.filter(email="ada@example.org").update(deleted_at="2030-01-01T00:00Z")
    assert found("ada") == {"ada.lovelace@example.com"}


def test_admin_search_uses_the_same_semantics(admin_client, invites):
    def emails(q: str) -> set[str]:
        response = admin_client.get(CHANGELIST, {"q": q})
        return {invite.email for invite in response.context["cl"].result_list}

    assert emails("user123") == {"user123@example42.com", "user1234@other.net"}
    assert emails("@other.net") == {"user1234@other.net"}
    assert emails("lovelace") == set()


def test_admin_shows_how_to_search(admin_client):
    response = admin_client.get(CHANGELIST)
    assert "everyone at a domain" in response.content.decode()
