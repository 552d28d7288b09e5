"""Admin work too long for a request, run as a background task: `AdminJob` and its task.

The admin's import confirm above `INVITES["BACKGROUND_IMPORT_ROWS"]` rows, and its bulk
refresh above `BACKGROUND_REFRESH_IDS` invites, submit a job (`submit_job`) and show
its progress page. The task `run_admin_job` carries only the job's id; the input (the
import's text and choices, or invite ids, never a raw token) stays in the job's row
until the job ends.

- Submitting twice is safe: the job's `key` is a digest of the submitted input (the
  signed preview, or the selection), unique in the table, so a second submission finds
  the first job.
- Concurrency is bounded: a run first claims a slot; with `BACKGROUND_MAX_JOBS` jobs
  running (and alive), it stays queued and asks the queue to run it again in a few
  seconds (on a backend that can defer; an immediate backend runs it at once).
- A worker restart loses nothing: the work itself is one transaction that also marks
  the job done, so a killed worker leaves no invite and no queued email behind, and the
  job `running` with a heartbeat that ages. `recover_jobs` (called by every poll of the
  progress page and by `manage.py send_invite_emails`) queues such jobs again, and the
  rerun creates exactly what the input says. On PostgreSQL a job's work holds an
  advisory lock for its transaction, so a rerun of a job whose first worker is merely
  slow waits for it and then finds the job done.
"""

from __future__ import annotations

import hashlib
import io
import logging
import zlib
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, router, transaction
from django.db.models import Q
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
from invites.tasks_compat import task

logger = logging.getLogger(__name__)

# Bad rows kept on a job for its page; the rest are counted in `result["bad_rows"]`.
MAX_BAD_ROWS = 500
# Invites created per step of an import; the progress is reported after each.
IMPORT_STEP = 5000
# How soon a job that found every slot taken is tried again.
RETRY_WHEN_BUSY = timedelta(seconds=5)
# The advisory lock of the claims (PostgreSQL): one claim at a time counts the slots.
CLAIM_LOCK = 0x696E7669  # "invi"


def job_key(kind: str, value: str) -> str:
    """The idempotency key of a submission: a digest of its kind and input."""
    return hashlib.sha256(f"{kind}\x00{value}".encode()).hexdigest()


def submit_job(
    kind: AdminJobKind,
    *,
    key: str,
    input: dict[str, Any],
    total: int,
    created_by: Any,
    repeatable: bool = False,
) -> AdminJob:
    """The job of this input: a new one, queued after the commit, or the one already
    submitted with the same `key`. With `repeatable`, a finished job of that key gives
    its key up, and the input runs again."""
    using = router.db_for_write(AdminJob)
    with transaction.atomic(using=using):
        if repeatable:
            previous = AdminJob.objects.select_for_update().filter(key=key).first()
            if previous is not None and previous.is_finished:
                previous.key = job_key(kind, f"{key}:{previous.pk}")
                previous.save(update_fields=["key"])
        job, _created = _get_or_create(kind, key, input, total, created_by)
    return job


def _get_or_create(
    kind: str, key: str, input: dict[str, Any], total: int, created_by: Any
) -> tuple[AdminJob, bool]:
    job, created = AdminJob.objects.get_or_create(
        key=key,
        defaults={"kind": kind, "input": input, "total": total, "created_by": created_by},
    )
    if created:
        using = router.db_for_write(AdminJob)
        transaction.on_commit(lambda: enqueue(job), using=using)
    return job, created


def enqueue(job: AdminJob, *, delay: timedelta | None = None) -> None:
    """Queue the job's task; a queue that refuses is logged (`recover_jobs` retries)."""
    runner: Any = run_admin_job
    if delay is not None and runner.get_backend().supports_defer:
        runner = runner.using(run_after=timezone.now() + delay)
    try:
        runner.enqueue(str(job.pk))
    except Exception:
        logger.exception("Could not queue the admin job %s.", job.pk)


def recover_jobs() -> int:
    """Queue again the jobs whose worker died (running, silent past
    `BACKGROUND_JOB_STALE`) or whose task was lost (queued as long); return how many."""
    from invites.conf import invites_settings

    stale = timezone.now() - invites_settings.BACKGROUND_JOB_STALE
    silent = Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, created_at__lt=stale)
    jobs = list(
        AdminJob.objects.filter(silent, status__in=[AdminJobStatus.QUEUED, AdminJobStatus.RUNNING])
    )
    for job in jobs:
        # Queued and touched first, so that the next poll does not queue it once more.
        AdminJob.objects.filter(pk=job.pk, status=job.status).update(
            status=AdminJobStatus.QUEUED, heartbeat_at=timezone.now()
        )
        logger.warning("Admin job %s (%s) looks abandoned; queueing it again.", job.pk, job.status)
        enqueue(job)
    return len(jobs)


@task()
def run_admin_job(job_id: str) -> str:
    """Run one admin job (its id is all the task carries); return its status."""
    job = claim(job_id)
    if job is None:
        return "skipped"
    if job.status == AdminJobStatus.QUEUED:
        enqueue(job, delay=RETRY_WHEN_BUSY)
        return "busy"
    try:
        RUNS[job.kind](job)
    except Exception:
        logger.exception("Admin job %s failed.", job.pk)
        fail(job, gettext("The job failed unexpectedly; nothing was changed. Try again."))
        raise
    job.refresh_from_db()
    return str(job.status)


def claim(job_id: str) -> AdminJob | None:
    """Mark the job running if a slot is free; None when it is finished or alive elsewhere."""
    from invites.conf import invites_settings

    using = router.db_for_write(AdminJob)
    now = timezone.now()
    stale = now - invites_settings.BACKGROUND_JOB_STALE
    with transaction.atomic(using=using):
        _advisory_lock(using, CLAIM_LOCK)
        job = AdminJob.objects.using(using).select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        if job.status == AdminJobStatus.RUNNING and job.heartbeat_at and job.heartbeat_at >= stale:
            return None
        running = (
            AdminJob.objects.using(using)
            .filter(status=AdminJobStatus.RUNNING, heartbeat_at__gte=stale)
            .exclude(pk=job.pk)
            .count()
        )
        if running >= invites_settings.BACKGROUND_MAX_JOBS and _can_wait():
            job.status = AdminJobStatus.QUEUED
            job.heartbeat_at = now
            job.save(update_fields=["status", "heartbeat_at"])
            return job
        job.status = AdminJobStatus.RUNNING
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        job.attempts += 1
        job.save(update_fields=["status", "started_at", "heartbeat_at", "attempts"])
    return job


def _can_wait() -> bool:
    return bool(run_admin_job.get_backend().supports_defer)


def _advisory_lock(using: str, key: int) -> None:
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
            _advisory_lock(using, _job_lock_key(job))
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
