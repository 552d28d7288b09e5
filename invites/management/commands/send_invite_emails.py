"""`manage.py send_invite_emails`: queue the emails that were never sent, after any crash."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from invites import delivery, delivery_state, jobs
from invites.management.batches import keyset_batches
from invites.management.durations import duration_argument, parse_duration
from invites.models import DeliveryStatus

DEFAULT_STALE_AFTER = "10m"
# Invites loaded per query.
BATCH_SIZE = 5000


class Command(BaseCommand):
    help = (
        "Queue the email of every live, pending invite whose current link has not been "
        "sent and was not queued within --stale-after (default 10m): the recovery path "
        "after a crash of a web process or a worker. Safe to run from cron every minute, "
        "beside running workers: a link that went out meanwhile is not sent twice. "
        "--status prints how many pending invites are in each delivery state."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stale-after",
            type=duration_argument,
            default=parse_duration(DEFAULT_STALE_AFTER),
            metavar="DURATION",
            help="Queue only links not queued within DURATION (default: 10m; 0s: all unsent).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say how many would be queued; change nothing."
        )
        parser.add_argument(
            "--status",
            action="store_true",
            help="Print how many pending invites are in each delivery state; queue nothing.",
        )

    def handle(
        self,
        *,
        stale_after: timedelta,
        dry_run: bool,
        status: bool,
        verbosity: int,
        **options: Any,
    ) -> None:
        if status:
            self.print_status()
            return
        now = timezone.now()
        unsent = delivery.unsent_invites(stale_after, now=now)
        if dry_run:
            count = unsent.count()
            if verbosity:
                self.stdout.write(
                    ngettext(
                        "Would queue %(count)d invite email (dry run, nothing changed).",
                        "Would queue %(count)d invite emails (dry run, nothing changed).",
                        count,
                    )
                    % {"count": count}
                )
            return
        # A batch at a time: memory stays the same at any number of unsent invites.
        queued = sum(
            delivery.requeue(batch, now=now) for batch in keyset_batches(unsent, size=BATCH_SIZE)
        )
        # Admin jobs (large imports and refreshes) whose worker died are queued again too.
        resumed = jobs.recover_jobs()
        if resumed and verbosity:
            self.stdout.write(
                ngettext(
                    "Queued %(count)d abandoned admin job again.",
                    "Queued %(count)d abandoned admin jobs again.",
                    resumed,
                )
                % {"count": resumed}
            )
        if verbosity:
            if queued:
                self.stdout.write(
                    self.style.SUCCESS(
                        ngettext(
                            "Queued %(count)d invite email.",
                            "Queued %(count)d invite emails.",
                            queued,
                        )
                        % {"count": queued}
                    )
                )
            else:
                self.stdout.write(_("No invite emails to queue."))

    def print_status(self) -> None:
        """One line per delivery state: `<status> <count>`, machine- and human-readable."""
        counts = delivery_state.status_counts()
        self.stdout.write(_("Invite emails of pending invites, by delivery state:"))
        width = max(map(len, counts))
        for state, count in counts.items():
            label = DeliveryStatus(state).label
            self.stdout.write(f"{state.ljust(width)}  {count:>8}  ({label})")
