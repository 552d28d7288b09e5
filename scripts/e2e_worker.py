"""End-to-end run of background invite emails on PostgreSQL with django-tasks-db.

1. drop and re-create the database of E2E_DATABASE_URL, migrate it;
2. create E2E_INVITES invites (1,000) without emails;
3. start E2E_WORKERS real `manage.py db_worker` processes (file email backend);
4. bulk-refresh every invite through `POST /api/invites/refresh/` on a real server
   process, as an API client would;
5. wait until the task table has no queued or running task;
6. check: one email per invite, each carrying the invite's newest link (the digest of
   its token equals the stored `token_hash`, and a few links are followed to accept
   their invites), every task succeeded, no raw token in the task table, and the
   refresh returned while the emails were still queued.

Prints a summary with timings; exits non-zero on any failed check. The database named
in E2E_DATABASE_URL is DROPPED first: never point it at data you want to keep.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = os.environ.get("PY", sys.executable)
INVITES = int(os.environ.get("E2E_INVITES", "1000"))
WORKERS = int(os.environ.get("E2E_WORKERS", "2"))
DATABASE_URL = os.environ.get(
    "E2E_DATABASE_URL", "postgres://invites:invites@127.0.0.1:5432/invites_e2e"
)
DRAIN_TIMEOUT = float(os.environ.get("E2E_DRAIN_TIMEOUT", "300"))
SITE_URL = "https://e2e.example.com"
PASSWORD = "e2e-Correct-Horse-42"  # noqa: S105 (a throwaway user in a throwaway database)
SEPARATOR = b"\n" + b"-" * 79 + b"\n"
STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[e2e {time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def fail(message: str) -> None:
    log(f"FAILED: {message}")
    raise SystemExit(1)


def base_env(mail_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "inviteproject.settings",
        "DATABASE_URL": DATABASE_URL,
        "TASKS_BACKEND": "database",
        "EMAIL_URL": f"filemail:///{mail_dir}",  # four slashes: an absolute path
        "SECRET_KEY": "e2e-secret-key-only-for-this-run-0123456789abcdef",
        "DEBUG": "false",
        "SITE_URL": SITE_URL,
        "INVITES_LOG_LEVEL": "WARNING",
    }


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 (our own manage.py)
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        fail(f"manage.py {args[0]} exited {result.returncode}:\n{result.stderr[-3000:]}")
    return result.stdout


def recreate_database() -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# --- the refresh, through the REST API ------------------------------------------------

API_PORT = int(os.environ.get("E2E_API_PORT", "8766"))
MAKE_API_KEY = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token
user, _ = get_user_model()._default_manager.get_or_create(username="e2e-client")
user.user_permissions.add(Permission.objects.get(codename="change_invite"))
print(Token.objects.get_or_create(user=user)[0].key)
"""


def bulk_refresh(env: dict[str, str], ids: list[str], work_dir: Path) -> dict[str, float]:
    """Refresh `ids` through `POST /api/invites/refresh/`, as an API client would.

    The server runs in its own process whose email backend discards everything, so any
    email that arrives was sent by a worker. Ids go in chunks of MAX_BATCH_SIZE (1,000).
    """
    from django_tasks_db.models import DBTaskResult

    caller_env = {**env, "EMAIL_URL": "dummymail://", "ALLOWED_HOSTS": "127.0.0.1"}
    key = manage(caller_env, "shell", "-v", "0", "-c", MAKE_API_KEY).strip().splitlines()[-1]
    output = open(work_dir / "server.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(  # noqa: S603 (our own manage.py)
        [PYTHON, "manage.py", "runserver", f"127.0.0.1:{API_PORT}", "--noreload"],
        cwd=ROOT,
        env=caller_env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_server(server)
        started = time.time()
        refreshed = 0
        for start in range(0, len(ids), 1000):
            refreshed += len(post_refresh(key, ids[start : start + 1000]))
        returned = time.time()
        queued = DBTaskResult.objects.filter(status="READY").count()
    finally:
        server.terminate()
        server.wait(timeout=20)
    if refreshed != len(ids):
        fail(f"the API returned {refreshed} invites, expected {len(ids)}")
    return {"started": started, "returned": returned, "queued_at_return": queued}


def wait_for_server(server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            fail("the API server exited at start")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{API_PORT}/api/schema/", timeout=5)
        except OSError:
            time.sleep(0.25)
        else:
            return
    fail("the API server did not answer within 60 s")


def post_refresh(key: str, ids: list[str]) -> list[dict[str, object]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{API_PORT}/api/invites/refresh/",
        data=json.dumps({"invite_ids": ids}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {key}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            body: list[dict[str, object]] = json.load(response)
    except urllib.error.HTTPError as error:
        fail(f"POST /api/invites/refresh/ answered {error.code}: {error.read()[:500]!r}")
    return body


# --- workers -----------------------------------------------------------------------


def start_workers(env: dict[str, str], work_dir: Path) -> list[subprocess.Popen[bytes]]:
    workers = []
    for number in range(WORKERS):
        output = open(work_dir / f"worker{number}.log", "wb")  # noqa: SIM115
        workers.append(
            subprocess.Popen(  # noqa: S603 (our own manage.py)
                [
                    PYTHON,
                    "manage.py",
                    "db_worker",
                    "--no-reload",
                    "--no-startup-delay",
                    "--interval",
                    "0.2",
                    "--worker-id",
                    f"e2e-{number}",
                ],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        )
    return workers


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def wait_for_workers(workers: list[subprocess.Popen[bytes]], work_dir: Path) -> None:
    """Until every worker has logged its start (it then polls the queue)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for number, worker in enumerate(workers):
            if worker.poll() is not None:
                output = (work_dir / f"worker{number}.log").read_text()
                fail(f"worker {number} exited early:\n{output}")
        logs = [(work_dir / f"worker{n}.log").read_text() for n in range(len(workers))]
        if all("Starting worker" in text for text in logs):
            return
        time.sleep(0.1)
    fail("workers did not start within 60 s")


def wait_for_drain(workers: list[subprocess.Popen[bytes]]) -> float:
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + DRAIN_TIMEOUT
    while time.monotonic() < deadline:
        if any(worker.poll() is not None for worker in workers):
            fail("a worker died while the queue was draining")
        left = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).count()
        if left == 0:
            return time.time()
        time.sleep(0.25)
    fail(f"the queue did not drain within {DRAIN_TIMEOUT:.0f} s")
    raise AssertionError  # unreachable


# --- checks ------------------------------------------------------------------------


def read_emails(mail_dir: Path) -> list[tuple[Message, float]]:
    """Every message the file backend wrote, with the mtime of its file."""
    messages = []
    for path in sorted(mail_dir.iterdir()):
        mtime = path.stat().st_mtime
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                messages.append((message_from_bytes(chunk), mtime))
    return messages


def link_token(message: Message) -> str:
    [text] = [part for part in message.walk() if part.get_content_type() == "text/plain"]
    body = text.get_payload(decode=True).decode()
    [link] = re.findall(re.escape(SITE_URL) + r"/invites/accept/\?token=[A-Za-z0-9_-]+", body)
    return parse_qs(urlsplit(link).query)["token"][0]


def check(
    messages: list[tuple[Message, float]], report: dict[str, float], tokens_seen: list[str]
) -> None:
    from django_tasks_db.models import DBTaskResult

    from invites import services
    from invites.models import Invite
    from invites.tokens import hash_token

    if len(messages) != INVITES:
        fail(f"{len(messages)} emails went out, expected {INVITES}")
    stored = {invite.email: invite for invite in Invite.objects.all()}
    recipients = [message["To"] for message, _mtime in messages]
    if sorted(recipients) != sorted(stored):
        fail("the emails do not go one to each invite")
    stale = [
        message["To"]
        for message, _mtime in messages
        if hash_token(link_token(message)) != stored[message["To"]].token_hash
    ]
    if stale:
        fail(f"{len(stale)} emails carry a link that is not the newest, e.g. {stale[:3]}")
    for message, _mtime in messages[:3]:
        user = services.accept_invite(link_token(message), password=PASSWORD)
        if user.email != message["To"]:
            fail("a followed link created the wrong user")

    outcomes = list(DBTaskResult.objects.values_list("status", "return_value"))
    if outcomes.count(("SUCCESSFUL", "sent")) != INVITES or len(outcomes) != INVITES:
        fail(f"unexpected task outcomes: {sorted(set(outcomes))}")
    dump = json.dumps(list(DBTaskResult.objects.values()), default=str)
    leaked = [token for token in tokens_seen if token in dump]
    if leaked:
        fail(f"{len(leaked)} raw tokens are stored in the task table")

    sent_before_return = sum(1 for _message, mtime in messages if mtime <= report["returned"])
    log(
        f"refresh returned with {report['queued_at_return']} of {INVITES} tasks still queued; "
        f"{sent_before_return} emails had been written by then (all by the workers: the "
        "refreshing process discards email)"
    )
    # The workers start on the first tasks while the call is still queueing the rest,
    # so some emails may predate its return; most of the queue must still be waiting.
    if report["queued_at_return"] * 4 < INVITES or sent_before_return >= INVITES:
        fail("the refresh call waited for the emails")


def main() -> None:
    work_dir = Path(tempfile.mkdtemp(prefix="invites-e2e-"))
    mail_dir = work_dir / "mail"
    mail_dir.mkdir()
    env = base_env(mail_dir)
    database = urlsplit(DATABASE_URL).path.lstrip("/")
    log(f"database {database}, {INVITES} invites, {WORKERS} workers, files in {work_dir}")

    recreate_database()
    manage(env, "migrate", "--noinput", "-v", "0")
    log("migrated a fresh database")

    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test.utils import override_settings

    from invites import services

    with override_settings(INVITES={"SEND_EMAILS": False}):
        created = services.create_invites([f"e2e{n:05d}@example.com" for n in range(INVITES)])
    ids = [str(invite.pk) for invite in created]
    log(f"created {len(ids)} invites (no emails)")

    workers = start_workers(env, work_dir)
    try:
        wait_for_workers(workers, work_dir)
        log(f"{len(workers)} db_worker processes are polling")
        report = bulk_refresh(env, ids, work_dir)
        took = report["returned"] - report["started"]
        log(f"bulk refresh of {len(ids)} invites took {took:.2f} s")
        drained = wait_for_drain(workers)
        log(f"queue drained {drained - report['returned']:.1f} s after the refresh returned")
    finally:
        stop_workers(workers)

    messages = read_emails(mail_dir)
    # The tokens minted at creation are dead now; the newest ones are only in the emails.
    tokens_seen = [invite.token for invite in created] + [link_token(m) for m, _t in messages]
    check(messages, report, tokens_seen)
    shutil.rmtree(work_dir)  # kept when a check fails, for a look at the emails and logs
    log(f"PASSED: {INVITES} emails, each with the newest link")


if __name__ == "__main__":
    main()
