"""Creating invites into a target, with a role and groups, one at a time and in bulk."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from invites.models import Invite
from tests.api.adapters import PATH
from tests.api.helpers import LIST, post_json
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()
BULK = "/api/invites/bulk/"


@pytest.fixture(autouse=True)
def group_targets(settings):
    settings.INVITES = {**getattr(settings, "INVITES", {}), "ADAPTER": PATH}


@pytest.fixture
def team(db):
    return Group.objects.create(name="Marketing")


@pytest.fixture
def newsletter(db):
    return Group.objects.create(name="Newsletter")


def target_of(group: Group) -> dict:
    return {"type": "auth.group", "id": str(group.pk)}


def test_create_into_a_target_with_a_role_and_groups(api_admin, team, newsletter):
    response = post_json(
        api_admin,
        LIST,
        {
            "email": "ada@example.com",
            "target": {"type": "auth.group", "id": team.pk},  # an integer id is fine too
            "role": "editor",
            "groups": ["Newsletter"],
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["target"] == {"type": "auth.group", "id": str(team.pk), "name": "Marketing"}
    assert (body["role"], body["groups"]) == ("editor", ["Newsletter"])
    assert body["token"]
    invite = Invite.objects.get(pk=body["id"])
    assert (invite.target, invite.role) == (team, "editor")
    assert list(invite.groups.all()) == [newsletter]


def test_a_null_target_is_an_invite_to_the_site(api_admin):
    response = post_json(api_admin, LIST, {"email": "ada@example.com", "target": None})
    assert response.status_code == 201
    assert response.json()["target"] is None


def test_an_existing_user_may_be_invited_into_a_target(api_admin, team):
    User.objects.create_user(username="grace", email="grace@example.com", password=PASSWORD)
    body = {"email": "grace@example.com", "target": target_of(team), "role": "member"}

    response = post_json(api_admin, LIST, body)

    assert response.status_code == 201, response.json()
    # A plain site invite still has nothing to give that user.
    plain = post_json(api_admin, LIST, {"email": "grace@example.com"})
    assert plain.status_code == 400
    assert list(plain.json()) == ["email"]


def test_one_email_may_have_open_invites_into_two_targets(api_admin, team, newsletter):
    first = post_json(api_admin, LIST, {"email": "ada@example.com", "target": target_of(team)})
    second = post_json(
        api_admin, LIST, {"email": "ada@example.com", "target": target_of(newsletter)}
    )
    again = post_json(api_admin, LIST, {"email": "ADA@example.com", "target": target_of(team)})

    assert (first.status_code, second.status_code) == (201, 201)
    assert again.status_code == 400
    assert list(again.json()) == ["email"]


@pytest.mark.parametrize(
    "target",
    [
        {"type": "nosuchapp.team", "id": "1"},
        {"type": "auth.nosuchmodel", "id": "1"},
        {"type": "auth.group", "id": "999999"},
        {"type": "auth.group", "id": "not-a-number"},
        {"type": "group", "id": "1"},
    ],
)
def test_a_target_that_names_nothing_is_400_under_target(api_admin, team, target, nothing_changes):
    with nothing_changes():
        response = post_json(api_admin, LIST, {"email": "ada@example.com", "target": target})
    assert response.status_code == 400
    assert list(response.json()) == ["target"]


@pytest.mark.parametrize(
    "target",
    [
        "auth.group:1",
        {"type": "auth.group"},
        {"id": "1"},
        {"type": "auth.group", "id": True},
        {"type": "auth.group", "id": ""},
        {"type": "auth.group", "id": "x" * 65},
        {"type": "auth.group", "id": ["1"]},
    ],
)
def test_a_malformed_target_is_400_under_target(api_admin, target):
    response = post_json(api_admin, LIST, {"email": "ada@example.com", "target": target})
    assert response.status_code == 400
    assert list(response.json()) == ["target"]


def test_a_role_the_adapter_does_not_list_is_400_under_role(api_admin, team, nothing_changes):
    with nothing_changes():
        response = post_json(
            api_admin, LIST, {"email": "a@example.com", "target": target_of(team), "role": "boss"}
        )
    assert response.status_code == 400
    assert list(response.json()) == ["role"]


def test_an_unknown_group_is_400_under_groups(api_admin, nothing_changes):
    with nothing_changes():
        response = post_json(api_admin, LIST, {"email": "a@example.com", "groups": ["Nope"]})
    assert response.status_code == 400
    assert list(response.json()) == ["groups"]


def test_can_invite_refusing_is_403(api_admin, team, nothing_changes):
    with nothing_changes():
        response = post_json(
            api_admin, LIST, {"email": "a@example.com", "target": target_of(team), "role": "owner"}
        )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_an_existing_member_is_400_already_member(api_admin, team, nothing_changes):
    user = User.objects.create_user(username="g", email="grace@example.com", password=PASSWORD)
    user.groups.add(team)
    with nothing_changes():
        response = post_json(
            api_admin, LIST, {"email": "grace@example.com", "target": target_of(team)}
        )
    assert response.status_code == 400
    assert response.json()["code"] == "already_member"
    assert "detail" in response.json()


# --- bulk -------------------------------------------------------------------------------


def test_bulk_into_a_target_with_a_role_per_entry(api_admin, team, newsletter):
    response = post_json(
        api_admin,
        BULK,
        {
            "invites": [{"email": "a@example.com"}, {"email": "b@example.com", "role": "editor"}],
            "target": target_of(team),
            "role": "member",
            "groups": ["Newsletter"],
        },
    )

    assert response.status_code == 201, response.json()
    created = response.json()["created"]
    assert [(row["email"], row["role"]) for row in created] == [
        ("a@example.com", "member"),
        ("b@example.com", "editor"),
    ]
    assert all(row["target"]["name"] == "Marketing" for row in created)
    assert all(row["groups"] == ["Newsletter"] for row in created)


def test_bulk_names_members_as_bad_rows_or_skips_them(api_admin, team, nothing_changes):
    member = User.objects.create_user(username="m", email="member@example.com", password=PASSWORD)
    member.groups.add(team)
    body = {
        "invites": [{"email": "new@example.com"}, {"email": "member@example.com"}],
        "target": target_of(team),
    }

    with nothing_changes():
        refused = post_json(api_admin, BULK, body)
    assert refused.status_code == 400
    assert [(r["index"], r["code"]) for r in refused.json()["rows"]] == [(1, "already_member")]

    skipped = post_json(api_admin, BULK, {**body, "skip_existing": True})
    assert skipped.status_code == 201
    assert skipped.json()["skipped"] == [
        {"index": 1, "email": "member@example.com", "reason": "already_member"}
    ]
    assert [row["email"] for row in skipped.json()["created"]] == ["new@example.com"]


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"target": {"type": "auth.group", "id": "999999"}}, "target"),
        ({"groups": ["Nope"]}, "groups"),
    ],
)
def test_bulk_refuses_what_create_refuses(api_admin, extra, field, nothing_changes):
    with nothing_changes():
        response = post_json(api_admin, BULK, {"invites": [{"email": "a@example.com"}], **extra})
    assert response.status_code == 400
    assert field in response.json()


def test_bulk_with_a_role_outside_get_roles_refuses(api_admin, team, nothing_changes):
    body = {"invites": [{"email": "a@example.com"}], "target": target_of(team), "role": "boss"}
    with nothing_changes():
        response = post_json(api_admin, BULK, body)
    assert response.status_code == 400


def test_bulk_when_can_invite_refuses_is_403(api_admin, team, nothing_changes):
    body = {"invites": [{"email": "a@example.com"}], "target": target_of(team), "role": "owner"}
    with nothing_changes():
        response = post_json(api_admin, BULK, body)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("groups", [[11], [None], ["Marketing", {"a": 1}], ["x" * 151]])
def test_groups_that_are_not_names_are_one_flat_message(api_admin, groups):
    for path, body in (
        (LIST, {"email": "ada@example.com", "groups": groups}),
        (BULK, {"invites": [{"email": "ada@example.com"}], "groups": groups}),
    ):
        response = post_json(api_admin, path, body)
        assert response.status_code == 400, path
        assert isinstance(response.json()["groups"], list), response.json()
        assert all(isinstance(message, str) for message in response.json()["groups"])
    assert not Invite.all_objects.exists()


@pytest.mark.parametrize("target", [{}, {"type": "auth.group"}, {"id": 1}, {"type": 5, "id": []}])
def test_a_malformed_target_is_one_flat_message(api_admin, target):
    for path, body in (
        (LIST, {"email": "ada@example.com", "target": target}),
        (BULK, {"invites": [{"email": "ada@example.com"}], "target": target}),
    ):
        response = post_json(api_admin, path, body)
        assert response.status_code == 400, path
        messages = response.json()["target"]
        assert isinstance(messages, list) and all(isinstance(m, str) for m in messages)
    assert not Invite.all_objects.exists()
