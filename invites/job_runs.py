"""How each kind of admin job runs (`invites.jobs`): in one transaction, all or nothing.

`run_import` judges the rows and creates the invites in steps of `IMPORT_STEP`,
reporting the progress after each; `run_refresh` refreshes the invites in one call.
Either marks its job done in the same transaction, so a worker killed mid-job leaves
no invite, no refreshed token and no queued email behind. A refusal (a bad row, an
invite that changed) rolls the work back and fails the job with its reason.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext

from invites import imports, services
from invites.bulk import chunked
from invites.exceptions import (
    AlreadyMember,
    InvalidImportFile,
    InviteAlreadyAccepted,
    InviteAlreadyExists,
    InviteDeclined,
    InviteNotFound,
    UserAlreadyExists,
)
from invites.imports import ImportRow, RowProblem
from invites.models import AdminJob, AdminJobKind, AdminJobStatus
from invites.targets import read_grants

# Bad rows kept on a job for its page; the rest are counted in `result["bad_rows"]`.
MAX_BAD_ROWS = 500
# Invites created per step of an import; the progress is reported after each.
IMPORT_STEP = 5000


def advisory_lock(using: str, key: int) -> None:
    """On PostgreSQL, wait for `key`'s advisory lock, held until the transaction ends."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _job_lock_key(job: AdminJob) -> int:
    # A signed 64-bit number from the job's id, as PostgreSQL's advisory locks take.
    return zlib.crc32(job.pk.bytes) + (1 << 32)


class Progress:
    """Reports a running job's progress where pollers see it, from inside its transaction.

    On PostgreSQL it writes through a connection of its own (committed at once, outside
    the job's transaction); elsewhere the progress shows when the job ends.
    """

    def __init__(self, job: AdminJob, using: str) -> None:
        self.job = job
        self.connection = None
        if connections[using].vendor == "postgresql":
            self.connection = connections.create_connection(using)

    def report(self, done: int, total: int | None = None) -> None:
        self.job.done = done
        if total is not None:
            self.job.total = total
        if self.connection is None:
            return
        table = self.connection.ops.quote_name(AdminJob._meta.db_table)
        with self.connection.cursor() as cursor:
            cursor.execute(
                # The table name is the model's own, quoted; the values are parameters.
                f"UPDATE {table} SET done = %s, total = %s, heartbeat_at = %s WHERE id = %s",  # noqa: S608
                [self.job.done, self.job.total, timezone.now(), self.job.pk],
            )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def _run_in_transaction(job: AdminJob, work: Callable[[AdminJob, Progress], None]) -> None:
    """Run `work` and mark the job done, in one transaction: all of it or none of it."""
    using = router.db_for_write(AdminJob)
    progress = Progress(job, using)
    try:
        with transaction.atomic(using=using):
            advisory_lock(using, _job_lock_key(job))
            current = AdminJob.objects.using(using).filter(pk=job.pk).values("status").first()
            if current is None or current["status"] != AdminJobStatus.RUNNING:
                return  # another run finished it while this one waited
            refused: JobRefused | None = None
            try:
                work(job, progress)
            except JobRefused as refusal:
                transaction.set_rollback(True, using=using)
                refused = refusal
            else:
                finish(job, AdminJobStatus.DONE)
        if refused is not None:
            fail(job, refused.message, bad_rows=refused.bad_rows)
    finally:
        progress.close()


class JobRefused(Exception):
    """The input cannot be carried out (bad rows, a refusal): nothing is written."""

    def __init__(self, message: str, bad_rows: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.bad_rows = list(bad_rows)


def finish(job: AdminJob, status: AdminJobStatus) -> None:
    """Record the end of the job and drop its input, unless another run ended it first."""
    job.status = status
    job.finished_at = job.heartbeat_at = timezone.now()
    job.input = None
    job.bad_rows = job.bad_rows[:MAX_BAD_ROWS]
    AdminJob.objects.filter(pk=job.pk).exclude(
        status__in=[AdminJobStatus.DONE, AdminJobStatus.FAILED]
    ).update(
        status=job.status,
        finished_at=job.finished_at,
        heartbeat_at=job.heartbeat_at,
        input=None,
        done=job.done,
        total=job.total,
        result=job.result,
        bad_rows=job.bad_rows,
    )


def fail(job: AdminJob, message: str, *, bad_rows: Sequence[dict[str, Any]] = ()) -> None:
    """End the job as failed, with a message for people and the rows at fault."""
    job.result = {"error": message, "bad_rows": len(bad_rows)}
    job.bad_rows = list(bad_rows)
    job.done = 0
    finish(job, AdminJobStatus.FAILED)


# --- the kinds of jobs ------------------------------------------------------------------


def run_import(job: AdminJob) -> None:
    """Import the job's rows: judged, then created in steps, all in one transaction."""
    data = job.input or {}
    text = str(data["text"])
    try:
        if data["csv"]:
            rows = imports.read_csv(io.BytesIO(text.encode("utf-8")))
        else:
            rows = imports.read_lines(text)
    except InvalidImportFile as error:
        fail(job, error.message)
        return

    def work(job: AdminJob, progress: Progress) -> None:
        try:
            into = {"invited_by": job.created_by, **read_grants(data.get("grants"))}
            checked = services.check_import(
                [row.entry() for row in rows], skip_existing=bool(data["skip"]), **into
            )
            if checked.refused:
                raise JobRefused(
                    gettext("Some rows cannot be imported: nothing was created."),
                    [problem_row(rows, problem) for problem in checked.refused],
                )
            skipped = [problem_row(rows, problem) for problem in checked.skipped]
            progress.report(len(skipped), total=len(rows))
            created = 0
            for step in chunked(checked.entries, IMPORT_STEP):
                created += len(services.create_invites(step, **into))
                progress.report(len(skipped) + created)
        except (ValidationError, PermissionDenied) as error:
            raise JobRefused(refusal_message(error)) from None
        except (InviteAlreadyExists, UserAlreadyExists, AlreadyMember):
            raise JobRefused(
                gettext("Something changed since the preview: nothing was created. Check again.")
            ) from None
        job.result = {"created": created, "skipped": len(skipped), "bad_rows": len(skipped)}
        job.bad_rows = skipped

    _run_in_transaction(job, work)


def run_refresh(job: AdminJob) -> None:
    """Refresh the job's invites (`refresh_invite_tokens`, one transaction) and resend them."""
    data = job.input or {}
    ids = [str(pk) for pk in data.get("ids", [])]

    def work(job: AdminJob, progress: Progress) -> None:
        progress.report(0, total=len(ids))
        try:
            refreshed = services.refresh_invite_tokens(ids)
        except InviteNotFound as error:
            raise JobRefused(
                gettext("Nothing was refreshed: some selected invites were deleted meanwhile."),
                [{"line": "", "email": str(pk), "code": error.code} for pk in error.ids],
            ) from None
        except (InviteAlreadyAccepted, InviteDeclined) as error:
            raise JobRefused(
                gettext("Nothing was refreshed: some selected invites were closed meanwhile."),
                [{"line": "", "email": str(pk), "code": error.code} for pk in error.ids],
            ) from None
        job.done = len(refreshed)
        job.result = {
            "refreshed": len(refreshed),
            "accepted": int(data.get("accepted", 0)),
            "declined": int(data.get("declined", 0)),
        }

    _run_in_transaction(job, work)


RUNS: dict[str, Callable[[AdminJob], None]] = {
    AdminJobKind.IMPORT: run_import,
    AdminJobKind.REFRESH: run_refresh,
}


def problem_row(rows: list[ImportRow], problem: RowProblem) -> dict[str, Any]:
    """A bad row as a job keeps it: its line in the file, its email, its code and why."""
    return {
        "line": rows[problem.index].line,
        "email": problem.email,
        "code": problem.code,
        "message": problem.message,
    }


def refusal_message(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or gettext("You may not create these invites.")
