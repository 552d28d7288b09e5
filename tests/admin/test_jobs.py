"""Large admin work as a background job: the import confirm and the bulk refresh over a
threshold, the job's progress page and status, submitting twice, a worker restart."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from invites import jobs, services
from invites.models import AdminJob, AdminJobStatus, Invite
from tests.admin.helpers import CHANGELIST

pytestmark = pytest.mark.django_db
IMPORT = "/admin/invites/invite/import/"
SMALL = {"BACKGROUND_IMPORT_ROWS": 3, "BACKGROUND_REFRESH_IDS": 3}


def rows(n: int, start: int = 0) -> bytes:
    lines = ["email;team", *(f"person{i}@example.com;t{i % 3}" for i in range(start, start + n))]
    return ("\n".join(lines) + "\n").encode()


def payload_of(client, data: bytes, **fields) -> str:
    response = client.post(IMPORT, {"file": SimpleUploadedFile("f.csv", data), **fields})
    found = re.search(r'name="payload" value="([^"]+)"', response.content.decode())
    assert found, "no confirm form on the page"
    return found.group(1)


def confirm(client, payload: str, capture):
    with capture(execute=True):
        return client.post(IMPORT, {"payload": payload, "_confirm": "1"})


@pytest.fixture
def small_thresholds(settings):
    settings.INVITES = SMALL


def test_a_large_confirm_becomes_a_job_with_a_progress_page(
    admin_client, admin_user, small_thresholds, django_capture_on_commit_callbacks
):
    payload = payload_of(admin_client, rows(5))
    response = confirm(admin_client, payload, django_capture_on_commit_callbacks)

    job = AdminJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/invites/invite/jobs/{job.pk}/"
    assert job.status == AdminJobStatus.DONE and (job.done, job.total) == (5, 5)
    assert job.result == {"created": 5, "skipped": 0, "bad_rows": 0}
    assert job.input is None  # the rows are not kept once done
    assert job.created_by == admin_user
    assert Invite.objects.count() == 5
    assert set(Invite.objects.values_list("invited_by", flat=True)) == {admin_user.pk}

    page = admin_client.get(response["Location"]).content.decode()
    assert '<progress id="job-progress" max="5" value="5">' in page
    assert "5 invites were created." in page
    status = json.loads(admin_client.get(f"{response['Location']}status/").content)
    assert status["status"] == "done" and status["done"] == status["total"] == 5


def test_a_small_confirm_stays_in_the_request(
    admin_client, small_thresholds, django_capture_on_commit_callbacks
):
    response = confirm(
        admin_client, payload_of(admin_client, rows(3)), django_capture_on_commit_callbacks
    )
    assert response["Location"] == CHANGELIST
    assert not AdminJob.objects.exists()
    assert Invite.objects.count() == 3


def test_confirming_twice_is_one_job_and_one_set_of_invites(
    admin_client, small_thresholds, django_capture_on_commit_callbacks
):
    payload = payload_of(admin_client, rows(6))
    first = confirm(admin_client, payload, django_capture_on_commit_callbacks)
    second = confirm(admin_client, payload, django_capture_on_commit_callbacks)
    assert first["Location"] == second["Location"]
    assert AdminJob.objects.count() == 1
    assert Invite.objects.count() == 6


def test_skipped_rows_are_the_jobs_bad_rows(
    admin_client, small_thresholds, make_invite, django_capture_on_commit_callbacks
):
    make_invite("person1@example.com")
    payload = payload_of(admin_client, rows(5), skip_existing="on")
    response = confirm(admin_client, payload, django_capture_on_commit_callbacks)
    job = AdminJob.objects.get()
    assert job.result == {"created": 4, "skipped": 1, "bad_rows": 1}
    assert job.bad_rows[0]["line"] == 3 and job.bad_rows[0]["code"] == "invite_exists"
    page = admin_client.get(response["Location"]).content.decode()
    assert "<td>3</td><td>person1@example.com</td><td>invite exists</td>" in page


def test_a_row_refused_at_run_time_fails_the_job_and_creates_nothing(
    admin_client, small_thresholds, django_capture_on_commit_callbacks
):
    payload = payload_of(admin_client, rows(5))
    services.create_invites(["person4@example.com"])  # appeared since the preview
    response = confirm(admin_client, payload, django_capture_on_commit_callbacks)
    job = AdminJob.objects.get()
    assert job.status == AdminJobStatus.FAILED
    assert [row["email"] for row in job.bad_rows] == ["person4@example.com"]
    assert Invite.objects.count() == 1
    page = admin_client.get(response["Location"]).content.decode()
    assert "Some rows cannot be imported: nothing was created." in page
    assert "Failed: nothing was changed." in page


def test_the_job_pages_need_the_import_permission(
    admin_client, staff_client, small_thresholds, django_capture_on_commit_callbacks
):
    confirm(admin_client, payload_of(admin_client, rows(5)), django_capture_on_commit_callbacks)
    url = f"/admin/invites/invite/jobs/{AdminJob.objects.get().pk}/"
    viewer = staff_client("view_invite", "change_invite")
    assert viewer.get(url).status_code == 403
    assert viewer.get(f"{url}status/").status_code == 403
    assert (
        admin_client.get(
            "/admin/invites/invite/jobs/00000000-0000-0000-0000-000000000000/"
        ).status_code
        == 404
    )


def test_a_large_refresh_becomes_a_job(
    admin_client, small_thresholds, make_invite, django_capture_on_commit_callbacks
):
    invites = [make_invite() for _ in range(4)]
    before = {invite.pk: invite.token_hash for invite in invites}
    data = {"action": "refresh_tokens", "_selected_action": [str(i.pk) for i in invites]}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(CHANGELIST, data)
    job = AdminJob.objects.get()
    assert response["Location"] == f"/admin/invites/invite/jobs/{job.pk}/"
    assert job.status == AdminJobStatus.DONE and job.result["refreshed"] == 4
    after = dict(Invite.objects.values_list("pk", "token_hash"))
    assert all(after[pk] != digest for pk, digest in before.items())
    page = admin_client.get(response["Location"]).content.decode()
    assert "4 invites were given a new token and resent." in page
    # Once ended, the same selection may be refreshed again: a second job.
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(CHANGELIST, data)
    assert AdminJob.objects.filter(status=AdminJobStatus.DONE).count() == 2


def test_the_job_carries_only_its_id(
    admin_user, small_thresholds, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.submit_job(
            "import",
            key="k",
            input={"text": "email\na@example.com\n", "csv": True, "skip": False, "grants": {}},
            total=1,
            created_by=admin_user,
        )
    task = DBTaskResult.objects.get()
    assert task.args_kwargs == {"args": [str(job.pk)], "kwargs": {}}


def test_a_job_waits_while_every_slot_is_taken(admin_user, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.INVITES = {"BACKGROUND_MAX_JOBS": 1}
    text = "email\na@example.com\n"
    busy = AdminJob.objects.create(
        kind="import", key="busy", status=AdminJobStatus.RUNNING, heartbeat_at=timezone.now()
    )
    waiting = AdminJob.objects.create(
        kind="import", key="wait", input={"text": text, "csv": True, "skip": False, "grants": {}}
    )
    assert jobs.run_admin_job.call(str(waiting.pk)) == "busy"
    waiting.refresh_from_db()
    assert waiting.status == AdminJobStatus.QUEUED and not Invite.objects.exists()
    # The slot frees: the job runs.
    busy.status = AdminJobStatus.DONE
    busy.save()
    assert jobs.run_admin_job.call(str(waiting.pk)) == "done"
    assert Invite.objects.count() == 1


def test_a_job_whose_worker_died_is_run_again_exactly_once(
    admin_user, django_capture_on_commit_callbacks
):
    # A worker killed inside the job's transaction leaves no invite behind, and the job
    # running with a heartbeat that stops.
    text = "email\n" + "".join(f"p{i}@example.com\n" for i in range(7))
    job = AdminJob.objects.create(
        kind="import",
        key="died",
        status=AdminJobStatus.RUNNING,
        input={"text": text, "csv": True, "skip": False, "grants": {}},
        total=7,
        attempts=1,
        created_by=admin_user,
        heartbeat_at=timezone.now() - timedelta(minutes=1),
    )
    assert jobs.recover_jobs() == 0  # not stale yet: its worker may be alive
    assert jobs.run_admin_job.call(str(job.pk)) == "skipped"
    AdminJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.recover_jobs() == 1
    job.refresh_from_db()
    assert job.status == AdminJobStatus.DONE and job.attempts == 2
    assert Invite.objects.count() == 7
    assert jobs.run_admin_job.call(str(job.pk)) == "skipped"  # a late duplicate task
    assert Invite.objects.count() == 7


def test_one_large_preview_at_a_time(admin_client):
    from django.core.cache import cache

    from invites.admin.imports import PREVIEW_SLOT_BYTES, PREVIEW_SLOT_KEY

    large = rows(PREVIEW_SLOT_BYTES // 20)
    assert len(large) > PREVIEW_SLOT_BYTES
    cache.add(PREVIEW_SLOT_KEY, "another worker", timeout=60)
    response = admin_client.post(IMPORT, {"file": SimpleUploadedFile("f.csv", large)}, follow=True)
    page = response.content.decode()
    assert "Another large import is being previewed right now." in page
    assert 'name="payload"' not in page
    # A small preview needs no slot; a large one runs once the slot is free, and frees it.
    assert payload_of(admin_client, rows(3))
    cache.delete(PREVIEW_SLOT_KEY)
    assert payload_of(admin_client, large)
    assert cache.get(PREVIEW_SLOT_KEY) is None


def import_job(text: str, **fields) -> AdminJob:
    data = {"text": text, "csv": True, "skip": False, "grants": {}}
    return AdminJob.objects.create(kind="import", key=text, input=data, **fields)


def test_a_refresh_refused_at_run_time_fails_and_changes_nothing(
    admin_client, pending_invite, accepted_invite
):
    digest = pending_invite.token_hash
    job = AdminJob.objects.create(
        kind="refresh", key="r", input={"ids": [str(pending_invite.pk), str(accepted_invite.pk)]}
    )
    assert jobs.run_admin_job.call(str(job.pk)) == "failed"
    job.refresh_from_db()
    assert job.result["error"].startswith("Nothing was refreshed")
    assert job.bad_rows == [
        {"line": "", "email": str(accepted_invite.pk), "code": "already_accepted"}
    ]
    pending_invite.refresh_from_db()
    assert pending_invite.token_hash == digest
    page = admin_client.get(f"/admin/invites/invite/jobs/{job.pk}/").content.decode()
    assert "Invites that were not refreshed" in page
    row = f'<tr class="refresh-already_accepted"><td>{accepted_invite.pk}</td><td>accepted</td>'
    assert row in page
    deleted = AdminJob.objects.create(
        kind="refresh", key="d", input={"ids": ["00000000-0000-0000-0000-000000000000"]}
    )
    assert jobs.run_admin_job.call(str(deleted.pk)) == "failed"


def test_an_unreadable_input_fails_the_job():
    job = import_job("name\nno email column\n")
    assert jobs.run_admin_job.call(str(job.pk)) == "failed"
    job.refresh_from_db()
    assert "email" in job.result["error"] and job.input is None


def test_an_unexpected_error_fails_the_job_and_is_raised():
    job = AdminJob.objects.create(kind="import", key="broken", input={"csv": True})
    with pytest.raises(KeyError):
        jobs.run_admin_job.call(str(job.pk))
    job.refresh_from_db()
    assert job.status == AdminJobStatus.FAILED
    assert job.result["error"].startswith("The job failed unexpectedly")


def test_a_queued_job_whose_task_was_lost_is_queued_again(django_capture_on_commit_callbacks):
    job = import_job("email\na@example.com\n")
    AdminJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert jobs.recover_jobs() == 1  # the immediate backend runs it at once
    job.refresh_from_db()
    assert job.status == AdminJobStatus.DONE and Invite.objects.count() == 1
    assert jobs.run_admin_job.call(str(job.pk)) == "skipped"
    assert jobs.run_admin_job.call("00000000-0000-0000-0000-000000000000") == "skipped"


def test_a_running_job_shows_its_progress_and_polls(admin_client):
    job = import_job("email\na@example.com\n", status="running", done=5000, total=20000)
    AdminJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    url = f"/admin/invites/invite/jobs/{job.pk}/"
    page = admin_client.get(url).content.decode()
    assert '<progress id="job-progress" max="20000" value="5000">' in page
    assert f'data-status-url="{url}status/"' in page and "<script>" in page
    status = json.loads(admin_client.get(f"{url}status/").content)
    assert status == {
        "id": str(job.pk),
        "kind": "import",
        "status": "running",
        "done": 5000,
        "total": 20000,
        "finished": False,
        "result": None,
    }
