"""A real database worker through a PostgreSQL restart: its backend terminated, new
connections refused for a few seconds, then the server back.

django-tasks-db's `db_worker` exits at the first such error; `invites_db_worker` waits
for the database and goes on, and every email queued after the restart is delivered.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from invites import services
from tests.faults.proxy import Forwarder
from tests.helpers import requires_postgresql
from tests.test_delivery_crash import ROOT, read_file_emails

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]

PROXY_PORT = 8251


@pytest.fixture
def postgresql():
    """The test database as its clients see it, through a server that can restart."""
    forwarder = Forwarder(
        PROXY_PORT,
        (connection.settings_dict["HOST"], int(connection.settings_dict["PORT"] or 5432)),
    )
    forwarder.start()
    yield forwarder
    forwarder.stop()


def restart(server: Forwarder, down_for: float = 3) -> None:
    """Terminate the backends of the server's clients, refuse connections, come back."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE client_port = ANY(%s) AND pid <> pg_backend_pid()",
            [server.upstream_ports()],
        )
    server.stop()
    time.sleep(down_for)
    server.start()


def worker(command: str, mail_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@127.0.0.1:{PROXY_PORT}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "inviteproject.settings",
        "ENV_FILE": str(ROOT / "no-such.env"),
        "DATABASE_URL": url,
        "TASKS_BACKEND": "database",
        "EMAIL_URL": f"filemail:///{mail_dir}",
        "SECRET_KEY": settings.SECRET_KEY,
        "SITE_URL": settings.SITE_URL,
        "DEBUG": "false",
        "INVITE_EMAIL_COOLDOWN": "0",
    }
    argv = [command, "--no-reload", "--no-startup-delay", "--interval", "0.2"]
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", *argv], cwd=ROOT, env=env, stdout=out, stderr=out
        )


def wait_for_emails(mail_dir: Path, count: int, process: subprocess.Popen[bytes]) -> set[str]:
    deadline = time.monotonic() + 60
    while True:
        sent = {to for to, _token in read_file_emails(mail_dir)}
        if len(sent) >= count:
            return sent
        assert process.poll() is None, "the worker exited"
        assert time.monotonic() < deadline, f"only {len(sent)} of {count} emails sent"
        time.sleep(0.1)


def invite(*emails: str) -> None:
    services.create_invites(list(emails))


@pytest.fixture
def queued_by_database(database_tasks, settings):
    settings.INVITES = {"EMAIL_COOLDOWN": 0}


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    process.wait(timeout=30)


def test_db_worker_exits_when_the_database_restarts(postgresql, queued_by_database, tmp_path):
    mail_dir, log = tmp_path / "mail", tmp_path / "worker.log"
    mail_dir.mkdir()
    process = worker("db_worker", mail_dir, log)
    try:
        invite("before@example.com")
        wait_for_emails(mail_dir, 1, process)
        restart(postgresql)
        process.wait(timeout=30)
    finally:
        stop(process)
    assert process.returncode != 0
    assert "OperationalError" in log.read_text()


def test_invites_db_worker_goes_on_after_the_database_restarts(
    postgresql, queued_by_database, tmp_path
):
    mail_dir, log = tmp_path / "mail", tmp_path / "worker.log"
    mail_dir.mkdir()
    process = worker("invites_db_worker", mail_dir, log)
    try:
        invite("before@example.com")
        assert wait_for_emails(mail_dir, 1, process) == {"before@example.com"}

        restart(postgresql)
        time.sleep(1)
        assert process.poll() is None
        invite("after1@example.com", "after2@example.com")
        sent = wait_for_emails(mail_dir, 3, process)
    finally:
        stop(process)
    assert sent == {"before@example.com", "after1@example.com", "after2@example.com"}
    assert "The database failed (OperationalError" in log.read_text()
