"""A real `db_worker` killed with SIGKILL in the middle of a background import: nothing
is left behind, and the rerun creates exactly the file's invites and one set of emails."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from invites import jobs
from invites.models import AdminJob, AdminJobKind, AdminJobStatus, Invite
from tests.helpers import requires_postgresql
from tests.test_delivery_crash import worker_process

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]
ROWS = 20_000


def test_sigkill_mid_import_then_rerun_creates_exactly_the_file(
    database_tasks, admin_user, settings, tmp_path
):
    text = "".join(f"crash{i}@example.com\n" for i in range(ROWS))
    with transaction.atomic():
        job = jobs.submit_job(
            AdminJobKind.IMPORT,
            key=jobs.job_key(AdminJobKind.IMPORT, text),
            input={"text": text, "csv": False, "skip": False, "grants": {}},
            total=ROWS,
            created_by=admin_user,
        )
    [task] = DBTaskResult.objects.all()
    assert task.args_kwargs["args"] == [str(job.pk)]

    worker = worker_process(tmp_path)
    try:
        deadline = time.monotonic() + 120
        # Kill once the progress has moved: the job's transaction is under way.
        while not AdminJob.objects.filter(pk=job.pk, done__gt=0).exists():
            assert time.monotonic() < deadline, "the worker reported no progress"
            assert worker.poll() is None, "the worker exited"
            time.sleep(0.005)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait()
    job.refresh_from_db()
    assert job.status == AdminJobStatus.RUNNING and 0 < job.done < ROWS
    assert not Invite.objects.exists()  # rolled back with the worker
    assert DBTaskResult.objects.count() == 1  # no email task either

    settings.INVITES = {"BACKGROUND_JOB_STALE": 0.001}
    time.sleep(0.01)
    assert jobs.recover_jobs() == 1
    # A new worker runs it again (and is stopped once it is done, before it has sent
    # the 20,000 emails).
    worker = worker_process(tmp_path)
    try:
        deadline = time.monotonic() + 120
        while not AdminJob.objects.filter(pk=job.pk, status=AdminJobStatus.DONE).exists():
            assert time.monotonic() < deadline, "the rerun did not end"
            assert worker.poll() is None, "the worker exited"
            time.sleep(0.05)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()

    job.refresh_from_db()
    assert job.status == AdminJobStatus.DONE and job.attempts == 2
    assert job.result == {"created": ROWS, "skipped": 0, "bad_rows": 0}
    assert Invite.objects.count() == ROWS
    emails = DBTaskResult.objects.filter(task_path__endswith="deliver_invite_emails")
    assert emails.count() == ROWS // 200
    seen = Counter(item for task in emails for item in task.args_kwargs["args"][0])
    assert len(seen) == ROWS and set(seen.values()) == {1}
