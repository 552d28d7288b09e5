"""Listing invites: the page, its filters, search and ordering."""

from __future__ import annotations

import pytest

from invites import services
from invites.models import Invite
from tests.api.helpers import INVITE_KEYS, LIST
from tests.helpers import expire

pytestmark = pytest.mark.django_db


def test_list_is_a_drf_page_of_invites_without_secrets(api_admin, make_invite):
    invites = [make_invite() for _ in range(3)]

    response = api_admin.get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert body["next"] is None and body["previous"] is None
    assert {row["id"] for row in body["results"]} == {str(i.pk) for i in invites}
    for row in body["results"]:
        assert set(row) == INVITE_KEYS
        assert row["token"] is None
        assert row["status"] == "pending"
    text = response.content.decode()
    for invite in invites:
        assert invite.token not in text
        stored = Invite.objects.get(pk=invite.pk)
        assert stored.token_hash not in text
        assert stored.token_nonce not in text


def test_list_leaves_out_soft_deleted_invites(api_admin, pending_invite, deleted_invite):
    ids = [row["id"] for row in api_admin.get(LIST).json()["results"]]
    assert ids == [str(pending_invite.pk)]


def test_list_pagination_default_size_and_limits(api_admin, make_invite):
    services.create_invites([f"bulk{i}@example.com" for i in range(205)])

    default = api_admin.get(LIST).json()
    assert (default["count"], len(default["results"])) == (205, 50)
    assert "page=2" in default["next"]
    assert len(api_admin.get(LIST, {"page_size": 120}).json()["results"]) == 120
    assert len(api_admin.get(LIST, {"page_size": 1000}).json()["results"]) == 200
    for bad in ("", "abc", "-3", "0", "1.5", "null", "9" * 2000, "\x00"):
        response = api_admin.get(LIST, {"page_size": bad})
        assert response.status_code == 400, bad
        assert list(response.json()) == ["page_size"]
    last = api_admin.get(LIST, {"page": 5}).json()
    assert len(last["results"]) == 5 and last["next"] is None


@pytest.mark.parametrize("page", ["99", "0", "abc", "-1", "", "last"])
def test_list_invalid_page_is_404(api_admin, pending_invite, page):
    response = api_admin.get(LIST, {"page": page})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_list_filters_by_status(api_admin, pending_invite, expired_invite, accepted_invite):
    expected = {"pending": pending_invite, "expired": expired_invite, "accepted": accepted_invite}
    for status, invite in expected.items():
        response = api_admin.get(LIST, {"status": status})
        assert response.status_code == 200
        rows = response.json()["results"]
        assert [(row["id"], row["status"]) for row in rows] == [(str(invite.pk), status)]
    assert api_admin.get(LIST).json()["count"] == 3


@pytest.mark.parametrize("status", ["", "PENDING", "deleted", "all", "pending,expired", "\x00"])
def test_list_unknown_status_is_400(api_admin, pending_invite, status):
    response = api_admin.get(LIST, {"status": status})
    assert response.status_code == 400
    assert list(response.json()) == ["status"]


def test_list_searches_by_email(api_admin, make_invite):
    ada = make_invite("ada.lovelace@example.com")
    make_invite("grace@example.org")

    rows = api_admin.get(LIST, {"search": "ADA.LOVE"}).json()["results"]

    assert [row["id"] for row in rows] == [str(ada.pk)]
    assert api_admin.get(LIST, {"search": "nobody"}).json()["count"] == 0


def test_list_search_with_a_null_character_is_400(api_admin):
    response = api_admin.get(LIST, {"search": "a\x00b"})
    assert response.status_code == 400
    assert list(response.json()) == ["search"]


def test_list_ordering(api_admin, make_invite):
    c, a, b = (
        make_invite("c@example.com"),
        make_invite("a@example.com"),
        make_invite("b@example.com"),
    )
    expire(b)

    def ids(**params: str) -> list[str]:
        return [row["id"] for row in api_admin.get(LIST, params).json()["results"]]

    assert ids() == [str(b.pk), str(a.pk), str(c.pk)]  # default: newest first
    assert ids(ordering="email") == [str(a.pk), str(b.pk), str(c.pk)]
    assert ids(ordering="-email") == [str(c.pk), str(b.pk), str(a.pk)]
    assert ids(ordering="expires_at")[0] == str(b.pk)
    assert ids(ordering="created_at") == [str(c.pk), str(a.pk), str(b.pk)]
    services.refresh_invite_tokens([c.pk])
    assert ids(ordering="-updated_at")[0] == str(c.pk)
    assert ids(ordering="updated_at")[-1] == str(c.pk)
    assert ids(ordering="token_hash") == ids()  # not an ordering field: default order
