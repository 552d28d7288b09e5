"""A real `db_worker` process killed with SIGKILL in the middle of a batch loses no email."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from email import message_from_bytes
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from invites import delivery, services
from invites.models import Invite
from invites.tokens import hash_token
from tests.helpers import requires_postgresql
from tests.test_tasks import run_worker, token_in

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]


SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def read_file_emails(mail_dir: Path) -> list[tuple[str, str]]:
    """(recipient, token) of every message Django's file email backend wrote."""
    found = []
    for path in mail_dir.iterdir():
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                message = message_from_bytes(chunk)
                [text] = [p for p in message.walk() if p.get_content_type() == "text/plain"]
                body = text.get_payload(decode=True).decode()
                found.append((message["To"], re.findall(r"token=([\w-]+)", body)[0]))
    return found


def worker_process(mail_dir: Path) -> subprocess.Popen[bytes]:
    """A `manage.py db_worker` of the demo project on this test database, emailing to files."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
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
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_sigkill_mid_batch_then_send_invite_emails_delivers_every_link(
    database_tasks, mailoutbox, settings, tmp_path
):
    settings.INVITES = {"SEND_EMAILS": False, "EMAIL_COOLDOWN": 0}
    created = services.create_invites([f"crash{i}@example.com" for i in range(200)])
    settings.INVITES = {"EMAIL_COOLDOWN": 0}
    with transaction.atomic():
        delivery.queue_invite_emails(created, "created")

    worker = worker_process(tmp_path)
    try:
        deadline = time.monotonic() + 60
        # Kill once the first messages are written: the batch is being sent.
        while not any(path.stat().st_size for path in tmp_path.iterdir()):
            assert time.monotonic() < deadline, "the worker sent nothing"
            time.sleep(0.001)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait()
    before_crash = read_file_emails(tmp_path)
    assert DBTaskResult.objects.get().status == "RUNNING"  # no reaper: it stays so
    assert 0 < len(before_crash) < len(created)
    assert not Invite.objects.filter(sent_at__isnull=False).exists()  # none recorded

    call_command("send_invite_emails", "--stale-after", "0s", verbosity=0)
    run_worker()

    newest = {invite.email: invite.token_hash for invite in Invite.objects.all()}
    links = [(to, hash_token(token)) for to, token in before_crash]
    links += [(message.to[0], hash_token(token_in(message))) for message in mailoutbox]
    assert all(newest[to] == digest for to, digest in links)  # no dead link
    assert {to for to, _digest in links} == set(newest)  # none lost
    # A second copy only for what went out before the kill.
    assert len(links) - len(newest) == len(before_crash)
    assert not Invite.objects.filter(sent_at__isnull=True).exists()
