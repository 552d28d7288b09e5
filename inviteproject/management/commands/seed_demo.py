"""Demo data for `make run`: an admin user and a few invites in each state."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django.utils import timezone

from invites import services
from invites.links import absolute_url, accept_url
from invites.models import Invite, InviteStatus

DEMO_EMAILS = ["ada@example.com", "grace@example.com", "alan@example.com", "edsger@example.com"]


class Command(BaseCommand):
    help = (
        "Create a demo superuser (once, printing its password) and a few demo invites, "
        "then print a summary: the admin login and each invite with its status and link."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        password = self.create_admin(username)
        links = {} if Invite.all_objects.exists() else self.create_invites()

        self.stdout.write(self.style.SUCCESS("The demo is ready."))
        login = f"password {password}" if password else "password unchanged"
        self.stdout.write(f"  Admin:   {absolute_url('/admin/')}  user {username}, {login}")
        self.stdout.write("  Invites:")
        for invite in Invite.objects.order_by("email"):
            status = invite.status
            if status != InviteStatus.PENDING:
                link = "-"
            else:
                # Only a digest of each token is stored: links exist when invites are made.
                link = links.get(invite.pk, "(link shown once; resend it from the admin)")
            self.stdout.write(f"    {status.value:<9} {invite.email:<20} {link}")

    def create_admin(self, username: str) -> str | None:
        """The superuser `username` with a new password (returned), or None if it exists."""
        User = get_user_model()
        if User._default_manager.filter(**{User.USERNAME_FIELD: username}).exists():
            return None
        password = secrets.token_urlsafe(12)
        User._default_manager.create_superuser(
            username, email=f"{username}@example.com", password=password
        )
        return password

    def create_invites(self) -> dict[Any, str]:
        """Two pending invites, one expired, one accepted; the pending ones' links by pk.

        No emails: an email written before the invite expired or was accepted would say
        it is still open, and the summary shows the links instead.
        """
        with override_settings(INVITES={**settings.INVITES, "SEND_EMAILS": False}):
            invites = services.create_invites(DEMO_EMAILS)
        pending, expired, accepted = invites[:2], invites[2], invites[3]
        Invite.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(hours=2))
        services.accept_invite(
            accepted.token, password=secrets.token_urlsafe(16), first_name="Edsger"
        )
        return {invite.pk: accept_url(invite.token) for invite in pending}
