"""The app that connects the allauth receivers, and only where it is installed."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvitesAllauthConfig(AppConfig):
    name = "invites.contrib.allauth"
    label = "invites_allauth"
    verbose_name = _("Invites with django-allauth")

    def ready(self) -> None:
        from invites import signals
        from invites.contrib.allauth import checks, receivers  # noqa: F401  (registers checks)

        signals.invite_accepting.connect(
            receivers.verify_invite_email, dispatch_uid="invites.allauth.verify_invite_email"
        )
        signals.invite_opened.connect(
            receivers.remember_opened_invite, dispatch_uid="invites.allauth.remember_opened"
        )
