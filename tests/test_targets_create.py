"""Creating invites into a target, with a role and groups: what is refused, and in what order."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from invites import services
from invites.exceptions import AlreadyMember, InviteAlreadyExists, UserAlreadyExists
from invites.models import Invite
from tests.helpers import PASSWORD
from tests.teams.models import Membership, Team

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def other_team(db):
    return Team.objects.create(name="Sales")


def test_an_invite_into_a_target_stores_it_with_its_role_and_groups(team, group):
    [invite] = services.create_invites(
        ["a@example.com"], target=team, role="editor", groups=[group]
    )
    invite = Invite.objects.get(pk=invite.pk)
    assert invite.target == team
    assert (invite.target_id, invite.role) == (str(team.pk), "editor")
    assert list(invite.groups.all()) == [group]


def test_groups_are_taken_by_name_and_every_invite_gets_them():
    one, two = Group.objects.create(name="one"), Group.objects.create(name="two")
    invites = services.create_invites(["a@example.com", "b@example.com"], groups=["one", two])
    for invite in invites:
        assert set(Invite.objects.get(pk=invite.pk).groups.all()) == {one, two}


def test_an_entrys_role_overrides_the_calls(team):
    invites = services.create_invites(
        ["a@example.com", {"email": "b@example.com", "role": "owner"}], target=team, role="member"
    )
    assert [
        i.role for i in Invite.objects.filter(pk__in=[i.pk for i in invites]).order_by("email")
    ] == [
        "member",
        "owner",
    ]


def test_one_email_may_have_open_invites_into_two_targets_and_the_site(team, other_team):
    services.create_invites(["a@example.com"], target=team)
    services.create_invites(["A@example.com"], target=other_team)
    services.create_invites(["a@EXAMPLE.com"])
    assert Invite.objects.open().count() == 3


def test_a_second_open_invite_into_one_target_is_refused(team):
    services.create_invites(["a@example.com"], target=team)
    with pytest.raises(InviteAlreadyExists) as caught:
        services.create_invites(["b@example.com", "A@example.com"], target=team)
    assert caught.value.emails == ["A@example.com"]
    assert Invite.objects.count() == 1


def test_an_invite_with_groups_only_is_an_invite_to_the_site(group):
    services.create_invites(["a@example.com"])
    with pytest.raises(InviteAlreadyExists):
        services.create_invites(["a@example.com"], groups=[group])


def test_an_accepted_invite_does_not_block_a_new_one(team):
    [invite] = services.create_invites(["a@example.com"], target=team, role="member")
    services.accept_invite(invite.token, password=PASSWORD)
    Membership.objects.all().delete()  # left the team since
    services.create_invites(["a@example.com"], target=team, role="member")
    assert Invite.objects.filter(email="a@example.com").count() == 2


def test_a_declined_invite_does_not_block_a_new_one(team):
    [invite] = services.create_invites(["a@example.com"], target=team)
    services.decline_invite(invite.token)
    services.create_invites(["a@example.com"], target=team)
    assert Invite.objects.open().count() == 1


def test_an_existing_user_may_be_invited_into_a_target(team):
    User.objects.create_user(username="a", email="a@example.com")
    services.create_invites(["a@example.com"], target=team)


def test_an_existing_user_may_be_invited_into_groups_they_lack(group):
    user = User.objects.create_user(username="a", email="a@example.com")
    other = Group.objects.create(name="other")
    user.groups.add(other)
    services.create_invites(["a@example.com"], groups=[group, other])


def test_a_plain_site_invite_to_an_existing_user_is_still_refused():
    User.objects.create_user(username="a", email="a@example.com")
    with pytest.raises(UserAlreadyExists):
        services.create_invites(["A@example.com"])


def test_a_user_in_every_group_is_already_a_member(group):
    user = User.objects.create_user(username="a", email="a@example.com")
    user.groups.add(group)
    with pytest.raises(AlreadyMember) as caught:
        services.create_invites(["new@example.com", "A@example.com"], groups=["Testers"])
    assert caught.value.emails == ["A@example.com"]
    assert caught.value.code == "already_member"
    assert not Invite.objects.exists()


def test_the_default_is_member_needs_no_query_per_invitee(group, django_assert_max_num_queries):
    users = [
        User.objects.create_user(username=f"u{n}", email=f"u{n}@example.com") for n in range(30)
    ]
    for user in users:
        user.groups.add(group)
    with django_assert_max_num_queries(8), pytest.raises(AlreadyMember) as caught:
        services.check_creatable([user.email for user in users], groups=[group])
    assert len(caught.value.emails) == 30


def test_an_invite_already_existing_is_reported_before_a_member(group):
    user = User.objects.create_user(username="a", email="a@example.com")
    user.groups.add(group)
    services.create_invites(["b@example.com"], groups=[group])
    with pytest.raises(InviteAlreadyExists):
        services.create_invites(["a@example.com", "b@example.com"], groups=[group])


def test_an_unknown_group_is_a_validation_error():
    with pytest.raises(ValidationError) as caught:
        services.create_invites(["a@example.com"], groups=["ghosts"])
    assert "groups" in caught.value.message_dict
    assert not Invite.objects.exists()


@pytest.mark.parametrize("role", [7, ["member"], "x" * 65])
def test_a_role_that_is_no_short_string_is_a_validation_error(role):
    with pytest.raises(ValidationError) as caught:
        services.create_invites([{"email": "a@example.com", "role": role}])
    assert "role" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.create_invites(["a@example.com"], role=role)
    assert "role" in caught.value.message_dict


def test_an_unknown_entry_field_is_still_refused():
    with pytest.raises(ValidationError):
        services.create_invites([{"email": "a@example.com", "team": "x"}])


def test_the_default_adapter_allows_any_role():
    [invite] = services.create_invites(["a@example.com"], role="whatever")
    assert invite.role == "whatever"


def test_check_creatable_refuses_alike_and_writes_nothing(team):
    services.create_invites(["a@example.com"], target=team)
    with pytest.raises(InviteAlreadyExists):
        services.check_creatable(["a@example.com"], target=team)
    services.check_creatable(["a@example.com"], target=Team.objects.create(name="Other"))
    assert Invite.objects.count() == 1


class TestRolesAndPermissions:
    """With the teams example's adapter: roles, and who may invite with which."""

    @pytest.fixture(autouse=True)
    def _adapter(self, team_adapter):
        pass

    def test_a_role_outside_get_roles_is_a_validation_error(self, team, team_owner):
        with pytest.raises(ValidationError) as caught:
            services.create_invites(
                ["a@example.com"], target=team, role="king", invited_by=team_owner
            )
        assert "role" in caught.value.message_dict
        assert not Invite.objects.exists()

    def test_an_entrys_role_is_judged_too(self, team, team_owner):
        with pytest.raises(ValidationError):
            services.create_invites(
                ["a@example.com", {"email": "b@example.com", "role": "king"}],
                target=team,
                role="member",
                invited_by=team_owner,
            )
        assert not Invite.objects.exists()

    def test_can_invite_refusing_is_permission_denied(self, team, team_owner):
        member = User.objects.create_user(username="m", email="m@example.com")
        Membership.objects.create(team=team, user=member, role="member")
        with pytest.raises(PermissionDenied):
            services.create_invites(["a@example.com"], target=team, role="admin", invited_by=member)
        with pytest.raises(PermissionDenied):
            services.create_invites(["a@example.com"], target=team, role="member")
        assert not Invite.objects.exists()

    def test_permission_is_judged_before_what_the_database_holds(self, team, team_owner):
        """An inviter who may not invite here learns nothing about who is in the team."""
        outsider = User.objects.create_user(username="o", email="o@example.com")
        with pytest.raises(PermissionDenied):
            services.create_invites(
                ["ada@example.com"], target=team, role="member", invited_by=outsider
            )

    def test_is_member_refuses_someone_already_in_the_team(self, team, team_owner):
        with pytest.raises(AlreadyMember) as caught:
            services.create_invites(
                ["ADA@example.com"], target=team, role="member", invited_by=team_owner
            )
        assert caught.value.emails == ["ADA@example.com"]
