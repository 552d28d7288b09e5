"""`manage.py purge_invites`: hard-delete long soft-deleted and long-expired invites."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invites import bulk
from invites.management.batches import keyset_batches
from invites.management.durations import duration_argument
from invites.models import Invite, InviteQuerySet

BATCH_SIZE = 1000


class Command(BaseCommand):
    help = (
        "Delete for good the invites soft-deleted more than DURATION ago and the invites "
        "that expired more than DURATION ago. Pending and accepted invites are never "
        "deleted. Asks for confirmation unless given --no-input."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=duration_argument,
            required=True,
            metavar="DURATION",
            help="How long ago they were deleted or expired: 45m, 12h, 30d, 2w.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Delete without asking for confirmation (for cron).",
        )

    def handle(
        self,
        *,
        older_than: timedelta,
        dry_run: bool,
        interactive: bool,
        verbosity: int,
        **options: Any,
    ) -> None:
        cutoff = timezone.now() - older_than
        purgeable = Invite.all_objects.purgeable(cutoff)
        deleted_ones = purgeable.filter(deleted_at__isnull=False)
        expired_ones = purgeable.filter(deleted_at__isnull=True)
        if dry_run:
            self.report(
                _(
                    "Would delete %(total)d invites: %(deleted)d soft-deleted, %(expired)d "
                    "expired (dry run, nothing changed)."
                ),
                (deleted_ones.count(), expired_ones.count()),
                verbosity,
            )
            return
        if interactive:
            # The counts shown are what the command deletes, give or take what changes
            # while the question waits.
            deleted, expired = deleted_ones.count(), expired_ones.count()
            if deleted + expired and not self.confirm(deleted, expired):
                self.stdout.write(_("Purge cancelled; nothing was deleted."))
                return
        counts = (_delete_in_batches(deleted_ones), _delete_in_batches(expired_ones))
        self.report(
            _("Deleted %(total)d invites: %(deleted)d soft-deleted, %(expired)d expired."),
            counts,
            verbosity,
        )

    def report(self, message: str, counts: tuple[int, int], verbosity: int) -> None:
        if verbosity:
            self.stdout.write(
                message % {"total": sum(counts), "deleted": counts[0], "expired": counts[1]}
            )

    def confirm(self, deleted: int, expired: int) -> bool:
        """Ask on the terminal; only "yes" goes ahead."""
        prompt = _(
            "This deletes %(total)d invites for good (%(deleted)d soft-deleted, %(expired)d "
            "expired); it cannot be undone.\nType 'yes' to continue, or 'no' to cancel: "
        ) % {"total": deleted + expired, "deleted": deleted, "expired": expired}
        try:
            answer = input(prompt)
        except EOFError:
            raise CommandError(
                _("No answer to the confirmation; pass --no-input to purge without asking.")
            ) from None
        return answer.strip().lower() == "yes"


def _delete_in_batches(queryset: InviteQuerySet) -> int:
    """Delete what `queryset` matches, one short transaction per batch; return how many."""
    total = 0
    id_field = Invite._meta.get_field("id")
    for pks in keyset_batches(queryset.values_list("pk", flat=True), size=BATCH_SIZE):
        with transaction.atomic():
            # The condition is applied again: an invite refreshed meanwhile is kept.
            deleted, _per_model = queryset.filter(pk__in=bulk.values_in(pks, id_field)).delete()
        total += deleted
    return total
