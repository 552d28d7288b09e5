"""What a create call asks for: its entries parsed, its target, role and groups judged.

Everything here is input checking, done before any existence check: a malformed email,
role, target or group is a `ValidationError`, and an inviter the adapter refuses is a
`PermissionDenied`, whatever the database holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invites.adapter import DefaultInviteAdapter
from invites.addresses import validate_address
from invites.metadata import validate_metadata as validate_metadata_limits
from invites.models import email_key
from invites.targets import resolve_groups, target_key

ENTRY_FIELDS = frozenset({"email", "metadata", "role"})
# The longest role the invite's `role` column holds.
MAX_ROLE_LENGTH = 64


@dataclass(frozen=True)
class Entry:
    """One invite to create: a normalized email, its key, its metadata and its role."""

    email: str
    key: str
    metadata: dict[str, Any] | None
    role: str


@dataclass(frozen=True)
class Batch:
    """A create call's entries and what they invite into, every input check passed."""

    entries: list[Entry]
    target: models.Model | None
    # `(content type id, target id)` as the invite stores it, or None for the site.
    target_key: tuple[int, str] | None
    groups: list[Group]

    @property
    def grants_something(self) -> bool:
        """Whether the invites give more than an account: a target, or a group."""
        return self.target is not None or bool(self.groups)


# Built once: a 100,000-row import would otherwise look the message up 100,000 times.
EMAIL_VALIDATOR = EmailValidator(message=gettext_lazy("“%(value)s” is not a valid email address."))


def parse_entry(entry: Any, *, role: str = "") -> Entry:
    """One entry (an email, or `{"email", "metadata", "role"}`); `role` when it has none."""
    metadata = None
    if isinstance(entry, Mapping):
        unknown = set(entry) - ENTRY_FIELDS
        if unknown:
            raise ValidationError(
                _("Unknown invite field(s): %(fields)s.")
                % {"fields": ", ".join(sorted(map(str, unknown)))},
                code="invalid",
            )
        metadata = entry.get("metadata")
        if entry.get("role") is not None:
            role = entry["role"]
        entry = entry.get("email")
    if not isinstance(entry, str):
        raise ValidationError(_("Each invite needs an email address."), code="required")
    if metadata is not None and not isinstance(metadata, dict):
        raise ValidationError(_("Invite metadata must be a JSON object."), code="invalid")
    if metadata is not None:
        validate_metadata_limits(metadata)
    check_role_shape(role)
    email = BaseUserManager.normalize_email(entry.strip())
    if len(email) > 254:
        raise ValidationError(
            _("“%(value)s” is longer than 254 characters."),
            code="max_length",
            params={"value": email[:60] + "…"},
        )
    validate_address(email)
    EMAIL_VALIDATOR(email)
    key = email_key(email)
    # A Unicode domain's punycode is longer: the key must fit its column too.
    if len(key) > 254:
        raise ValidationError(
            _("“%(value)s” is longer than 254 characters."),
            code="max_length",
            params={"value": email[:60] + "…"},
        )
    return Entry(email=email, key=key, metadata=metadata, role=role)


def check_role_shape(role: Any) -> None:
    """`ValidationError` on `role` unless it is a string the invite can store."""
    if not isinstance(role, str):
        raise ValidationError({"role": ValidationError(_("A role is a string."), code="invalid")})
    if len(role) > MAX_ROLE_LENGTH:
        raise ValidationError(
            {
                "role": ValidationError(
                    _("A role has at most %(limit)d characters."),
                    code="max_length",
                    params={"limit": MAX_ROLE_LENGTH},
                )
            }
        )


def check_roles(
    adapter: DefaultInviteAdapter, target: models.Model | None, roles: Iterable[str]
) -> None:
    """`ValidationError` on `role` for a role that `get_roles(target)` does not list."""
    check_roles_among(adapter.get_roles(target), roles)


def check_roles_among(allowed: Sequence[str] | None, roles: Iterable[str]) -> None:
    """`ValidationError` on `role` for a role outside `allowed` (None allows any)."""
    if allowed is None:
        return
    unknown = [role for role in dict.fromkeys(roles) if role not in allowed]
    if unknown:
        choices = ", ".join(f"“{role}”" for role in allowed if role) or "—"
        raise ValidationError(
            {
                "role": ValidationError(
                    _("“%(value)s” is not a role here; choose one of: %(choices)s."),
                    code="invalid_choice",
                    params={"value": unknown[0], "choices": choices},
                )
            }
        )


def check_permission(
    adapter: DefaultInviteAdapter,
    invited_by: AbstractBaseUser | None,
    *,
    target: models.Model | None,
    roles: Iterable[str],
    groups: Sequence[Group],
) -> None:
    """`PermissionDenied` unless the adapter lets `invited_by` invite with every role."""
    for role in dict.fromkeys(roles):
        if not adapter.can_invite(invited_by, target=target, role=role, groups=groups):
            raise PermissionDenied(
                _("You may not invite people into this with the role “%(role)s”.") % {"role": role}
                if role
                else _("You may not invite people into this.")
            )


def prepare_batch(
    entries: Iterable[Any],
    *,
    adapter: DefaultInviteAdapter,
    invited_by: AbstractBaseUser | None,
    target: models.Model | None,
    role: str,
    groups: Iterable[Group | str] | None,
) -> Batch:
    """Parse every entry and judge the call's target, roles, groups and inviter."""
    if isinstance(entries, (str, bytes, Mapping)):
        entries = [entries]
    check_role_shape(role)
    stored_target = target_key(target)
    group_list = resolve_groups(groups)
    parsed = [parse_entry(entry, role=role) for entry in entries]
    roles = [entry.role for entry in parsed] or [role]
    check_roles(adapter, target, roles)
    check_permission(adapter, invited_by, target=target, roles=roles, groups=group_list)
    return Batch(entries=parsed, target=target, target_key=stored_target, groups=group_list)
