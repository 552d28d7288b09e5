"""The invite JSON's target, role, groups and people, and the list's new filters."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from invites import services
from tests.api.helpers import INVITE_KEYS, LIST, detail
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def staff(db):
    return Group.objects.create(name="Staff")


@pytest.fixture
def team(db):
    """Any saved model instance can be a target; a group is one at hand."""
    return Group.objects.create(name="Marketing")


def test_a_site_invite_has_no_target_role_groups_or_people(api_admin, pending_invite):
    row = api_admin.get(detail(pending_invite)).json()

    assert set(row) == INVITE_KEYS
    assert (row["target"], row["role"], row["groups"]) == (None, "", [])
    assert (row["invited_by"], row["accepted_by"]) == (None, None)
    assert (row["accepted_at"], row["declined_at"]) == (None, None)


def test_an_invite_into_a_target_names_it_and_its_people(api_admin, make_user, team, staff):
    inviter = make_user(email="boss@example.com")
    [invite] = services.create_invites(
        ["ada@example.com"], invited_by=inviter, target=team, role="editor", groups=[staff]
    )

    row = api_admin.get(detail(invite)).json()

    assert row["target"] == {"type": "auth.group", "id": str(team.pk), "name": "Marketing"}
    assert row["role"] == "editor"
    assert row["groups"] == ["Staff"]
    assert row["invited_by"] == {"id": inviter.pk, "email": "boss@example.com"}


def test_an_accepted_invite_names_who_accepted(api_admin, make_invite):
    invite = make_invite("grace@example.com")
    user = services.accept_invite(invite.token, password=PASSWORD)

    row = api_admin.get(detail(invite)).json()

    assert row["accepted_by"] == {"id": user.pk, "email": "grace@example.com"}
    assert row["accepted_at"] is not None
    assert row["status"] == "accepted"


def test_a_declined_invite_has_its_status_and_time(api_admin, make_invite):
    invite = make_invite("alan@example.com")
    services.decline_invite(invite.token)

    row = api_admin.get(detail(invite)).json()

    assert row["status"] == "declined"
    assert row["declined_at"] is not None
    assert row["token"] is None


def test_filter_by_declined_status(api_admin, make_invite, pending_invite):
    declined = make_invite("no@example.com")
    services.decline_invite(declined.token)

    rows = api_admin.get(LIST, {"status": "declined"}).json()["results"]

    assert [(row["id"], row["status"]) for row in rows] == [(str(declined.pk), "declined")]
    pending = api_admin.get(LIST, {"status": "pending"}).json()["results"]
    assert [row["id"] for row in pending] == [str(pending_invite.pk)]


def test_filter_by_target_one_model_or_none(api_admin, team, staff, make_invite):
    site = make_invite("site@example.com")
    [into_team] = services.create_invites(["a@example.com"], target=team)
    [into_staff] = services.create_invites(["b@example.com"], target=staff)
    [groups_only] = services.create_invites(["c@example.com"], groups=[staff])

    def ids(target: str) -> set[str]:
        response = api_admin.get(LIST, {"target": target})
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids(f"auth.group:{team.pk}") == {str(into_team.pk)}
    assert ids(f"auth.Group:{staff.pk}") == {str(into_staff.pk)}
    assert ids("auth.group") == {str(into_team.pk), str(into_staff.pk)}
    # Groups alone make no target: such an invite is to the site.
    assert ids("none") == {str(site.pk), str(groups_only.pk)}
    assert ids("auth.group:999999") == set()
    assert ids("auth.user") == set()


@pytest.mark.parametrize(
    "value",
    ["", "team", "nosuchapp.team", "auth.nosuchmodel", "auth.group:not-a-number", ".", "a\x00.b"],
)
def test_a_target_that_names_nothing_is_400(api_admin, pending_invite, value):
    response = api_admin.get(LIST, {"target": value})
    assert response.status_code == 400
    assert list(response.json()) == ["target"]


def test_filter_by_inviter(api_admin, make_user, make_invite):
    boss, other = make_user(), make_user()
    [mine] = services.create_invites(["mine@example.com"], invited_by=boss)
    services.create_invites(["theirs@example.com"], invited_by=other)
    make_invite("nobodys@example.com")

    rows = api_admin.get(LIST, {"invited_by": boss.pk}).json()["results"]

    assert [row["id"] for row in rows] == [str(mine.pk)]
    assert api_admin.get(LIST, {"invited_by": 999999}).json()["count"] == 0


@pytest.mark.parametrize("value", ["", "abc", "1.5", "\x00"])
def test_an_inviter_that_is_no_user_id_is_400(api_admin, pending_invite, value):
    response = api_admin.get(LIST, {"invited_by": value})
    assert response.status_code == 400
    assert list(response.json()) == ["invited_by"]
