"""End-to-end fault test of invite email delivery on PostgreSQL with django-tasks-db.

1. drop and re-create the database of E2E_DATABASE_URL, migrate it;
2. create E2E_INVITES invites (10,000) without emails;
3. start 2 web processes behind gunicorn and E2E_WORKERS (2) `manage.py db_worker`
   processes (file email backend; E2E_COOLDOWN seconds of EMAIL_COOLDOWN, default 10);
4. bulk-refresh every invite twice through `POST /api/invites/refresh/` (1,000 ids a
   call, two calls at a time); in the second round one web process kills itself with
   SIGKILL right after a refresh commits, and one worker is killed with SIGKILL while
   it runs a batch;
5. once the queue is drained (but for the killed worker's task, left RUNNING), stop the
   workers, run `send_invite_emails --stale-after 0s`, then a worker run until the
   queue is empty;
6. count, for every invite, the emails that carry its newest link and those that carry
   a dead one, and check: every invite has an email with its newest link (0 lost);
   no email carries a link that was revoked before the email was built (each subject
   holds its build time, `scripts/e2e_hooks.py`, and each web process logs when each
   refresh committed); a second copy of a newest link only for invites of the killed
   worker's batch (at most one batch); `sent_at` set everywhere; no raw token in the
   task table.

Prints the counts and timings; exits non-zero on any failed check. The database named
in E2E_DATABASE_URL is DROPPED first: never point it at data you want to keep.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = os.environ.get("PY", sys.executable)
INVITES = int(os.environ.get("E2E_INVITES", "10000"))
WORKERS = int(os.environ.get("E2E_WORKERS", "2"))
COOLDOWN = os.environ.get("E2E_COOLDOWN", "10")
DATABASE_URL = os.environ.get(
    "E2E_DATABASE_URL", "postgres://invites:invites@127.0.0.1:5432/invites_e2e"
)
API_PORT = int(os.environ.get("E2E_API_PORT", "8766"))
DRAIN_TIMEOUT = float(os.environ.get("E2E_DRAIN_TIMEOUT", "300"))
CALL_SIZE = 1000
SITE_URL = "https://e2e.example.com"
SEPARATOR = b"\n" + b"-" * 79 + b"\n"
STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[e2e {time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def fail(message: str) -> None:
    log(f"FAILED: {message}")
    raise SystemExit(1)


def base_env(work_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "scripts.e2e_settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": DATABASE_URL,
        "TASKS_BACKEND": "database",
        "EMAIL_URL": f"filemail:///{work_dir / 'mail'}",  # four slashes: an absolute path
        "SECRET_KEY": "e2e-secret-key-only-for-this-run-0123456789abcdef",
        "DEBUG": "false",
        "SITE_URL": SITE_URL,
        "ALLOWED_HOSTS": "127.0.0.1",
        "INVITE_EMAIL_COOLDOWN": COOLDOWN,
        "INVITES_LOG_LEVEL": "WARNING",
        "E2E_WORK_DIR": str(work_dir),
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
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        name = sql.Identifier(parts.path.lstrip("/"))
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))


# --- processes ----------------------------------------------------------------------


def start(
    work_dir: Path, env: dict[str, str], name: str, args: list[str]
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 (our own commands)
        args,
        cwd=ROOT,
        env=env,
        stdout=open(work_dir / f"{name}.log", "ab"),
        stderr=subprocess.STDOUT,
    )


def start_web(work_dir: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    web = start(
        work_dir,
        env,
        "web",
        [
            PYTHON,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{API_PORT}",
            "--timeout",
            "120",
            "--graceful-timeout",
            "5",
            "scripts.e2e_wsgi:application",
        ],
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if web.poll() is not None:
            fail(f"gunicorn exited at start:\n{(work_dir / 'web.log').read_text()[-3000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{API_PORT}/api/schema/", timeout=5)
        except OSError:
            time.sleep(0.25)
        else:
            return web
    fail("the web processes did not answer within 60 s")
    raise AssertionError  # unreachable


def start_worker(work_dir: Path, env: dict[str, str], number: int) -> subprocess.Popen[bytes]:
    worker = start(
        work_dir,
        env,
        f"worker{number}",
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
    )
    deadline = time.monotonic() + 60
    while "Starting worker" not in (work_dir / f"worker{number}.log").read_text():
        if worker.poll() is not None or time.monotonic() > deadline:
            fail(
                f"worker {number} did not start:\n{(work_dir / f'worker{number}.log').read_text()}"
            )
        time.sleep(0.1)
    return worker


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the refreshes, through the REST API ----------------------------------------------

MAKE_API_KEY = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token
user, _ = get_user_model()._default_manager.get_or_create(username="e2e-client")
user.user_permissions.add(Permission.objects.get(codename="change_invite"))
print(Token.objects.get_or_create(user=user)[0].key)
"""


@dataclass
class Call:
    ids: list[str]
    started: float = 0.0
    ended: float = 0.0
    tokens: dict[str, str] = field(default_factory=dict)
    failed: str = ""


def post_refresh(key: str, call: Call) -> Call:
    request = urllib.request.Request(
        f"http://127.0.0.1:{API_PORT}/api/invites/refresh/",
        data=json.dumps({"invite_ids": call.ids}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {key}"},
        method="POST",
    )
    call.started = time.time()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            body = json.load(response)
        call.tokens = {invite["id"]: invite["token"] for invite in body}
    except urllib.error.HTTPError as error:
        call.failed = f"HTTP {error.code}: {error.read()[:300]!r}"
    except OSError as error:  # the process died under the request
        call.failed = f"{type(error).__name__}: {error}"
    call.ended = time.time()
    return call


def refresh_round(
    key: str, ids: list[str], *, kill_web_at: int | None, work_dir: Path
) -> list[Call]:
    calls = [Call(ids[start : start + CALL_SIZE]) for start in range(0, len(ids), CALL_SIZE)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = []
        for number, call in enumerate(calls):
            if number == kill_web_at:
                # The next refresh to commit kills its web process right after the commit.
                (work_dir / "kill-web").touch()
            futures.append(pool.submit(post_refresh, key, call))
            time.sleep(0.05)
        for future in futures:
            future.result()
    return calls


def kill_worker_mid_batch(
    worker: subprocess.Popen[bytes], worker_id: str, queued_since: datetime
) -> dict[str, Any]:
    """SIGKILL `worker` while it sends a batch queued since `queued_since`; return its task."""
    from django_tasks_db.models import DBTaskResult

    from invites.models import Invite

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        running = DBTaskResult.objects.filter(
            status="RUNNING", worker_ids__contains=[worker_id], enqueued_at__gte=queued_since
        )
        task = running.values("id", "args_kwargs", "started_at").first()
        if task is not None:
            first_id = task["args_kwargs"]["args"][0][0].split(":")[0]
            claimed = Invite.objects.filter(pk=first_id, last_emailed_at__gte=task["started_at"])
            if claimed.exists():  # building is done: the messages are going out
                time.sleep(random.uniform(0, 0.03))  # noqa: S311 (somewhere in the batch)
                os.kill(worker.pid, signal.SIGKILL)
                worker.wait()
                stuck = running.values("id", "args_kwargs").first()
                if stuck is None:
                    fail("the worker finished its batch before the kill; run again")
                return stuck
        time.sleep(0.002)
    fail(f"worker {worker_id} never sent a batch")
    raise AssertionError  # unreachable


def wait_for_queue(*, allow_running: set[str], processes: list[subprocess.Popen[bytes]]) -> None:
    """Until no task is waiting (deferred ones included) and none runs but `allow_running`."""
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + DRAIN_TIMEOUT
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            fail("a worker died while the queue was draining")
        ready = DBTaskResult.objects.filter(status="READY").exists()
        running = set(
            map(str, DBTaskResult.objects.filter(status="RUNNING").values_list("id", flat=True))
        )
        if not ready and running <= allow_running:
            return
        time.sleep(0.25)
    fail(f"the queue did not drain within {DRAIN_TIMEOUT:.0f} s")


# --- checks ------------------------------------------------------------------------


@dataclass
class Email:
    to: str
    token: str
    built_at: float


def read_emails(mail_dir: Path) -> list[Email]:
    emails = []
    for path in sorted(mail_dir.iterdir()):
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                message = message_from_bytes(chunk)
                [built_at] = re.findall(r"\[built\s+([0-9.]+)\]", str(message["Subject"]))
                emails.append(Email(message["To"], link_token(message), float(built_at)))
    return emails


def link_token(message: Message) -> str:
    [text] = [part for part in message.walk() if part.get_content_type() == "text/plain"]
    body = text.get_payload(decode=True).decode()
    [link] = re.findall(re.escape(SITE_URL) + r"/invites/accept/\?token=[A-Za-z0-9_-]+", body)
    return parse_qs(urlsplit(link).query)["token"][0]


def commit_times(work_dir: Path, second_round: list[Call]) -> dict[str, list[float]]:
    """Per invite id, when each refresh of it committed (logged by the web processes)."""
    times: dict[str, list[float]] = defaultdict(list)
    for path in work_dir.glob("commits-*.log"):
        for line in path.read_text().splitlines():
            invite_id, stamp = line.split()
            if invite_id != "KILLED":
                times[invite_id].append(float(stamp))
    for stamps in times.values():
        stamps.sort()
    # The killed call's other invites committed in the same transaction as its first.
    for call in second_round:
        if call.failed:
            stamped = [times[i][1] for i in call.ids if len(times[i]) == 2]
            for invite_id in call.ids:
                if len(times[invite_id]) == 1:
                    times[invite_id].append(min(stamped))
    return times


def check(
    work_dir: Path, first: list[Call], second: list[Call], killed_task: dict[str, Any]
) -> None:
    from django_tasks_db.models import DBTaskResult

    from invites.models import Invite
    from invites.tokens import hash_token

    emails = read_emails(work_dir / "mail")
    stored = {
        str(pk): (email, digest)
        for pk, email, digest in Invite.objects.values_list("pk", "email", "token_hash")
    }
    by_email = {email: pk for pk, (email, _digest) in stored.items()}
    first_tokens = {i: t for call in first for i, t in call.tokens.items()}
    commits = commit_times(work_dir, second)

    newest: Counter[str] = Counter()
    superseded_in_flight = 0
    dead_when_built: list[str] = []
    for email in emails:
        pk = by_email[email.to]
        if hash_token(email.token) == stored[pk][1]:
            newest[pk] += 1
        elif email.token == first_tokens.get(pk):
            # Revoked by the second refresh: fine if built before that refresh committed.
            if email.built_at > commits[pk][1]:
                dead_when_built.append(email.to)
            else:
                superseded_in_flight += 1
        else:
            dead_when_built.append(email.to)  # a link no refresh of this run handed out

    killed_ids = {item.split(":")[0] for item in killed_task["args_kwargs"]["args"][0]}
    lost = [pk for pk in stored if newest[pk] == 0]
    doubled = {pk: n for pk, n in newest.items() if n > 1}
    unsent = Invite.objects.filter(sent_at__isnull=True).count()
    log(
        f"{len(emails)} emails for {len(stored)} invites: {sum(newest.values())} carry their "
        f"invite's newest link; {superseded_in_flight} carry a first-round link built before "
        f"the second refresh committed; {len(dead_when_built)} carry a link dead when built"
    )
    log(
        f"lost: {len(lost)} invites without their newest link; second copies: "
        f"{sum(n - 1 for n in doubled.values())} (all of the killed worker's batch of "
        f"{len(killed_ids)}: {set(doubled) <= killed_ids}); sent_at unset: {unsent}"
    )
    if lost:
        fail(f"{len(lost)} invites never got their newest link, e.g. {lost[:3]}")
    if dead_when_built:
        fail(f"{len(dead_when_built)} emails carry a link dead when built: {dead_when_built[:3]}")
    if not set(doubled) <= killed_ids or any(n > 2 for n in doubled.values()):
        fail(f"second copies outside the killed worker's batch: {sorted(doubled)[:5]}")
    if unsent:
        fail(f"{unsent} invites have no sent_at")

    from invites import services

    # A few newest links, followed: each accepts its own invite.
    followed = [e for e in emails if hash_token(e.token) == stored[by_email[e.to]][1]][:3]
    for email in followed:
        user = services.accept_invite(email.token, password="e2e-Correct-Horse-42")  # noqa: S106
        if user.email != email.to:
            fail("a followed link created the wrong user")

    tokens = [*first_tokens.values(), *(t for call in second for t in call.tokens.values())]
    dump = json.dumps(list(DBTaskResult.objects.values()), default=str)
    leaked = [token for token in tokens if token in dump]
    if leaked:
        fail(f"{len(leaked)} raw tokens are stored in the task table")


def main() -> None:
    work_dir = Path(tempfile.mkdtemp(prefix="invites-e2e-"))
    (work_dir / "mail").mkdir()
    env = base_env(work_dir)
    database = urlsplit(DATABASE_URL).path.lstrip("/")
    log(
        f"database {database}, {INVITES} invites, 2 web processes, {WORKERS} workers, "
        f"cooldown {COOLDOWN} s, files in {work_dir}"
    )
    recreate_database()
    manage(env, "migrate", "--noinput", "-v", "0")

    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test.utils import override_settings

    from invites import services

    with override_settings(INVITES={"SEND_EMAILS": False}):
        created = services.create_invites([f"e2e{n:05d}@example.com" for n in range(INVITES)])
    ids = [str(invite.pk) for invite in created]
    key = manage(env, "shell", "-v", "0", "-c", MAKE_API_KEY).strip().splitlines()[-1]
    log(f"created {len(ids)} invites (no emails)")

    web = start_web(work_dir, env)
    workers = [start_worker(work_dir, env, number) for number in range(WORKERS)]
    try:
        log("gunicorn (2 web processes) and the workers are up")
        first = refresh_round(key, ids, kill_web_at=None, work_dir=work_dir)
        if any(call.failed for call in first):
            fail(f"a first-round call failed: {[c.failed for c in first if c.failed]}")
        log(f"first refresh of {len(ids)} invites returned")

        killed: dict[str, Any] = {}
        second_started = datetime.now(UTC)
        killer = threading.Thread(
            target=lambda: killed.update(kill_worker_mid_batch(workers[0], "e2e-0", second_started))
        )
        killer.start()
        second = refresh_round(key, ids, kill_web_at=4, work_dir=work_dir)
        killer.join()
        failed = [call for call in second if call.failed]
        log(
            f"second refresh returned; {len(failed)} call lost to the killed web process "
            f"({failed[0].failed if failed else 'none'}); worker e2e-0 killed in task "
            f"{killed['id']}"
        )
        if len(failed) != 1 or not (work_dir / "kill-web.taken").exists():
            fail("exactly one refresh call should have died with its web process")
        wait_for_queue(allow_running={str(killed["id"])}, processes=workers[1:])
        log("queue drained but for the killed worker's task")
    finally:
        stop([web, *workers])

    out = manage(env, "send_invite_emails", "--stale-after", "0s")
    log(f"send_invite_emails: {out.strip()}")
    recovery = start_worker(work_dir, env, WORKERS)
    try:
        wait_for_queue(allow_running={str(killed["id"])}, processes=[recovery])
    finally:
        stop([recovery])
    log("worker run after send_invite_emails finished")

    check(work_dir, first, second, killed)
    shutil.rmtree(work_dir)  # kept when a check fails, for a look at the emails and logs
    log("PASSED")


if __name__ == "__main__":
    main()
