"""Refreshing invites in bulk through the API."""

from __future__ import annotations

import uuid

import pytest

from invites import services
from invites.models import Invite
from invites.signals import invite_resent
from invites.tokens import hash_token
from tests.api.helpers import INVITE_KEYS, REFRESH, post_json
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db


def test_refresh_returns_invites_in_given_order_with_new_tokens(
    api_admin, make_invite, expired_invite, record, django_capture_on_commit_callbacks
):
    first, second = make_invite(), make_invite()
    ids = [str(second.pk), str(expired_invite.pk), str(first.pk), str(second.pk)]
    resent = record(invite_resent)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(api_admin, REFRESH, {"invite_ids": ids})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    rows = response.json()
    assert isinstance(rows, list)
    assert [row["id"] for row in rows] == ids[:3]
    assert all(set(row) == INVITE_KEYS and row["status"] == "pending" for row in rows)
    for row in rows:
        assert Invite.objects.get(pk=row["id"]).token_hash == hash_token(row["token"])
    assert [call["invite"].pk for call in resent.calls] == [second.pk, expired_invite.pk, first.pk]
    assert services.accept_invite(rows[2]["token"], password=PASSWORD).email == first.email


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": ["x"]},
        {"invite_ids": None},
        {"invite_ids": "a-single-id"},
        {"invite_ids": {"0": "id"}},
        {"invite_ids": 7},
        {"invite_ids": []},
        {"invite_ids": [1]},
        {"invite_ids": [None]},
        {"invite_ids": [["nested"]]},
        {"invite_ids": [{"id": "x"}]},
        {"invite_ids": [True]},
        {"invite_ids": ["x" * 65]},
        None,
        [],
        ["id"],
        42,
        "invite_ids",
        True,
    ],
)
def test_refresh_bad_body_is_400(api_admin, pending_invite, body, nothing_changes):
    with nothing_changes(pending_invite):
        response = post_json(api_admin, REFRESH, body)
    assert response.status_code == 400
    messages = response.json()
    assert isinstance(messages, dict)
    assert all(isinstance(value, list) for value in messages.values())


def test_refresh_with_a_non_string_id_says_so(api_admin, pending_invite):
    response = post_json(api_admin, REFRESH, {"invite_ids": [str(pending_invite.pk), 5]})
    assert response.status_code == 400
    assert response.json() == {"invite_ids": ["Each invite id must be a string."]}


def test_refresh_more_than_max_batch_size_is_400(settings, api_admin, make_invite, nothing_changes):
    settings.INVITES = {"MAX_BATCH_SIZE": 2}
    invites = [make_invite() for _ in range(3)]

    with nothing_changes(*invites):
        response = post_json(api_admin, REFRESH, {"invite_ids": [str(i.pk) for i in invites]})
    assert response.status_code == 400
    assert "2" in response.json()["invite_ids"][0]
    ok = post_json(api_admin, REFRESH, {"invite_ids": [str(i.pk) for i in invites[:2]]})
    assert ok.status_code == 200


def test_refresh_unknown_ids_is_400_naming_every_one(
    api_admin, pending_invite, deleted_invite, accepted_invite, nothing_changes
):
    unknown = str(uuid.uuid4())
    ids = [
        str(pending_invite.pk),
        "bogus",
        unknown,
        str(deleted_invite.pk),
        str(accepted_invite.pk),
        "",
        "bogus",
    ]
    with nothing_changes(pending_invite, deleted_invite, accepted_invite):
        response = post_json(api_admin, REFRESH, {"invite_ids": ids})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "not_found"
    assert body["ids"] == ["bogus", unknown, str(deleted_invite.pk), ""]
    for value in ("bogus", unknown, str(deleted_invite.pk)):
        assert value in body["detail"]


def test_refresh_accepted_invites_is_409_naming_them(
    api_admin, pending_invite, accepted_invite, nothing_changes
):
    ids = [str(pending_invite.pk), str(accepted_invite.pk)]
    with nothing_changes(pending_invite, accepted_invite):
        response = post_json(api_admin, REFRESH, {"invite_ids": ids})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "already_accepted"
    assert body["ids"] == [str(accepted_invite.pk)]
    assert str(accepted_invite.pk) in body["detail"]


def test_refresh_is_post_only(api_admin):
    assert api_admin.get(REFRESH).status_code == 405
