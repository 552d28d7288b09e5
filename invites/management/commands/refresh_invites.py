"""`manage.py refresh_invites`: refresh tokens and resend invite emails, in batches."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from invites import bulk, services
from invites.conf import invites_settings
from invites.exceptions import InviteAlreadyAccepted, InviteNotFound
from invites.management.batches import keyset_batches
from invites.management.durations import duration_argument
from invites.models import Invite


class Command(BaseCommand):
    help = (
        "Give invites a new token and expiry and email them the new link, in batches "
        "(each batch is one transaction). Select invites by ID, --expired and/or "
        "--expiring-within; the command refreshes the union of what the options select. "
        "Accepted and deleted invites are never refreshed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "ids",
            nargs="*",
            metavar="ID",
            help="Refresh these invites (all must be live and not accepted).",
        )
        parser.add_argument(
            "--expired", action="store_true", help="Refresh every invite that has expired."
        )
        parser.add_argument(
            "--expiring-within",
            type=duration_argument,
            metavar="DURATION",
            help="Refresh pending invites that expire within DURATION (45m, 12h, 30d, 2w).",
        )
        parser.add_argument(
            "--not-emailed-within",
            type=duration_argument,
            metavar="DURATION",
            help="Leave out invites selected by --expired or --expiring-within that were "
            "emailed within DURATION (reminders without repeating them every run).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be refreshed; change nothing."
        )
        parser.add_argument(
            "--batch-size",
            type=_positive_int,
            metavar="N",
            help="Invites per transaction (default: INVITES['MAX_BATCH_SIZE']).",
        )

    def handle(
        self,
        *,
        ids: list[str],
        expired: bool,
        expiring_within: timedelta | None,
        not_emailed_within: timedelta | None,
        dry_run: bool,
        batch_size: int | None,
        verbosity: int,
        **options: Any,
    ) -> None:
        if not ids and not expired and expiring_within is None:
            raise CommandError(_("Give invite IDs, --expired or --expiring-within."))
        selection = Selection(
            ids,
            expired=expired,
            expiring_within=expiring_within,
            not_emailed_within=not_emailed_within,
        )
        size = batch_size or invites_settings.MAX_BATCH_SIZE
        total = selection.count()
        if dry_run:
            self._report_dry_run(selection, total, size, verbosity)
            return
        if not total:
            if verbosity:
                self.stdout.write(_("No invites to refresh."))
            return

        progress = Progress(self.stdout, total, enabled=verbosity > 0, verbose=verbosity > 1)
        refreshed, skipped = 0, 0
        for chunk in selection.batches(size):
            try:
                done, gone = _refresh_batch(chunk)
            except DatabaseError as error:
                progress.finish()
                raise CommandError(
                    _("Refreshed %(done)d of %(total)d invites, then failed: %(error)s")
                    % {"done": refreshed, "total": total, "error": error}
                ) from error
            refreshed += done
            skipped += gone
            progress.update(min(refreshed + skipped, total))
        progress.finish()

        if verbosity:
            message = ngettext(
                "Refreshed %(count)d invite.", "Refreshed %(count)d invites.", refreshed
            ) % {"count": refreshed}
            if skipped:
                message += " " + ngettext(
                    "Skipped %(count)d accepted or deleted meanwhile.",
                    "Skipped %(count)d accepted or deleted meanwhile.",
                    skipped,
                ) % {"count": skipped}
            self.stdout.write(self.style.SUCCESS(message))

    def _report_dry_run(self, selection: Selection, total: int, size: int, verbosity: int) -> None:
        if verbosity > 1:
            for chunk in selection.batches(size):
                emails = dict(
                    Invite.objects.filter(pk__in=_values_in(chunk)).values_list("pk", "email")
                )
                for pk in chunk:
                    self.stdout.write(f"{pk} {emails.get(pk, '')}")
        if verbosity:
            self.stdout.write(
                ngettext(
                    "Would refresh %(count)d invite (dry run, nothing changed).",
                    "Would refresh %(count)d invites (dry run, nothing changed).",
                    total,
                )
                % {"count": total}
            )


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(_("must be a positive whole number, not %r") % value)
    return number


class Selection:
    """The invites to refresh: the given ids (checked), then the expired or expiring
    ones not emailed within `not_emailed_within`, each once.

    The options' invites are walked in keyset batches rather than listed up front, so
    memory stays the same at any number of invites. The cut-offs are fixed when the
    selection is made: an invite refreshed by this run is not met again.
    """

    def __init__(
        self,
        ids: list[str],
        *,
        expired: bool,
        expiring_within: timedelta | None,
        not_emailed_within: timedelta | None = None,
    ) -> None:
        try:
            self.given = list(dict.fromkeys(services.check_refreshable(ids)))
        except (InviteNotFound, InviteAlreadyAccepted) as error:
            raise CommandError(error.message) from error
        self.queryset: Any = None
        if expired or expiring_within is not None:
            queryset = Invite.objects.none()
            if expired:
                queryset |= Invite.objects.expired()
            if expiring_within is not None:
                deadline = timezone.now() + expiring_within
                queryset |= Invite.objects.pending().filter(expires_at__lte=deadline)
            if not_emailed_within is not None:
                since = timezone.now() - not_emailed_within
                queryset = queryset.exclude(last_emailed_at__gt=since)
            self.queryset = queryset

    def count(self) -> int:
        if self.queryset is None:
            return len(self.given)
        also_given = (
            self.queryset.filter(pk__in=_values_in(self.given)).count() if self.given else 0
        )
        return len(self.given) + int(self.queryset.count()) - int(also_given)

    def batches(self, size: int) -> Iterator[list[UUID]]:
        """The selected ids, `size` at a time: the given ones, then the options' ones."""
        yield from (list(chunk) for chunk in bulk.chunked(self.given, size))
        if self.queryset is None:
            return
        given = set(self.given)
        pks = self.queryset.values_list("pk", flat=True)
        for found in keyset_batches(pks, size=size):
            chunk = [pk for pk in found if pk not in given]
            if chunk:
                yield chunk


def _values_in(uuids: Sequence[UUID]) -> Any:
    return bulk.values_in(uuids, Invite._meta.get_field("id"))


def _refresh_batch(ids: Sequence[UUID]) -> tuple[int, int]:
    """Refresh one batch through the service; drop invites accepted or deleted meanwhile.

    Returns (refreshed, skipped).
    """
    pending = list(ids)
    skipped = 0
    while pending:
        try:
            return len(services.refresh_invite_tokens(pending)), skipped
        except (InviteNotFound, InviteAlreadyAccepted) as error:
            gone = set(error.ids)
            skipped += len(gone)
            pending = [pk for pk in pending if pk not in gone]
    return 0, skipped


class Progress:
    """A progress bar on a terminal; plain lines at verbosity 2 elsewhere (cron logs)."""

    WIDTH = 30

    def __init__(self, out: OutputWrapper, total: int, *, enabled: bool, verbose: bool) -> None:
        self.out = out
        self.total = total
        self.tty = enabled and out.isatty()
        self.lines = enabled and verbose and not self.tty
        self.drawn = False

    def update(self, done: int) -> None:
        if self.tty:
            filled = self.WIDTH * done // self.total
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.out.write(f"\r[{bar}] {done}/{self.total}", ending="")
            self.out.flush()
            self.drawn = True
        elif self.lines:
            self.out.write(
                _("%(done)d/%(total)d invites done") % {"done": done, "total": self.total}
            )

    def finish(self) -> None:
        if self.drawn:
            self.out.write("")
            self.drawn = False
