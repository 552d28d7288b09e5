"""Benchmark of invite email delivery on PostgreSQL with the database task queue.

Run with `make bench` (when `BENCH_PG_URL` answers), or directly:
`DATABASE_URL=postgres://... .venv/bin/python benchmarks/bench_delivery.py`.

1. Queueing cost: `refresh_invite_tokens` over N invites (10,000 and 100,000) with the
   built-in emails off, against the same refresh with the emails queued on
   django-tasks-db's backend (one task per batch, written in the refresh's
   transaction). Interleaved run by run; medians of --runs runs.
2. Drain rate: 10,000 queued emails delivered by 2 real `manage.py db_worker` processes
   (locmem email backend), against a bound measured in the same run: the same emails
   loaded, rendered and sent by this one process with no queue, over one connection.

It works on a throw-away database named after DATABASE_URL's with `_delivery_bench`
appended (dropped and re-created).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from common import seed as seed_invites  # noqa: E402
from common import vacuum  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core import mail  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from invites import services, tokens  # noqa: E402
from invites.emails import build_invite_message, open_mail_connection  # noqa: E402
from invites.models import Invite  # noqa: E402

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
EMAILS_OFF = {"INVITES": {"SEND_EMAILS": False}}
EMAILS_QUEUED = {"INVITES": {"SEND_EMAILS": True}, "TASKS": DATABASE_TASKS}
SITE_URL = "https://bench.example.com"


def seed(count: int) -> list[Any]:
    """`count` pending invites, never emailed, and an empty task queue."""
    DBTaskResult.objects.all().delete()
    return seed_invites(count)


def timed(fn: Any) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


# --- 1. queueing cost ---------------------------------------------------------------


def bench_refresh(n: int, runs: int) -> tuple[float, float, int]:
    """(median seconds emails off, median seconds emails queued, tasks per refresh)."""
    ids = seed(n)
    times: dict[str, list[float]] = {"off": [], "queued": []}
    tasks = 0
    for _run in range(runs):
        for label, overrides in (("off", EMAILS_OFF), ("queued", EMAILS_QUEUED)):
            DBTaskResult.objects.all().delete()
            vacuum()
            with override_settings(**overrides):
                times[label].append(timed(lambda: services.refresh_invite_tokens(ids)))
            if label == "queued":
                tasks = DBTaskResult.objects.count()
    return statistics.median(times["off"]), statistics.median(times["queued"]), tasks


# --- 2. drain rate ------------------------------------------------------------------


def bound(ids: list[Any]) -> float:
    """Emails per second: load, rebuild each token, render and send, one process."""
    mail.outbox = []
    start = time.perf_counter()
    invites = list(Invite.objects.filter(pk__in=ids).select_related("invited_by"))
    connection_ = open_mail_connection()
    with connection_:
        for invite in invites:
            token = tokens.rebuild_token(invite)
            assert token is not None
            connection_.send_messages([build_invite_message(invite, token, kind="resent")])
    took = time.perf_counter() - start
    assert len(mail.outbox) == len(ids)
    mail.outbox = []
    return len(ids) / took


def worker_env() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "inviteproject.settings",
        "DATABASE_URL": database_url(),
        "TASKS_BACKEND": "database",
        "EMAIL_URL": "memorymail://",
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "false",
        "SITE_URL": settings.SITE_URL,
        "INVITES_LOG_LEVEL": "WARNING",
    }


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def drain(ids: list[Any], workers: int) -> float:
    """Emails per second that `workers` db_worker processes deliver from a full queue."""
    Invite.objects.update(sent_at=None, last_emailed_at=None)
    DBTaskResult.objects.all().delete()
    log_dir = Path(tempfile.mkdtemp(prefix="invites-bench-"))
    processes = [
        subprocess.Popen(  # noqa: S603 (our own manage.py)
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--no-reload",
                "--no-startup-delay",
                "--interval",
                "0.05",
                "--worker-id",
                f"bench-{number}",
            ],
            cwd=ROOT,
            env=worker_env(),
            stdout=open(log_dir / f"worker{number}.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        for number in range(workers)
    ]
    try:
        deadline = time.monotonic() + 60
        while not all(
            "Starting worker" in (log_dir / f"worker{n}.log").read_text() for n in range(workers)
        ):
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise SystemExit(f"workers did not start; logs in {log_dir}")
            time.sleep(0.05)
        with override_settings(**EMAILS_QUEUED):
            services.refresh_invite_tokens(ids)  # commits every task at once
        start = time.perf_counter()
        while DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists():
            if any(p.poll() is not None for p in processes):
                raise SystemExit(f"a worker died; logs in {log_dir}")
            time.sleep(0.02)
        took = time.perf_counter() - start
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    sent = Invite.objects.filter(sent_at__isnull=False).count()
    if sent != len(ids):
        raise SystemExit(f"only {sent} of {len(ids)} emails were sent; logs in {log_dir}")
    return len(ids) / took


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("bench_delivery needs PostgreSQL: set DATABASE_URL=postgres://...")

    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        f"{connection.settings_dict['NAME']}_delivery_bench"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    major, minor = divmod(connection.pg_version, 10000)
    try:
        print(f"\n### Queueing the emails of a bulk refresh, PostgreSQL {major}.{minor}")
        print(f"\nrefresh_invite_tokens, median of {args.runs} runs, interleaved:\n")
        print("| N | emails off | emails queued (database backend) | queued / off | tasks |")
        print("|---:|---:|---:|---:|---:|")
        for n in args.sizes:
            off, queued, tasks = bench_refresh(n, args.runs)
            print(f"| {n:,} | {fmt(off)} | {fmt(queued)} | {queued / off:.2f} | {tasks} |")

        ids = seed(args.emails)
        print(f"\n### Delivering {args.emails:,} emails (locmem backend)\n")
        first = bound(ids)
        rate = drain(ids, args.workers)
        second = bound(ids)
        best = max(first, second)
        print(
            f"- bound, one process, no queue (best of two, before and after): "
            f"{best:.0f} emails/s ({first:.0f}, {second:.0f})"
        )
        print(f"- {args.workers} db_worker processes: {rate:.0f} emails/s")
        print(f"- workers / bound: {rate / best:.2f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
