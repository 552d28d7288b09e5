"""The admin and invites into a target: the list, its filters, an invite's page, adding."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invites import services
from invites.models import Invite
from tests.admin.helpers import ADD, CHANGELIST, change_url, messages_of, run_action, team_type
from tests.helpers import PASSWORD, snapshot
from tests.teams.models import Membership, Team

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("team_adapter")]
User = get_user_model()


@pytest.fixture
def admin_owns(team, admin_user):
    """The admin may invite into `team` with any role: they own it."""
    Membership.objects.create(team=team, user=admin_user, role="owner")
    return team


def declined_invite(email: str = "no@example.com") -> Invite:
    [invite] = services.create_invites([email])
    services.decline_invite(invite.token)
    return Invite.objects.get(pk=invite.pk)


# --- the list -----------------------------------------------------------------------


def test_the_list_shows_target_role_inviter_and_accepter(admin_client, admin_owns, admin_user):
    [invite] = services.create_invites(
        ["grace@example.com"], target=admin_owns, role="admin", invited_by=admin_user
    )
    grace = services.accept_invite(invite.token, password=PASSWORD)

    text = admin_client.get(CHANGELIST).content.decode()

    assert '<td class="field-target">Team: Marketing</td>' in text
    assert '<td class="field-role">admin</td>' in text
    assert f'<td class="field-accepted_by nowrap">{grace}</td>' in text


def test_the_list_loads_targets_and_people_in_a_fixed_number_of_queries(
    admin_client, admin_owns, admin_user
):
    def seed(prefix: str, count: int) -> None:
        for i in range(count):
            team = Team.objects.create(name=f"{prefix} {i}")
            Membership.objects.create(team=team, user=admin_user, role="owner")
            [invite] = services.create_invites(
                [f"{prefix}{i}@example.com"], target=team, role="member", invited_by=admin_user
            )
            if i % 2:
                services.accept_invite(invite.token, password=PASSWORD)

    seed("small", 3)
    admin_client.get(CHANGELIST)
    with CaptureQueriesContext(connection) as small:
        assert admin_client.get(CHANGELIST).status_code == 200
    seed("big", 20)
    with CaptureQueriesContext(connection) as big:
        response = admin_client.get(CHANGELIST)
    assert "Team: big 19" in response.content.decode()
    assert len(big) == len(small)


@pytest.mark.parametrize("status", ["declined", "pending"])
def test_filter_by_status_declined(admin_client, pending_invite, status):
    declined = declined_invite()
    response = admin_client.get(CHANGELIST, {"status": status})
    expected = {"declined": declined.email, "pending": pending_invite.email}[status]
    assert [row.email for row in response.context["cl"].result_list] == [expected]
    assert "Declined" in admin_client.get(CHANGELIST).content.decode()


def test_filter_by_target_type(admin_client, admin_owns, admin_user, pending_invite):
    [into_team] = services.create_invites(
        ["a@example.com"], target=admin_owns, role="member", invited_by=admin_user
    )
    [into_group] = services.create_invites(["b@example.com"], target=Group.objects.create())

    def emails(value: str) -> set[str]:
        response = admin_client.get(CHANGELIST, {"target_type": value})
        assert response.status_code == 200
        return {row.email for row in response.context["cl"].result_list}

    assert emails("teams.team") == {into_team.email}
    assert emails("auth.group") == {into_group.email}
    assert emails("none") == {pending_invite.email}
    assert emails("bogus") == {into_team.email, into_group.email, pending_invite.email}
    text = admin_client.get(CHANGELIST).content.decode()
    # One choice per model that invites point at, and one for the site.
    assert 'href="?target_type=teams.team"' in text
    assert 'href="?target_type=auth.group"' in text
    assert 'href="?target_type=none"' in text
    assert "target_type=auth.user" not in text


# --- an invite's page -----------------------------------------------------------------


def test_the_page_shows_what_the_invite_grants_read_only(admin_client, admin_owns, admin_user):
    staff = Group.objects.create(name="Staff")
    [invite] = services.create_invites(
        ["grace@example.com"],
        target=admin_owns,
        role="admin",
        groups=[staff],
        invited_by=admin_user,
    )

    text = admin_client.get(change_url(invite)).content.decode()

    for label, value in [
        ("Target", "Team: Marketing"),
        ("Role", "admin"),
        ("Groups", "Staff"),
        ("Accepted by", "-"),
        ("Declined at", "-"),
    ]:
        assert re.search(rf"<label>{label}:</label>\s*<div class=\"readonly\">{value}</div>", text)
    # What the invite grants was judged when it was created: a post cannot change it.
    admin_client.post(
        change_url(invite), {"metadata": "", "role": "owner", "target_id": "9", "groups": []}
    )
    stored = Invite.objects.get(pk=invite.pk)
    assert (stored.role, stored.target, list(stored.groups.all())) == ("admin", admin_owns, [staff])


def test_a_declined_invite_shows_when_and_has_no_resend(admin_client):
    invite = declined_invite()
    text = admin_client.get(change_url(invite)).content.decode()
    assert 'name="_resend"' not in text
    assert re.search(r"<label>Declined at:</label>\s*<div class=\"readonly\">(?!-<)", text)


def test_resend_of_an_invite_declined_meanwhile_is_refused(admin_client, pending_invite):
    page = admin_client.get(change_url(pending_invite))
    assert 'name="_resend"' in page.content.decode()
    services.decline_invite(pending_invite.token)

    response = admin_client.post(
        change_url(pending_invite), {"metadata": "", "_resend": "1"}, follow=True
    )

    assert "Not resent: the invitee has declined this invite." in messages_of(response)
    assert Invite.objects.get(pk=pending_invite.pk).status == "declined"


def test_the_refresh_action_skips_declined_invites(admin_client, pending_invite, accepted_invite):
    declined = declined_invite()
    before = snapshot(declined)

    response = run_action(admin_client, "refresh_tokens", pending_invite, declined, accepted_invite)

    assert messages_of(response) == [
        "1 invite was given a new token and resent.",
        "1 invite was skipped because it has been accepted already.",
        "1 invite was skipped because the invitee declined it.",
    ]
    assert snapshot(declined) == before


def test_the_refresh_action_when_an_invite_was_declined_meanwhile(admin_user, make_invite):
    from django.contrib.messages import get_messages

    from tests.admin.helpers import admin_request, after_first_query

    first, second = make_invite(), make_invite()
    model_admin, request = admin_request(admin_user)
    with after_first_query(
        r'SELECT .*"accepted", .*FROM "invites_invite"',
        lambda: services.decline_invite(second.token),
    ):
        model_admin.refresh_tokens(request, Invite.objects.filter(pk__in=[first.pk, second.pk]))

    assert [str(m) for m in get_messages(request)] == [
        "Nothing was refreshed: 1 selected invite was declined meanwhile. "
        "Reload the list and try again."
    ]


# --- adding into a target ----------------------------------------------------------------


def test_add_into_a_team_with_a_role_and_groups(admin_client, admin_owns, admin_user):
    staff = Group.objects.create(name="Staff")
    data = {
        "email": "grace@example.com",
        "target_type": team_type(),
        "target_id": str(admin_owns.pk),
        "role": "admin",
        "groups": [str(staff.pk)],
    }

    response = admin_client.post(ADD, data, follow=True)

    assert any("was added successfully" in m for m in messages_of(response)), response.content
    invite = Invite.objects.get()
    assert (invite.target, invite.role, invite.invited_by) == (admin_owns, "admin", admin_user)
    assert list(invite.groups.all()) == [staff]


def test_the_add_page_offers_target_fields(admin_client):
    text = admin_client.get(ADD).content.decode()
    for name in ("target_type", "target_id", "role", "groups"):
        assert f'name="{name}"' in text
    options = re.search(r'<select name="target_type".*?</select>', text, re.S).group(0)
    assert "Teams | team" in options
    assert "sessions" not in options.lower() and "Invites | invite" not in options


@pytest.mark.parametrize(
    "extra, field, message",
    [
        ({"target_id": "1"}, "target_type", "Choose the type of the target."),
        ({"target_type": "TEAM"}, "target_id", "Enter the id of the target."),
        ({"target_type": "TEAM", "target_id": "999999"}, "target_id", "No team with id “999999”."),
        ({"target_type": "TEAM", "target_id": "abc"}, "target_id", "No team with id “abc”."),
        ({"target_type": "TEAM", "target_id": "TEAM_ID", "role": "boss"}, "role", "not a role"),
        ({"target_type": "TEAM", "target_id": "TEAM_ID", "role": ""}, "role", "not a role"),
        ({"groups": ["999999"]}, "groups", "Select a valid choice."),
    ],
)
def test_add_shows_the_services_refusals_under_their_fields(
    admin_client, admin_owns, extra, field, message
):
    data = {"email": "grace@example.com", **extra}
    data = {
        key: (
            team_type() if value == "TEAM" else str(admin_owns.pk) if value == "TEAM_ID" else value
        )
        for key, value in data.items()
    }

    response = admin_client.post(ADD, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors, errors
    assert any(message in error for error in errors[field])
    assert not Invite.all_objects.exists()


def test_add_when_can_invite_refuses_you(admin_client, team):
    """The admin is no member of the team: the adapter lets no one else invite into it."""
    data = {"email": "g@example.com", "target_type": team_type(), "target_id": str(team.pk)}
    data["role"] = "member"

    response = admin_client.post(ADD, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert not Invite.all_objects.exists()


def test_add_a_member_again_is_refused_on_the_email(admin_client, admin_owns, admin_user):
    data = {
        "email": admin_user.email,
        "target_type": team_type(),
        "target_id": str(admin_owns.pk),
        "role": "member",
    }
    response = admin_client.post(ADD, data)
    errors = response.context["adminform"].form.errors
    assert errors["email"] == [f"Already a member: {admin_user.email}."]


def test_add_an_existing_user_into_a_team(admin_client, admin_owns):
    User.objects.create_user(username="grace", email="grace@example.com", password=PASSWORD)
    data = {
        "email": "grace@example.com",
        "target_type": team_type(),
        "target_id": str(admin_owns.pk),
        "role": "member",
    }
    assert admin_client.post(ADD, data).status_code == 302
    assert Invite.objects.get().target == admin_owns
