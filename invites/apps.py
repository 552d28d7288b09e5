from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class InvitesConfig(AppConfig):
    name = "invites"
    verbose_name = _("Invites")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from invites import checks  # noqa: F401  (registers the system checks)
        from invites.receivers import close_site_invites_of_new_user

        post_save.connect(
            close_site_invites_of_new_user,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="invites.close_site_invites_of_new_user",
        )
