from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvitesConfig(AppConfig):
    name = "invites"
    verbose_name = _("Invites")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from invites import (
            checks,  # noqa: F401  (registers the system checks)
            receivers,
            signals,
        )

        # Always connected; each receiver checks INVITES["SEND_EMAILS"] when it runs.
        signals.invite_created.connect(
            receivers.email_created_invite,
            sender=self.get_model("Invite"),
            dispatch_uid="invites.receivers.email_created_invite",
        )
        signals.invite_resent.connect(
            receivers.email_resent_invite,
            sender=self.get_model("Invite"),
            dispatch_uid="invites.receivers.email_resent_invite",
        )
