"""Who may call the invite API: Django model permissions, reads included."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.views import APIView

VIEW = "%(app_label)s.view_%(model_name)s"
CHANGE = "%(app_label)s.change_%(model_name)s"


class InviteModelPermissions(DjangoModelPermissions):
    """`DjangoModelPermissions` that also needs `view_invite` to read.

    Reads need `view`, creating `add`, deleting `delete`; the `resend` and `refresh`
    actions are POSTs but change existing invites, so they need `change`. Anonymous
    callers are refused: 401 when the first authentication class sends a challenge
    (token authentication does), 403 otherwise.
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": [VIEW],
        "HEAD": [VIEW],
    }
    # Actions whose permission is not the one their HTTP method implies.
    action_perms_map = {"resend": [CHANGE], "refresh": [CHANGE]}

    def has_permission(self, request: Request, view: APIView) -> bool:
        """Authenticated, with the model permissions the action (or method) needs."""
        if not request.user or not request.user.is_authenticated:
            return False
        model = self._queryset(view).model
        templates = self.action_perms_map.get(getattr(view, "action", None) or "")
        if templates is None:
            return super().has_permission(request, view)
        kwargs: dict[str, Any] = {
            "app_label": model._meta.app_label,
            "model_name": model._meta.model_name,
        }
        return request.user.has_perms([template % kwargs for template in templates])
