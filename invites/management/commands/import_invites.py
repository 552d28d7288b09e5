"""`manage.py import_invites PATH`: create invites from a CSV file, all or nothing."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from invites import imports, services
from invites.addresses import printable
from invites.conf import invites_settings
from invites.exceptions import InvalidImportFile, InvalidImportRows
from invites.imports import ImportRow, RowProblem

# Bad rows written out one by one; the rest are counted (a cron mail stays readable).
MAX_LISTED = 1000


class Command(BaseCommand):
    help = (
        "Create invites from a CSV file: UTF-8, separated by commas or semicolons, with a "
        "first row naming the columns, one of them 'email'; every other column goes into "
        "each invite's metadata. All or nothing: when any row is invalid, appears twice, "
        "or has an invite or a user already, nothing is created, every such row is listed "
        "by line number on stderr and the command exits with status 1. Progress goes to "
        "stderr (on a terminal, or with --verbosity 2), the summary to stdout."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="PATH", help="The CSV file ('-' reads stdin).")
        parser.add_argument(
            "--skip-existing",
            action="store_true",
            help="Skip rows whose email already has a live invite or a user, instead of "
            "refusing the file.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and say what would be created; change nothing.",
        )

    def handle(
        self, *, path: str, skip_existing: bool, dry_run: bool, verbosity: int, **options: Any
    ) -> None:
        show_progress = verbosity > 1 or (verbosity > 0 and self.stderr.isatty())
        started = time.monotonic()

        def progress(message: str) -> None:
            if show_progress:
                elapsed = time.monotonic() - started
                self.stderr.write(f"[{elapsed:6.1f}s] {message}", style_func=lambda text: text)

        progress(_("Reading %(path)s") % {"path": path})
        rows = _read(path)
        progress(
            ngettext("Read %(count)d row.", "Read %(count)d rows.", len(rows))
            % {"count": len(rows)}
        )
        entries = [row.entry() for row in rows]
        try:
            if dry_run:
                progress(_("Checking every row (dry run)"))
                checked = services.check_import(entries, skip_existing=skip_existing)
                if checked.refused:
                    raise InvalidImportRows(checked.refused)
                created, skipped = len(checked.entries), checked.skipped
            else:
                progress(_("Checking and creating"))
                result = services.import_invites(entries, skip_existing=skip_existing)
                created, skipped = len(result.created), result.skipped
        except InvalidImportRows as error:
            self._list(rows, error.rows)
            raise CommandError(
                ngettext(
                    "Nothing was created: %(count)d row cannot be imported.",
                    "Nothing was created: %(count)d rows cannot be imported.",
                    len(error.rows),
                )
                % {"count": len(error.rows)}
            ) from error
        progress(_("Done"))

        if verbosity > 1:
            self._list(rows, skipped)
        if verbosity:
            self.stdout.write(self._summary(created, skipped, dry_run=dry_run))

    def _list(self, rows: list[ImportRow], problems: list[RowProblem]) -> None:
        for problem in problems[:MAX_LISTED]:
            self.stderr.write(
                _("line %(line)d: %(email)s: %(code)s: %(message)s")
                % {
                    "line": rows[problem.index].line,
                    "email": printable(problem.email),
                    "code": problem.code,
                    "message": printable(problem.message),
                }
            )
        if len(problems) > MAX_LISTED:
            more = len(problems) - MAX_LISTED
            self.stderr.write(
                ngettext("… and %(count)d more row.", "… and %(count)d more rows.", more)
                % {"count": more}
            )

    def _summary(self, created: int, skipped: list[RowProblem], *, dry_run: bool) -> str:
        if dry_run:
            message = ngettext(
                "Would create %(count)d invite (dry run, nothing changed).",
                "Would create %(count)d invites (dry run, nothing changed).",
                created,
            )
        else:
            message = ngettext("Created %(count)d invite.", "Created %(count)d invites.", created)
        message %= {"count": created}
        if skipped:
            existing = sum(problem.code == imports.INVITE_EXISTS for problem in skipped)
            message += " " + _(
                "Skipped %(count)d (invite exists: %(invites)d, user exists: %(users)d)."
            ) % {"count": len(skipped), "invites": existing, "users": len(skipped) - existing}
        return str(self.style.SUCCESS(message))


def _read(path: str) -> list[ImportRow]:
    """The file's rows; a `CommandError` naming the problem when it cannot be imported."""
    try:
        if path == "-":
            return imports.read_csv(sys.stdin.buffer)
        if os.path.getsize(path) > invites_settings.IMPORT_MAX_BYTES:
            raise imports.too_large()
        with open(path, "rb") as stream:
            return imports.read_csv(stream)
    except InvalidImportFile as error:
        raise CommandError(f"{path}: {error.message}") from error
    except OSError as error:
        raise CommandError(
            _("%(path)s cannot be read: %(error)s") % {"path": path, "error": error.strerror}
        ) from error
