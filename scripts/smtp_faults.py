"""SMTP fault test of invite email delivery: a real SMTP server with faults, real workers.

    python scripts/smtp_faults.py [--engine database|rq]

1. drop and re-create the database of E2E_DATABASE_URL (PostgreSQL), migrate it;
2. start an SMTP server of its own (scripts/fault_smtpd.py, on E2E_SMTP_PORT) that
   answers 451 to 30 % of messages and drops 5 % of connections mid-DATA;
3. create E2E_INVITES (2,000) invites with their emails queued, start 2 workers of the
   engine; short retry delays (`INVITES["EMAIL_RETRY_DELAYS"]` from E2E_RETRY_DELAYS);
4. while they deliver, for FAULTY_FOR seconds: one worker is killed with SIGKILL in the
   middle of a batch and replaced; then the server is slow (5 s a message) for 15 s,
   then its port is closed for 20 s, then it is healthy; every invite is refreshed
   once (in calls of 100) through the faulty and the slow phases; on RQ, Redis
   is killed and restarted mid-delivery (no persistence: every queued job is lost);
5. once it is healthy, `send_invite_emails --stale-after 0s` runs once, beside the
   running workers (links in backoff included), and the workers drain the queue (but
   for the killed worker's task);
7. it counts, per invite, the emails the server accepted with its current link,
   second copies, links dead when built, and `sent_at` / `delivery_status`; it fails
   unless: 0 lost, 0 dead when built, second copies only in the killed worker's
   batch, every `delivery_status` `sent`, and no raw token in the task storage.

The engine (`scripts/fault_engines.py`) starts, kills and waits for the workers. The
database of E2E_DATABASE_URL is DROPPED first: never point it at data you want to keep.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.e2e_worker import fail, link_token, log, manage, recreate_database  # noqa: E402
from scripts.fault_engines import ENGINES, Engine  # noqa: E402
from scripts.fault_smtpd import FAULTY, SLOW, FaultServer  # noqa: E402

INVITES = int(os.environ.get("E2E_INVITES", "2000"))
WORKERS = 2
DATABASE_URL = os.environ.get(
    "E2E_DATABASE_URL", "postgres://invites:invites@127.0.0.1:5432/invites_smtp_faults"
)
SMTP_PORT = int(os.environ.get("E2E_SMTP_PORT", "8141"))
RETRY_DELAYS = os.environ.get("E2E_RETRY_DELAYS", "2,4,8")
# The cooldown also keeps a link queued twice (a retry, and the recovery's task) from
# going out twice while the first copy is on its way.
COOLDOWN = os.environ.get("E2E_COOLDOWN", "10")
REFRESH_CALL = 100
FAULTY_FOR, SLOW_FOR, DOWN_FOR = 12.0, 15.0, 20.0
# The refreshes spread over the faulty and the slow phases.
REFRESH_OVER = FAULTY_FOR + SLOW_FOR - 3
SITE_URL = "https://e2e.example.com"


def base_env(work_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "scripts.smtp_faults_settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": DATABASE_URL,
        "EMAIL_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
        "EMAIL_TIMEOUT": "10",  # above the slow server's 5 s: slow is not failed
        "SECRET_KEY": "e2e-secret-key-only-for-this-run-0123456789abcdef",
        "DEBUG": "false",
        "SITE_URL": SITE_URL,
        "ALLOWED_HOSTS": "127.0.0.1",
        "INVITE_EMAIL_COOLDOWN": COOLDOWN,
        "E2E_RETRY_DELAYS": RETRY_DELAYS,
        "INVITES_LOG_LEVEL": "INFO",
        "E2E_WORK_DIR": str(work_dir),
    }


@dataclass
class Refreshes:
    """The refreshes made during delivery: each invite's new token and commit time."""

    tokens: dict[str, str] = field(default_factory=dict)
    committed: dict[str, float] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def receive(self, sender: Any, *, invite: Any, **kwargs: Any) -> None:
        # `invite_resent` is sent right after the refresh commits.
        self.committed[str(invite.pk)] = time.time()


def refresh_all(ids: list[str], refreshes: Refreshes) -> None:
    """Refresh every invite once, in shuffled calls, while the workers deliver."""
    from django.db import connection

    from invites import services

    order = ids[:]
    random.shuffle(order)
    calls = range(0, len(order), REFRESH_CALL)
    started = time.monotonic()
    try:
        for number, start in enumerate(calls):
            for invite in services.refresh_invite_tokens(order[start : start + REFRESH_CALL]):
                refreshes.tokens[str(invite.pk)] = invite.token
            due = started + REFRESH_OVER * (number + 1) / len(calls)
            time.sleep(max(0.0, due - time.monotonic()))
    except BaseException as error:  # reported by the main thread
        refreshes.error = error
    finally:
        connection.close()
        refreshes.done.set()


def run_faults(server: FaultServer, killed: threading.Event) -> None:
    """Faulty for FAULTY_FOR s and until the kill, then slow, then down, then healthy."""
    time.sleep(FAULTY_FOR)
    killed.wait(timeout=120)
    log(f"server faulty so far: {server.counts}; now slow ({server.slow_seconds:.0f} s/message)")
    server.mode = SLOW
    time.sleep(SLOW_FOR)
    log(f"server closes its port for {DOWN_FOR:.0f} s")
    server.down()
    time.sleep(DOWN_FOR)
    server.up()
    log("server healthy again")


@dataclass
class Email:
    to: str
    token: str
    built_at: float


def parse(content: bytes) -> Email:
    import re

    message = message_from_bytes(content)
    [built_at] = re.findall(r"\[built\s+([0-9.]+)\]", str(message["Subject"]))
    return Email(str(message["To"]), link_token(message), float(built_at))


def check(
    server: FaultServer, created: dict[str, str], refreshes: Refreshes, killed_ids: set[str]
) -> None:
    from invites.models import Invite
    from invites.tokens import hash_token

    emails = [parse(content) for content in server.accepted]
    stored = {
        str(pk): (email, digest, sent_at, status)
        for pk, email, digest, sent_at, status in Invite.objects.values_list(
            "pk", "email", "token_hash", "sent_at", "delivery_status"
        )
    }
    by_email = {row[0]: pk for pk, row in stored.items()}
    current: Counter[str] = Counter()
    superseded_in_flight = 0
    dead_when_built: list[str] = []
    for email in emails:
        pk = by_email[email.to]
        if hash_token(email.token) == stored[pk][1]:
            current[pk] += 1
        elif email.token == created[pk] and email.built_at <= refreshes.committed[pk]:
            superseded_in_flight += 1  # built before the refresh revoked it: fine
        else:
            dead_when_built.append(pk)

    lost = [pk for pk in stored if current[pk] == 0]
    doubled = {pk: n for pk, n in current.items() if n > 1}
    unsent = [pk for pk, row in stored.items() if row[2] is None]
    not_sent_status = Counter(row[3] for row in stored.values() if row[3] != "sent")
    log(
        f"the server accepted {len(emails)} emails for {len(stored)} invites: "
        f"{sum(current.values())} with their invite's current link, {superseded_in_flight} "
        f"with the old link built before its refresh committed, {len(dead_when_built)} "
        f"with a link dead when built"
    )
    log(
        f"lost: {len(lost)}; second copies: {sum(n - 1 for n in doubled.values())} "
        f"(all in the killed worker's batch of {len(killed_ids)}: {set(doubled) <= killed_ids}); "
        f"sent_at unset: {len(unsent)}; delivery_status other than sent: {dict(not_sent_status)}"
    )
    if lost:
        fail(f"{len(lost)} invites never got an email with their current link, e.g. {lost[:3]}")
    if dead_when_built:
        fail(f"{len(dead_when_built)} emails carry a link dead when built: {dead_when_built[:3]}")
    if not set(doubled) <= killed_ids or any(n > 2 for n in doubled.values()):
        outside = sorted(set(doubled) - killed_ids)
        fail(f"second copies outside the killed worker's batch: {outside[:5]}")
    if unsent:
        fail(f"{len(unsent)} invites have no sent_at, e.g. {unsent[:3]}")
    if not_sent_status:
        fail(f"delivery_status is not 'sent' everywhere: {dict(not_sent_status)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=sorted(ENGINES), default="database")
    args = parser.parse_args()

    work_dir = Path(tempfile.mkdtemp(prefix="invites-smtp-faults-"))
    env = base_env(work_dir)
    engine: Engine = ENGINES[args.engine](work_dir, env)
    env.update(engine.env())
    log(
        f"engine {args.engine}, database {urlsplit(DATABASE_URL).path.lstrip('/')}, "
        f"{INVITES} invites, {WORKERS} workers, SMTP on 127.0.0.1:{SMTP_PORT}, retry delays "
        f"{RETRY_DELAYS} s, cooldown {COOLDOWN} s, files in {work_dir}"
    )
    recreate_database()
    manage(env, "migrate", "--noinput", "-v", "0")

    os.environ.update(env)
    import django

    django.setup()
    from invites import services
    from invites.signals import invite_resent

    server = FaultServer(SMTP_PORT)
    server.start()
    engine.setup()
    try:
        queued_since = datetime.now(UTC)
        invites = services.create_invites([f"e2e{n:05d}@example.com" for n in range(INVITES)])
        created = {str(invite.pk): invite.token for invite in invites}
        log(f"created {len(created)} invites, their emails queued; server {FAULTY}")

        refreshes = Refreshes()
        invite_resent.connect(refreshes.receive, dispatch_uid="smtp_faults.refreshes")
        workers = [engine.start_worker(number) for number in range(WORKERS)]
        killed = threading.Event()
        killed_task: dict[str, Any] = {}

        def kill_one() -> None:
            killed_task.update(engine.kill_mid_batch(workers[0], 0, queued_since))
            workers[0] = engine.start_worker(WORKERS)  # its replacement
            disrupted = engine.disrupt()  # on RQ: Redis restarted, its jobs lost
            if disrupted:
                log(disrupted)
            killed.set()

        threads = [
            threading.Thread(target=refresh_all, args=(list(created), refreshes)),
            threading.Thread(target=kill_one),
            threading.Thread(target=run_faults, args=(server, killed)),
        ]
        for thread in threads:
            thread.start()
        threads[1].join()
        if not killed_task:
            fail("no worker was killed in the middle of a batch")
        log(f"killed a worker in a batch of {len(killed_task['ids'])}; replacement started")
        threads[0].join()
        if refreshes.error is not None:
            fail(f"a refresh failed: {refreshes.error!r}")
        log(f"refreshed all {len(refreshes.tokens)} invites during delivery")
        threads[2].join()

        log(f"status after the faults:\n{manage(env, 'send_invite_emails', '--status')}")
        out = manage(env, "send_invite_emails", "--stale-after", "0s")
        log(f"send_invite_emails --stale-after 0s: {out.strip()}")
        engine.wait_for_queue(workers, allow_running=killed_task["running"])
        engine.stop(workers)
        status = manage(env, "send_invite_emails", "--status")
        log(f"drained; server: {server.counts}; status:\n{status}")

        check(server, created, refreshes, set(killed_task["ids"]))
        leaked = engine.leaked_tokens([*created.values(), *refreshes.tokens.values()])
        if leaked:
            fail(f"{leaked} raw tokens are stored by the task engine")
    finally:
        server.stop()
        engine.teardown()
    shutil.rmtree(work_dir)  # kept when a check fails, for a look at the logs
    log("PASSED")


if __name__ == "__main__":
    main()
