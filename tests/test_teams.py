"""The teams example (docs/teams.md, `tests/teams/adapter.py`), through the services."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from invites import services
from invites.exceptions import AlreadyMember
from invites.models import Invite
from invites.signals import invite_accepting
from tests.helpers import PASSWORD
from tests.teams.models import Membership, Team

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("team_adapter")]
User = get_user_model()


def member_of(team: Team, role: str, name: str) -> object:
    user = User.objects.create_user(username=name, email=f"{name}@example.com")
    Membership.objects.create(team=team, user=user, role=role)
    return user


def test_a_new_user_accepts_a_team_invite_and_is_a_member_with_its_role(team, team_owner):
    [invite] = services.create_invites(
        ["grace@example.com"], target=team, role="admin", invited_by=team_owner
    )
    grace = services.accept_invite(invite.token, password=PASSWORD)
    assert Membership.objects.get(team=team, user=grace).role == "admin"
    assert Invite.objects.get(pk=invite.pk).accepted_by == grace


@pytest.mark.parametrize(
    ("inviter_role", "role", "allowed"),
    [
        ("owner", "owner", True),
        ("owner", "member", True),
        ("admin", "owner", False),
        ("admin", "admin", True),
        ("admin", "member", True),
        ("member", "admin", False),
        ("member", "member", True),
    ],
)
def test_you_may_grant_your_own_role_or_lower(team, inviter_role, role, allowed):
    inviter = member_of(team, inviter_role, "inviter")
    if allowed:
        services.create_invites(["grace@example.com"], target=team, role=role, invited_by=inviter)
    else:
        with pytest.raises(PermissionDenied):
            services.create_invites(
                ["grace@example.com"], target=team, role=role, invited_by=inviter
            )


def test_only_members_of_the_team_may_invite_into_it(team):
    other = Team.objects.create(name="Sales")
    outsider = member_of(other, "owner", "outsider")
    with pytest.raises(PermissionDenied):
        services.create_invites(
            ["grace@example.com"], target=team, role="member", invited_by=outsider
        )
    with pytest.raises(PermissionDenied):
        services.create_invites(["grace@example.com"], target=team, role="member")


def test_a_team_invite_needs_one_of_its_roles(team, team_owner):
    for role in ("", "king"):
        with pytest.raises(ValidationError):
            services.create_invites(
                ["grace@example.com"], target=team, role=role, invited_by=team_owner
            )


def test_a_member_cannot_be_invited_again(team, team_owner):
    member_of(team, "member", "grace")
    with pytest.raises(AlreadyMember):
        services.create_invites(
            ["grace@example.com"], target=team, role="member", invited_by=team_owner
        )


def test_site_invites_keep_the_default_rules(team_owner):
    [invite] = services.create_invites(["grace@example.com"], role="anything")
    assert invite.role == "anything"


def test_grant_raising_leaves_no_user_no_membership_and_the_invite_open(settings, team, team_owner):
    [invite] = services.create_invites(
        ["grace@example.com"], target=team, role="member", invited_by=team_owner
    )
    settings.INVITES = {"ADAPTER": "tests.adapters.FailingTeamAdapter"}
    with pytest.raises(RuntimeError):
        services.accept_invite(invite.token, password=PASSWORD)
    assert not User.objects.filter(email="grace@example.com").exists()
    assert Invite.objects.get(pk=invite.pk).is_open
    assert not Membership.objects.exclude(user=team_owner).exists()


def test_an_invite_accepting_receiver_sees_the_membership_and_may_veto(team, team_owner):
    [invite] = services.create_invites(
        ["grace@example.com"], target=team, role="member", invited_by=team_owner
    )
    seen = []

    def veto(**kwargs: object) -> None:
        seen.append((kwargs["created"], Membership.objects.filter(user=kwargs["user"]).exists()))
        raise RuntimeError("refused by the project")

    invite_accepting.connect(veto, weak=False)
    try:
        with pytest.raises(RuntimeError):
            services.accept_invite(invite.token, password=PASSWORD)
    finally:
        invite_accepting.disconnect(veto)
    assert seen == [(True, True)]
    assert not User.objects.filter(email="grace@example.com").exists()
    assert Invite.objects.get(pk=invite.pk).is_open
