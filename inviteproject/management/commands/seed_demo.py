"""Demo data for `make run`: an admin user and a few invites in each state."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from invites import services
from invites.models import Invite

DEMO_EMAILS = ["ada@example.com", "grace@example.com", "alan@example.com", "edsger@example.com"]


class Command(BaseCommand):
    help = "Create a demo superuser (once, printing its password) and a few demo invites."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        User = get_user_model()
        if not User._default_manager.filter(**{User.USERNAME_FIELD: username}).exists():
            password = secrets.token_urlsafe(12)
            User._default_manager.create_superuser(
                username, email=f"{username}@example.com", password=password
            )
            self.stdout.write(
                self.style.SUCCESS(f"Created superuser {username!r} with password: {password}")
            )
        else:
            self.stdout.write(f"Superuser {username!r} exists already; its password is unchanged.")

        if Invite.all_objects.exists():
            self.stdout.write("Demo invites exist already.")
            return
        invites = services.create_invites(DEMO_EMAILS)
        # One expired, one accepted, so every status shows up in the admin.
        Invite.objects.filter(pk=invites[2].pk).update(
            expires_at=timezone.now() - timedelta(hours=2)
        )
        services.accept_invite(
            invites[3].token, password=secrets.token_urlsafe(16), first_name="Edsger"
        )
        self.stdout.write(self.style.SUCCESS(f"Created {len(invites)} demo invites."))
