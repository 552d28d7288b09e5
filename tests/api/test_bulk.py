"""POST /api/invites/bulk/: many invites, all or nothing, every bad row named."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from invites.models import Invite
from invites.signals import invite_created
from tests.api.helpers import INVITE_KEYS, client_for, post_json
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db
BULK = "/api/invites/bulk/"
User = get_user_model()


def test_creates_every_invite_with_its_token(api_admin, record, django_capture_on_commit_callbacks):
    created = record(invite_created)
    body = {
        "invites": [
            {"email": "ada@example.com", "metadata": {"team": "research"}},
            {"email": " Grace@EXAMPLE.com "},
        ]
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(api_admin, BULK, body)
    assert response.status_code == 201, response.json()
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    assert data["skipped"] == []
    assert [i["email"] for i in data["created"]] == ["ada@example.com", "Grace@example.com"]
    assert all(set(i) == INVITE_KEYS and i["token"] for i in data["created"])
    assert Invite.objects.get(email="ada@example.com").metadata == {"team": "research"}
    assert len(created.calls) == 2


def test_every_bad_row_is_named_and_nothing_is_created(api_admin, make_invite, nothing_changes):
    existing = make_invite("invited@example.com")
    User.objects.create_user(username="u", email="user@example.com", password=PASSWORD)
    body = {
        "invites": [
            {"email": "ok@example.com"},
            {"email": "not-an-email"},
            {"email": "OK@example.com"},
            {"email": "invited@example.com"},
            {"email": "USER@example.com"},
            {"email": "x" * 250 + "@example.com"},
        ],
        "skip_existing": False,
    }
    with nothing_changes(existing):
        response = post_json(api_admin, BULK, body)
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid_rows"
    assert data["detail"] == "Nothing was created: 5 entries cannot be imported."
    assert [(r["index"], r["email"], r["code"]) for r in data["rows"]] == [
        (1, "not-an-email", "invalid"),
        (2, "OK@example.com", "duplicate"),
        (3, "invited@example.com", "invite_exists"),
        (4, "USER@example.com", "user_exists"),
        (5, ("x" * 250 + "@example.com")[:254], "invalid"),  # echoed up to 254 characters
    ]
    assert data["rows"][0]["detail"] == "“not-an-email” is not a valid email address."


def test_skip_existing_skips_invites_and_users(api_admin, make_invite):
    make_invite("invited@example.com")
    User.objects.create_user(username="u", email="user@example.com", password=PASSWORD)
    body = {
        "invites": [
            {"email": "invited@example.com"},
            {"email": "new@example.com"},
            {"email": "user@example.com"},
        ],
        "skip_existing": True,
    }
    response = post_json(api_admin, BULK, body)
    assert response.status_code == 201
    data = response.json()
    assert [i["email"] for i in data["created"]] == ["new@example.com"]
    assert data["skipped"] == [
        {"index": 0, "email": "invited@example.com", "reason": "invite_exists"},
        {"index": 2, "email": "user@example.com", "reason": "user_exists"},
    ]
    assert Invite.objects.count() == 2


def test_skip_existing_still_refuses_invalid_and_duplicate_rows(api_admin, make_invite):
    make_invite("invited@example.com")
    body = {
        "invites": [
            {"email": "invited@example.com"},
            {"email": "a@b"},
            {"email": "c@example.com"},
            {"email": "C@example.com"},
        ],
        "skip_existing": True,
    }
    response = post_json(api_admin, BULK, body)
    assert response.status_code == 400
    assert [(r["index"], r["code"]) for r in response.json()["rows"]] == [
        (1, "invalid"),
        (3, "duplicate"),
    ]
    assert Invite.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "invites", "This field is required."),
        ({"invites": "a@b.c"}, "invites", 'Expected a list of invites but got type "str".'),
        ({"invites": []}, "invites", "This list may not be empty."),
        ({"invites": [{"email": "a@b.c"}] * 4}, "invites", "no more than 3 invites."),
        ({"invites": [{"email": "a@b.c"}], "skip_existing": "maybe"}, "skip_existing", "valid"),
    ],
)
def test_invalid_bodies(api_admin, settings, body, field, message):
    settings.INVITES = {"MAX_BATCH_SIZE": 3}
    response = post_json(api_admin, BULK, body)
    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert not Invite.objects.exists()


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"email": ["a@b.c"]}, "entry 1, email: Not a valid string."),
        ({}, "entry 1, email: This field is required."),
        ("a@b.c", "entry 1: Invalid data. Expected a dictionary, but got str."),
        (
            {"email": "a@b.c", "metadata": [1]},
            'entry 1, metadata: Expected a dictionary of items but got type "list".',
        ),
        (
            {"email": "x" * 400},
            "entry 1, email: Ensure this field has no more than 320 characters.",
        ),
    ],
)
def test_malformed_entries_are_field_errors(api_admin, entry, expected):
    response = post_json(api_admin, BULK, {"invites": [{"email": "ok@example.com"}, entry]})
    assert response.status_code == 400
    assert response.json() == {"invites": [expected]}
    assert not Invite.objects.exists()


def test_a_full_batch_in_one_call(api_admin, settings, django_assert_max_num_queries):
    settings.INVITES = {"SEND_EMAILS": False}
    body = {"invites": [{"email": f"person{i}@example.com"} for i in range(1000)]}
    with django_assert_max_num_queries(20):
        response = post_json(api_admin, BULK, body)
    assert response.status_code == 201
    assert Invite.objects.count() == 1000


def test_needs_add_permission(make_user, api_viewer):
    body = {"invites": [{"email": "a@example.com"}]}
    assert post_json(api_viewer, BULK, body).status_code == 403
    changer = client_for(make_user("change", "view"))
    assert post_json(changer, BULK, body).status_code == 403
    adder = client_for(make_user("add"))
    assert post_json(adder, BULK, body).status_code == 201
    invite = Invite.objects.get()
    assert invite.invited_by is not None


def test_anonymous_is_refused(client):
    response = client.post(BULK, {"invites": []}, content_type="application/json")
    assert response.status_code == 401
