"""The app that connects the anymail receivers, and only where it is installed."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvitesAnymailConfig(AppConfig):
    name = "invites.contrib.anymail"
    label = "invites_anymail"
    verbose_name = _("Invite bounces (anymail)")

    def ready(self) -> None:
        from anymail.signals import pre_send, tracking

        from invites.contrib.anymail import receivers

        pre_send.connect(receivers.add_link_metadata, dispatch_uid="invites.anymail.pre_send")
        tracking.connect(receivers.record_bounce, dispatch_uid="invites.anymail.tracking")
