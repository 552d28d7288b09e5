"""What an invite from the admin grants: a target, a role and groups.

The add form and the import page take them through `GrantFieldsMixin`; the import
carries them, signed, to its confirmation as `Grants.signable()`, and reads them again
with `Grants.from_signed`, which finds the target and the groups anew.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from invites.adapter import get_adapter
from invites.models import Invite
from invites.targets import read_grants, resolve_target, target_type_reference


@dataclass(frozen=True)
class Grants:
    """A target (or None: the site itself), a role and groups, as `create_invites` takes them."""

    target: Model | None = None
    role: str = ""
    groups: tuple[Group, ...] = ()

    def as_kwargs(self) -> dict[str, Any]:
        """The `target`, `role` and `groups` keywords of `create_invites` and `import_invites`."""
        return {"target": self.target, "role": self.role, "groups": list(self.groups)}

    def describe(self) -> str:
        """For people: "Team: Marketing, as editor; groups: Staff", or "" for nothing."""
        parts = []
        if self.target is not None:
            content_type = ContentType.objects.get_for_model(self.target)
            name = get_adapter().describe_target(Invite(target=self.target, role=self.role))
            parts.append(f"{capfirst(content_type.name)}: {name}")
        if self.role:
            parts.append(gettext("as %(role)s") % {"role": self.role})
        if self.groups:
            names = ", ".join(group.name for group in self.groups)
            parts.append(gettext("groups: %(groups)s") % {"groups": names})
        return "; ".join(parts)

    def signable(self) -> dict[str, Any]:
        """The grants as JSON values, to carry in a signed payload."""
        target = None
        if self.target is not None:
            content_type = ContentType.objects.get_for_model(self.target)
            target = [target_type_reference(content_type), str(self.target.pk)]
        return {"target": target, "role": self.role, "groups": [g.pk for g in self.groups]}

    @classmethod
    def from_signed(cls, data: Any) -> Grants:
        """The grants `signable()` gave, read anew; `ValidationError` when the target or a
        group no longer exists."""
        grants = read_grants(data)
        return cls(target=grants["target"], role=grants["role"], groups=tuple(grants["groups"]))


BOOKKEEPING_APPS = ("admin", "contenttypes", "sessions", "invites")


class GrantFieldsMixin(forms.Form):
    """The target (a content type and an id), the role and the groups of a new invite.

    Whether they may be used (the target exists, the role is one the adapter lists, the
    admin may invite so) is for the service to judge; `grants()` only reads them.
    """

    target_type = forms.ModelChoiceField(
        label=_("Target type"),
        # Django's own bookkeeping and the invites themselves are never what anyone is
        # invited into; every other model of the project may be.
        queryset=ContentType.objects.exclude(app_label__in=BOOKKEEPING_APPS).order_by(
            "app_label", "model"
        ),
        required=False,
        help_text=_(
            "What to invite into, such as a team, with the id below. Leave both empty "
            "to invite to the site itself."
        ),
    )
    target_id = forms.CharField(label=_("Target id"), max_length=64, required=False)
    role = forms.CharField(
        label=_("Role"),
        max_length=64,
        required=False,
        help_text=_("The role the invitee gets in the target."),
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Groups"),
        queryset=Group.objects.order_by("name"),
        required=False,
        help_text=_("Django groups the invitee joins on accept."),
    )

    def grants(self) -> Grants | None:
        """The cleaned grants, or None after adding the form's errors about the target."""
        data = self.cleaned_data
        if any(name in self.errors for name in ("target_type", "target_id", "role", "groups")):
            return None
        content_type, target_id = data.get("target_type"), (data.get("target_id") or "").strip()
        target = None
        if content_type is None and target_id:
            self.add_error("target_type", _("Choose the type of the target."))
            return None
        if content_type is not None and not target_id:
            self.add_error("target_id", _("Enter the id of the target."))
            return None
        if content_type is not None:
            try:
                target = resolve_target(target_type_reference(content_type), target_id)
            except ValidationError as error:
                self.add_refusal(error, default="target_id")
                return None
        return Grants(target=target, role=data.get("role") or "", groups=tuple(data["groups"]))

    def add_refusal(self, error: ValidationError, default: str | None = None) -> None:
        """Show a `ValidationError` of the service under the fields it names (the role,
        the groups), else under `default` (None: above the form)."""
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                self.add_error(name if name in self.fields else default, messages)
        else:
            self.add_error(default, error.messages)
