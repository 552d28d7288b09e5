"""Invites into teams: roles, who may invite whom, and the membership an accept creates.

`INVITES = {"ADAPTER": "tests.teams.adapter.TeamInviteAdapter"}` turns it on.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.db import models

from invites.adapter import DefaultInviteAdapter
from invites.models import Invite
from tests.teams.models import Membership, Team

# Highest first: a member may invite with their own role or any below it.
ROLES = ["owner", "admin", "member"]


class TeamInviteAdapter(DefaultInviteAdapter):
    def get_roles(self, target: models.Model | None) -> Sequence[str] | None:
        if isinstance(target, Team):
            return ROLES
        return super().get_roles(target)

    def can_invite(
        self,
        user: AbstractBaseUser | None,
        *,
        target: models.Model | None,
        role: str,
        groups: Sequence[Group],
    ) -> bool:
        if not isinstance(target, Team):
            return super().can_invite(user, target=target, role=role, groups=groups)
        if user is None:
            return False
        own = Membership.objects.filter(team=target, user=user).values_list("role", flat=True)
        return any(ROLES.index(role) >= ROLES.index(mine) for mine in own)

    def is_member(
        self,
        user: AbstractBaseUser,
        *,
        target: models.Model | None,
        role: str,
        groups: Sequence[Group],
    ) -> bool:
        if isinstance(target, Team):
            return Membership.objects.filter(team=target, user=user).exists()
        return super().is_member(user, target=target, role=role, groups=groups)

    def grant(self, invite: Invite, user: AbstractBaseUser) -> None:
        super().grant(invite, user)  # the invite's groups
        if isinstance(invite.target, Team):
            Membership.objects.create(team=invite.target, user=user, role=invite.role)
