"""Delivery on Redis + RQ (django-tasks-rq): real redis-server, real `rqworker` processes.

The app knows only Django Tasks: these tests configure django-tasks-rq's backend and
check that the emails' guarantees hold on it, with workers killed, Redis restarted
(without persistence: every queued task lost) and a process killed between its commit
and the enqueue.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timedelta
from email import message_from_bytes
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from invites import services
from invites.models import Invite
from invites.tasks import deliver_invite_emails
from invites.tokens import hash_token
from tests.helpers import requires_postgresql
from tests.rq_support import (
    ROOT,
    RedisServer,
    Workers,
    demo_env,
)
from tests.test_delivery_crash import SEPARATOR, read_file_emails

pytestmark = pytest.mark.django_db(transaction=True)


def queued_jobs(server: RedisServer) -> list[tuple[list[str], str]]:
    """(invites, kind) of each job waiting in the `default` queue, oldest first."""
    from django_tasks_rq import Job
    from rq import Queue

    queue = Queue("default", connection=server.client(), job_class=Job)
    return [(job.args[0], job.args[1]) for job in queue.get_jobs()]


def scheduled_job_count(server: RedisServer) -> int:
    from rq import Queue

    return len(Queue("default", connection=server.client()).scheduled_job_registry)


def settled(server: RedisServer, workers: Workers) -> bool:
    """No job waiting or scheduled in Redis, and no work horse running one.

    Each poll first plays the supervisor, whatever the queue holds: a worker that exited
    (as one does when Redis goes away in the middle of its job) is started again, and
    the work horses are noted for `busy()`. Otherwise a job queued after a restart
    would wait for workers that never come back.
    """
    workers.supervise()
    if not server.answers():
        return False
    if queued_jobs(server) or scheduled_job_count(server):
        return False
    return not workers.busy()


def wait_until_settled(server: RedisServer, workers: Workers, *, timeout: float = 180) -> None:
    """Until the workers have nothing left: settled on several polls in a row."""
    deadline = time.monotonic() + timeout
    calm = 0
    while calm < 10:
        assert time.monotonic() < deadline, "the RQ workers did not finish"
        calm = calm + 1 if settled(server, workers) else 0
        time.sleep(0.05)


def wait_for(condition, *, timeout: float = 60, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def mail_written(mail_dir: Path) -> bool:
    return any(path.stat().st_size for path in mail_dir.iterdir())


def email_dates(mail_dir: Path) -> list[datetime]:
    """The Date header of every email written, in order."""
    dates = []
    for path in mail_dir.iterdir():
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                dates.append(parsedate_to_datetime(message_from_bytes(chunk)["Date"]))
    return sorted(dates)


# --- queueing: after the commit, on Redis, with what the task definitions ask for --------


def test_emails_are_queued_on_redis_after_the_commit_never_in_it(rq_tasks, redis_server):
    with transaction.atomic():
        created = services.create_invites(["ada@example.com", "bob@example.com"])
        assert queued_jobs(redis_server) == []  # a rollback must not leave a job behind

    [(items, kind)] = queued_jobs(redis_server)
    assert kind == "created"
    assert sorted(items) == sorted(f"{i.pk}:{i.token_hash}" for i in created)
    assert not any(invite.token in str(items) for invite in created)  # no raw token

    with pytest.raises(RuntimeError), transaction.atomic():
        services.create_invites(["eve@example.com"])
        raise RuntimeError("roll back")
    assert len(queued_jobs(redis_server)) == 1


def test_the_email_task_runs_on_rq_with_its_priority_and_a_run_after(rq_tasks, redis_server):
    # RQ has no priorities: the backend refuses any but the default, which the app uses.
    assert deliver_invite_emails.priority == 0
    deliver_invite_emails.enqueue(["x:y"], "created")
    assert len(queued_jobs(redis_server)) == 1

    # A cooldown or a retry is a task due later: a scheduled job, for `--with-scheduler`.
    due = timezone.now() + timedelta(minutes=5)
    deliver_invite_emails.using(run_after=due).enqueue(["x:y"], "resent", 2)
    assert scheduled_job_count(redis_server) == 1
    assert len(queued_jobs(redis_server)) == 1


# --- real workers ----------------------------------------------------------------------


@requires_postgresql
def test_a_link_refreshed_within_the_cooldown_is_emailed_when_it_ends(
    rq_tasks, redis_server, settings, tmp_path
):
    cooldown = 2
    settings.INVITES = {"EMAIL_COOLDOWN": cooldown}
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    workers = Workers(redis_server.url, mail_dir, tmp_path, INVITE_EMAIL_COOLDOWN=str(cooldown))
    workers.start()
    try:
        [invite] = services.create_invites(["ada@example.com"])
        wait_for(lambda: Invite.objects.filter(sent_at__isnull=False).exists(), what="email 1")
        [refreshed] = services.refresh_invite_tokens([invite.pk])
        wait_until_settled(redis_server, workers)
        assert Invite.objects.get().sent_at is not None
    finally:
        workers.stop()

    emails = read_file_emails(mail_dir)
    assert sorted(token for _to, token in emails) == sorted([invite.token, refreshed.token])
    first, second = email_dates(mail_dir)
    # Deferred by the worker to a scheduled job, which the scheduler ran when it was due.
    assert second - first >= timedelta(seconds=cooldown - 1)  # Date has whole seconds


@requires_postgresql
def test_a_process_killed_between_commit_and_enqueue_is_covered_by_send_invite_emails(
    rq_tasks, redis_server, tmp_path
):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    # The commit runs its callbacks in order: this one, registered first, kills the
    # process after the invites are committed and before their task reaches Redis.
    script = (
        "import os, signal, django; django.setup()\n"
        "from django.db import transaction\n"
        "from invites import services\n"
        "with transaction.atomic():\n"
        "    transaction.on_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))\n"
        "    services.create_invites([f'killed{i}@example.com' for i in range(300)])\n"
    )
    killed = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=demo_env(redis_server.url, mail_dir),
        capture_output=True,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr.decode()
    assert Invite.objects.count() == 300  # committed
    assert queued_jobs(redis_server) == []  # but nothing queued

    call_command("send_invite_emails", "--stale-after", "0s", verbosity=0)
    workers = Workers(redis_server.url, mail_dir, tmp_path)
    workers.start()
    try:
        wait_until_settled(redis_server, workers)
    finally:
        workers.stop()

    current = {invite.email: invite.token_hash for invite in Invite.objects.all()}
    links = [(to, hash_token(token)) for to, token in read_file_emails(mail_dir)]
    assert sorted(links) == sorted(current.items())  # each current link once
    assert not Invite.objects.filter(sent_at__isnull=True).exists()


@requires_postgresql
def test_killed_worker_and_redis_restart_mid_delivery_lose_no_email(
    rq_tasks, redis_server, settings, tmp_path
):
    settings.INVITES = {"EMAIL_COOLDOWN": 0}
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    created = services.create_invites([f"rq{i}@example.com" for i in range(1000)])
    assert len(queued_jobs(redis_server)) == 5  # one task per 200

    # One worker alone, SIGKILLed (with its work horse) once its batch is going out.
    workers = Workers(redis_server.url, mail_dir, tmp_path)
    workers.start()
    try:
        wait_for(lambda: mail_written(mail_dir), what="the first emails")
        workers.kill(0)
        before_kill = read_file_emails(mail_dir)
        assert 0 < len(before_kill) < 200

        # Its replacement and a second worker; Redis dies (and forgets every job) while
        # they deliver, and links are refreshed meanwhile.
        workers.start(2)
        wait_for(
            lambda: Invite.objects.filter(sent_at__isnull=False).count() >= 300,
            what="delivery to resume",
        )
        refreshed = services.refresh_invite_tokens([invite.pk for invite in created[-100:]])
        redis_server.restart()
        refreshed_again = services.refresh_invite_tokens([i.pk for i in created[-50:]])
        wait_until_settled(redis_server, workers)
        # The killed batch is left unsent (none of it recorded), its task gone with Redis.
        assert Invite.objects.filter(sent_at__isnull=True).count() >= 200

        call_command("send_invite_emails", "--stale-after", "0s", verbosity=0)
        wait_until_settled(redis_server, workers)
    finally:
        workers.stop()

    current = {invite.email: invite.token_hash for invite in Invite.objects.all()}
    links = {invite.email: {invite.token_hash} for invite in created}
    for invite in [*refreshed, *refreshed_again]:
        links[invite.email].add(invite.token_hash)
    emails = [(to, hash_token(token)) for to, token in read_file_emails(mail_dir)]
    current_links = [(to, digest) for to, digest in emails if current[to] == digest]
    # None lost: every invite got its current link.
    assert {to for to, _digest in current_links} == set(current)
    # Any other email carries a link the invite had before a refresh.
    assert all(digest in links[to] for to, digest in emails)
    # A second copy of a link only for what the killed worker sent before it died.
    assert len(current_links) - len(current) <= len(before_kill)
    assert not Invite.objects.filter(sent_at__isnull=True).exists()
