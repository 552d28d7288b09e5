"""`manage.py refresh_invites`: refresh tokens and resend invite emails, in batches."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
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
        selected = _select(
            ids,
            expired=expired,
            expiring_within=expiring_within,
            not_emailed_within=not_emailed_within,
        )
        if dry_run:
            self._report_dry_run(selected, verbosity)
            return
        if not selected:
            if verbosity:
                self.stdout.write(_("No invites to refresh."))
            return

        progress = Progress(
            self.stdout, len(selected), enabled=verbosity > 0, verbose=verbosity > 1
        )
        refreshed, skipped = 0, 0
        for chunk in bulk.chunked(selected, batch_size or invites_settings.MAX_BATCH_SIZE):
            try:
                done, gone = _refresh_batch(chunk)
            except DatabaseError as error:
                progress.finish()
                raise CommandError(
                    _("Refreshed %(done)d of %(total)d invites, then failed: %(error)s")
                    % {"done": refreshed, "total": len(selected), "error": error}
                ) from error
            refreshed += done
            skipped += gone
            progress.update(refreshed + skipped)
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

    def _report_dry_run(self, selected: Sequence[UUID], verbosity: int) -> None:
        if verbosity > 1:
            emails = dict(
                _in_chunks(
                    selected,
                    lambda chunk: Invite.objects.filter(pk__in=chunk).values_list("pk", "email"),
                )
            )
            for pk in selected:
                self.stdout.write(f"{pk} {emails.get(pk, '')}")
        if verbosity:
            self.stdout.write(
                ngettext(
                    "Would refresh %(count)d invite (dry run, nothing changed).",
                    "Would refresh %(count)d invites (dry run, nothing changed).",
                    len(selected),
                )
                % {"count": len(selected)}
            )


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(_("must be a positive whole number, not %r") % value)
    return number


def _select(
    ids: list[str],
    *,
    expired: bool,
    expiring_within: timedelta | None,
    not_emailed_within: timedelta | None = None,
) -> list[UUID]:
    """The ids to refresh: the given ones (checked), then the expired/expiring ones
    not emailed within `not_emailed_within`."""
    try:
        selected: dict[UUID, None] = dict.fromkeys(services.check_refreshable(ids))
    except (InviteNotFound, InviteAlreadyAccepted) as error:
        raise CommandError(error.message) from error
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
        pks = queryset.order_by("expires_at", "pk").values_list("pk", flat=True)
        selected.update(dict.fromkeys(pks.iterator(chunk_size=bulk.CHUNK_SIZE)))
    return list(selected)


def _in_chunks(uuids: Sequence[UUID], query: Any) -> list[Any]:
    rows: list[Any] = []
    id_field = Invite._meta.get_field("id")
    for chunk in bulk.chunked(uuids, bulk.in_clause_chunk_size()):
        rows.extend(query(bulk.values_in(chunk, id_field)))
    return rows


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
