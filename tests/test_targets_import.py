"""Importing into a target with a role and groups; the batch writes stay set-based."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invites import imports, services
from invites.exceptions import InvalidImportRows
from invites.models import Invite
from tests.teams.models import Membership

pytestmark = pytest.mark.django_db
User = get_user_model()


def codes(check: imports.ImportCheck) -> dict[str, str]:
    return {problem.email: problem.code for problem in [*check.refused, *check.skipped]}


def test_an_import_into_a_team_gives_every_invite_the_target_role_and_groups(team, group):
    result = services.import_invites(
        ["a@example.com", {"email": "b@example.com", "role": "admin"}],
        target=team,
        role="member",
        groups=["Testers"],
    )
    stored = Invite.objects.filter(pk__in=[i.pk for i in result.created]).order_by("email")
    assert [(i.target, i.role) for i in stored] == [(team, "member"), (team, "admin")]
    assert all(list(i.groups.all()) == [group] for i in stored)


def test_the_check_judges_each_row_against_the_target(team, group, team_adapter, team_owner):
    services.create_invites(["open@example.com"], target=team, role="member", invited_by=team_owner)
    services.create_invites(["elsewhere@example.com"], role="member")  # a site invite
    User.objects.create_user(username="u", email="user@example.com")

    check = services.check_import(
        [
            "open@example.com",
            "elsewhere@example.com",
            "user@example.com",
            "ada@example.com",
            {"email": "bad-role@example.com", "role": "king"},
            "new@example.com",
        ],
        target=team,
        role="member",
        invited_by=team_owner,
    )
    assert codes(check) == {
        "open@example.com": imports.INVITE_EXISTS,
        "ada@example.com": imports.ALREADY_MEMBER,
        "bad-role@example.com": imports.INVALID,
    }
    assert check.entries == ["elsewhere@example.com", "user@example.com", "new@example.com"]


def test_a_site_import_still_refuses_existing_users():
    User.objects.create_user(username="u", email="user@example.com")
    check = services.check_import(["user@example.com", "new@example.com"])
    assert codes(check) == {"user@example.com": imports.USER_EXISTS}


def test_members_are_skipped_with_skip_existing(team, team_adapter, team_owner):
    result = services.import_invites(
        ["ada@example.com", "new@example.com"],
        target=team,
        role="member",
        invited_by=team_owner,
        skip_existing=True,
    )
    assert [i.email for i in result.created] == ["new@example.com"]
    assert [p.code for p in result.skipped] == [imports.ALREADY_MEMBER]


def test_what_concerns_the_whole_import_raises(team, team_adapter, team_owner):
    member = User.objects.create_user(username="m", email="m@example.com")
    Membership.objects.create(team=team, user=member, role="member")
    with pytest.raises(PermissionDenied):
        services.import_invites(["a@example.com"], target=team, role="admin", invited_by=member)
    with pytest.raises(PermissionDenied):
        services.check_import(
            [{"email": "a@example.com", "role": "owner"}],
            target=team,
            role="member",
            invited_by=member,
        )
    with pytest.raises(ValidationError):
        services.import_invites(["a@example.com"], groups=["ghosts"])
    with pytest.raises(ValidationError):
        services.import_invites(["a@example.com"], target=team, role="king", invited_by=team_owner)
    assert not Invite.objects.exclude(email="ada@example.com").exists()


def test_refused_rows_create_nothing(team):
    services.create_invites(["open@example.com"], target=team)
    with pytest.raises(InvalidImportRows):
        services.import_invites(["open@example.com", "new@example.com"], target=team)
    assert Invite.objects.count() == 1


def test_creating_with_groups_costs_the_same_queries_for_many_invites(team):
    groups = [Group.objects.create(name=f"g{n}") for n in range(3)]

    def create(count: int, offset: int) -> int:
        emails = [f"u{offset + n}@example.com" for n in range(count)]
        with CaptureQueriesContext(connection) as queries:
            services.create_invites(emails, target=team, groups=groups)
        return len(queries)

    few, many = create(2, 0), create(600, 1000)
    assert many == few
    through = Invite.groups.through.objects
    assert through.count() == 3 * 602
    assert set(through.values_list("group_id", flat=True)) == {g.pk for g in groups}


def test_checking_members_costs_the_same_queries_for_many_users(group):
    def check(count: int, offset: int) -> int:
        users = [
            User.objects.create_user(username=f"u{offset + n}", email=f"u{offset + n}@example.com")
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            services.check_import([user.email for user in users], groups=[group])
        return len(queries)

    assert check(2, 0) == check(300, 1000)
