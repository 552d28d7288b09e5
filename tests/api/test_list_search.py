"""`GET /api/invites/?search=`: a prefix of the email, or everyone at a domain."""

from __future__ import annotations

import pytest

from tests.api.helpers import LIST

pytestmark = pytest.mark.django_db


def test_api_search_uses_the_same_semantics(api_admin, make_invite):
    for email in ["user12@example42.com", "user123@example42.com", "user1234@other.net"]:
        make_invite(email)
    make_invite("ada.lovelace@example.com")

    def emails(search: str) -> set[str]:
        return {row["email"] for row in api_admin.get(LIST, {"search": search}).json()["results"]}

    assert emails("user123") == {"user123@example42.com", "user1234@other.net"}
    assert emails("example42.com") == {"user12@example42.com", "user123@example42.com"}
    assert emails("lovelace") == set()
