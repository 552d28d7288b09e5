"""An adapter that invites into Django groups as targets, for the API and admin tests.

Any saved model instance can be a target; a group needs no test app. Roles are
`member`, `editor` and `owner`; nobody may invite an `owner` (`can_invite`); a user
is a member of a target group when they are in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import Group

from invites.adapter import DefaultInviteAdapter

ROLES = ["member", "editor", "owner"]
PATH = "tests.api.adapters.GroupTargetsAdapter"


class GroupTargetsAdapter(DefaultInviteAdapter):
    def get_roles(self, target: Any) -> list[str] | None:
        return ROLES if target is not None else None

    def can_invite(self, user: Any, *, target: Any, role: str, groups: Sequence[Group]) -> bool:
        return role != "owner"

    def is_member(self, user: Any, *, target: Any, role: str, groups: Sequence[Group]) -> bool:
        if isinstance(target, Group):
            return bool(user.groups.filter(pk=target.pk).exists())
        return bool(super().is_member(user, target=target, role=role, groups=groups))

    def grant(self, invite: Any, user: Any) -> None:
        super().grant(invite, user)
        if isinstance(invite.target, Group):
            user.groups.add(invite.target)
