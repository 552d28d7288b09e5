from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvitesConfig(AppConfig):
    name = "invites"
    verbose_name = _("Invites")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from invites import checks  # noqa: F401  (registers the system checks)
