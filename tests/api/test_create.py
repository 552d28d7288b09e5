"""Creating an invite through the API."""

from __future__ import annotations

import pytest

from invites import services
from invites.models import Invite
from invites.signals import invite_created
from invites.tokens import hash_token
from tests.api.helpers import INVITE_KEYS, LIST, post_json
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db


def test_create_returns_the_invite_with_a_working_token(
    api_admin, record, django_capture_on_commit_callbacks
):
    created = record(invite_created)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            api_admin, LIST, {"email": " Ada@EXAMPLE.com ", "metadata": {"team": "x"}}
        )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == INVITE_KEYS
    assert body["email"] == "Ada@example.com"
    assert body["metadata"] == {"team": "x"}
    assert body["status"] == "pending" and body["accepted"] is False
    assert response["Cache-Control"] == "no-store"
    invite = Invite.objects.get(pk=body["id"])
    assert invite.token_hash == hash_token(body["token"])
    assert invite.invited_by is not None
    assert [call["invite"].pk for call in created.calls] == [invite.pk]
    assert services.accept_invite(body["token"], password=PASSWORD).email == "Ada@example.com"


def test_create_without_metadata_stores_null(api_admin):
    response = post_json(api_admin, LIST, {"email": "plain@example.com"})
    assert response.status_code == 201
    assert response.json()["metadata"] is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "not-an-email"},
        {"email": ""},
        {"email": None},
        {"email": 42},
        {"email": ["a@example.com"]},
        {"email": "a" * 250 + "@example.com"},
        {"email": "a@example.com", "metadata": "text"},
        {"email": "a@example.com", "metadata": [1, 2]},
        {"email": "a@example.com", "metadata": {"k": "nul\x00"}},
        {"email": "a@example.com", "metadata": {"nul\x00key": 1}},
        {"email": "nul\x00@example.com"},
    ],
)
def test_create_invalid_body_is_400(api_admin, body, nothing_changes):
    with nothing_changes():
        response = post_json(api_admin, LIST, body)
    assert response.status_code == 400
    assert all(isinstance(m, list) for m in response.json().values())


def test_create_for_an_email_with_a_live_invite_is_400(api_admin, pending_invite, nothing_changes):
    with nothing_changes(pending_invite):
        response = post_json(api_admin, LIST, {"email": "PENDING@example.com"})
    assert response.status_code == 400
    assert "pending@example.com" in response.json()["email"][0].lower()


def test_create_for_an_email_of_a_deleted_invite_works(api_admin, deleted_invite):
    response = post_json(api_admin, LIST, {"email": deleted_invite.email})
    assert response.status_code == 201


def test_create_for_an_existing_user_is_400(api_admin, make_user, nothing_changes):
    make_user(email="taken@example.com")
    with nothing_changes():
        response = post_json(api_admin, LIST, {"email": "taken@example.com"})
    assert response.status_code == 400
    assert "taken@example.com" in response.json()["email"][0]
