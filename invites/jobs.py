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
- A worker restart loses nothing: the work itself (`invites.job_runs`) is one
  transaction that also marks the job done, so a killed worker leaves no invite and no
  queued email behind, and the job `running` with a heartbeat that ages.
  `recover_jobs` (called by every poll of the progress page and by
  `manage.py send_invite_emails`) queues such jobs again, and the rerun creates
  exactly what the input says. On PostgreSQL a job's work holds an
  advisory lock for its transaction, so a rerun of a job whose first worker is merely
  slow waits for it and then finds the job done.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from django.db import router, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from invites.job_runs import RUNS, advisory_lock, fail
from invites.models import AdminJob, AdminJobKind, AdminJobStatus
from invites.tasks_compat import task

logger = logging.getLogger(__name__)

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
        advisory_lock(using, CLAIM_LOCK)
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
