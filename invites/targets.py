"""What an invite is into: target references and groups, as callers spell them.

A target is any saved model instance of the project. Interfaces that take one as text
(the API, the admin, the import page, commands) spell it as a type,
`"<app_label>.<model>"`, and an id; together `"<app_label>.<model>:<pk>"`. Groups are
`auth.Group` instances or names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from invites.adapter import get_adapter
from invites.models import Invite

# The longest target id the invite's `target_id` column holds.
MAX_TARGET_ID_LENGTH = 64


def resolve_target_type(target_type: str, *, field: str = "target_type") -> ContentType:
    """The content type that `"<app_label>.<model>"` names; `ValidationError` on `field`."""
    app_label, dot, model = str(target_type).strip().partition(".")
    content_type = None
    if dot and app_label and model:
        try:
            content_type = ContentType.objects.get_by_natural_key(app_label, model.lower())
        except ContentType.DoesNotExist:
            content_type = None
    if content_type is None or content_type.model_class() is None:
        raise ValidationError(
            {
                field: ValidationError(
                    _("Unknown target type “%(value)s”: use “app_label.model”."),
                    code="invalid",
                    params={"value": str(target_type)[:100]},
                )
            }
        )
    return content_type


def resolve_target(
    target_type: str,
    target_id: Any,
    *,
    type_field: str = "target_type",
    id_field: str = "target_id",
) -> models.Model:
    """The instance a target reference names (type `"app_label.model"` and id string).

    Raises `ValidationError` keyed by `type_field` for an unknown type and by `id_field`
    for an id that is malformed or names no object.
    """
    content_type = resolve_target_type(target_type, field=type_field)
    model: Any = content_type.model_class()
    value = "" if target_id is None else str(target_id).strip()
    missing = ValidationError(
        {
            id_field: ValidationError(
                _("No %(type)s with id “%(value)s”."),
                code="does_not_exist",
                params={"type": target_type_label(content_type), "value": value[:100]},
            )
        }
    )
    if not value or len(value) > MAX_TARGET_ID_LENGTH:
        raise missing
    try:
        found: models.Model = model._default_manager.get(pk=value)
        return found
    except (model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise missing from None


def parse_target_reference(reference: str, *, field: str = "target") -> models.Model:
    """The instance `"<app_label>.<model>:<pk>"` names; `ValidationError` on `field`."""
    target_type, colon, target_id = str(reference).strip().partition(":")
    if not colon:
        raise ValidationError(
            {field: ValidationError(_("Write a target as “app_label.model:id”."), code="invalid")}
        )
    return resolve_target(target_type, target_id, type_field=field, id_field=field)


def target_type_reference(content_type: ContentType) -> str:
    """`"<app_label>.<model>"` of a content type."""
    return f"{content_type.app_label}.{content_type.model}"


def target_reference(target: models.Model) -> str:
    """`"<app_label>.<model>:<pk>"` of a saved instance."""
    content_type = ContentType.objects.get_for_model(target)
    return f"{target_type_reference(content_type)}:{target.pk}"


def invite_target_reference(invite: Invite) -> str | None:
    """The invite's target as `"<app_label>.<model>:<pk>"`, or None for the site itself."""
    if invite.target_type_id is None:
        return None
    content_type = ContentType.objects.get_for_id(invite.target_type_id)
    return f"{target_type_reference(content_type)}:{invite.target_id}"


def target_type_label(content_type: ContentType) -> str:
    """A content type's name for people: its model's verbose name."""
    model = content_type.model_class()
    if model is None:
        return target_type_reference(content_type)
    return str(model._meta.verbose_name)


def target_label(invite: Invite) -> str:
    """The invite's target for people, as the adapter describes it (`describe_target`)."""
    return get_adapter().describe_target(invite)


def target_key(target: models.Model | None) -> tuple[int, str] | None:
    """How invites store a target: `(content type id, id as a string)`, or None."""
    if target is None:
        return None
    if not isinstance(target, models.Model) or target.pk is None:
        raise ValidationError(
            {"target": ValidationError(_("The target must be a saved object."), code="invalid")}
        )
    content_type = ContentType.objects.get_for_model(target)
    target_id = str(target.pk)
    if len(target_id) > MAX_TARGET_ID_LENGTH:
        raise ValidationError(
            {"target": ValidationError(_("The target's id is too long."), code="invalid")}
        )
    return content_type.pk, target_id


def resolve_groups(groups: Iterable[Group | str] | None, *, field: str = "groups") -> list[Group]:
    """`Group` instances for instances or names, in one query; unknown names refused.

    Raises `ValidationError` on `field` naming every unknown group. Duplicates collapse.
    """
    if groups is None:
        return []
    if isinstance(groups, (str, Group)):
        groups = [groups]
    instances: dict[int, Group] = {}
    names: list[str] = []
    for group in groups:
        if isinstance(group, Group):
            if group.pk is None:
                raise _unknown_groups([group.name], field)
            instances[group.pk] = group
        elif isinstance(group, str) and group.strip():
            names.append(group.strip())
        else:
            raise ValidationError(
                {field: ValidationError(_("Name each group by its name."), code="invalid")}
            )
    if names:
        found = {group.name: group for group in Group.objects.filter(name__in=set(names))}
        unknown = [name for name in dict.fromkeys(names) if name not in found]
        if unknown:
            raise _unknown_groups(unknown, field)
        for group in found.values():
            instances.setdefault(group.pk, group)
    return sorted(instances.values(), key=lambda group: group.pk)


def _unknown_groups(names: Sequence[str], field: str) -> ValidationError:
    return ValidationError(
        {
            field: ValidationError(
                _("Unknown group(s): %(names)s."),
                code="invalid_choice",
                params={"names": ", ".join(names)},
            )
        }
    )


def read_grants(data: Any) -> dict[str, Any]:
    """Grants stored as JSON (`{"target": [type, id] | None, "role", "groups": [pks]}`),
    read anew as the `target`, `role` and `groups` keywords of the services;
    `ValidationError` when the target or a group no longer exists."""
    data = data or {}
    target = data.get("target")
    group_ids = list(data.get("groups") or [])
    groups = list(Group.objects.filter(pk__in=group_ids).order_by("name"))
    if len(groups) != len(set(group_ids)):
        raise ValidationError(_("A group of this import no longer exists."))
    return {
        "target": resolve_target(*target) if target else None,
        "role": str(data.get("role") or ""),
        "groups": groups,
    }
