"""Benchmark of invite email delivery on PostgreSQL, on the database queue or on Redis + RQ.

Run with `make bench` (when `BENCH_PG_URL` answers; RQ too when django-tasks-rq and
redis-server are installed), or directly:
`DATABASE_URL=postgres://... .venv/bin/python benchmarks/bench_delivery.py [--engine rq]`.

1. Queueing cost: `refresh_invite_tokens` over N invites (10,000 and 100,000) with the
   built-in emails off, against the same refresh with the emails queued (one task per
   batch): on django-tasks-db's backend, written in the refresh's transaction
   (`--engine database`, the default), or on django-tasks-rq's, pushed to Redis right
   after its commit (`--engine rq`). Interleaved run by run; medians of --runs runs.
2. Drain rate: 10,000 queued emails delivered by 2 real worker processes (`manage.py
   db_worker`, or `manage.py rqworker default --job-class django_tasks_rq.Job
   --with-scheduler`; locmem email backend), against a bound measured in the same run:
   the same emails loaded, rendered and sent by this one process with no queue, over
   one connection.

It works on a throw-away database named after DATABASE_URL's with `_delivery_bench`
appended (dropped and re-created); with `--engine rq`, on a throw-away redis-server of
its own (no persistence) on BENCH_REDIS_PORT or a free port.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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

from inviteproject.redis import rq_queue_config  # noqa: E402
from invites import services, tokens  # noqa: E402
from invites.emails import build_invite_message, open_mail_connection  # noqa: E402
from invites.models import Invite  # noqa: E402

EMAILS_OFF = {"INVITES": {"SEND_EMAILS": False}}
SITE_URL = "https://bench.example.com"


class DatabaseEngine:
    """django-tasks-db: tasks are rows of this database, run by `db_worker`."""

    name = "database"
    label = "database backend"
    worker = "db_worker"

    def queued_settings(self) -> dict[str, Any]:
        tasks = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        return {"INVITES": {"SEND_EMAILS": True}, "TASKS": tasks}

    def clear(self) -> None:
        DBTaskResult.objects.all().delete()

    def task_count(self) -> int:
        return int(DBTaskResult.objects.count())

    def pending(self) -> bool:
        return bool(DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists())

    def worker_command(self, number: int) -> list[str]:
        return [
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.05",
            "--worker-id",
            f"bench-{number}",
        ]

    def worker_env(self) -> dict[str, str]:
        return {"TASKS_BACKEND": "database"}

    started_marker = "Starting worker"


class RQEngine:
    """django-tasks-rq: tasks are RQ jobs in a redis-server, run by `rqworker`."""

    name = "rq"
    label = "RQ backend"
    worker = "rqworker"
    started_marker = "Listening on"

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url

    def queued_settings(self) -> dict[str, Any]:
        tasks = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
        return {
            "INVITES": {"SEND_EMAILS": True},
            "TASKS": tasks,
            # As the demo configures it (one connection pool per process).
            "RQ_QUEUES": {"default": rq_queue_config(self.redis_url)},
        }

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.redis_url)

    def queue(self) -> Any:
        from django_tasks_rq import Job
        from rq import Queue

        return Queue("default", connection=self.client(), job_class=Job)

    def clear(self) -> None:
        self.client().flushdb()

    def task_count(self) -> int:
        return len(self.queue())

    def pending(self) -> bool:
        queue = self.queue()
        return bool(len(queue) or len(queue.started_job_registry))

    def worker_command(self, number: int) -> list[str]:
        return [
            "rqworker",
            "default",
            "--job-class",
            "django_tasks_rq.Job",
            "--with-scheduler",
            "--name",
            f"bench-{number}",
        ]

    def worker_env(self) -> dict[str, str]:
        return {"TASKS_BACKEND": "rq", "REDIS_URL": self.redis_url}


Engine = DatabaseEngine | RQEngine


def seed(count: int, engine: Engine) -> list[Any]:
    """`count` pending invites, never emailed, and an empty task queue."""
    engine.clear()
    return seed_invites(count)


def timed(fn: Any) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


# --- 1. queueing cost ---------------------------------------------------------------


def bench_refresh(n: int, runs: int, engine: Engine) -> tuple[float, float, int]:
    """(median seconds emails off, median seconds emails queued, tasks per refresh)."""
    ids = seed(n, engine)
    times: dict[str, list[float]] = {"off": [], "queued": []}
    tasks = 0
    for _run in range(runs):
        for label, overrides in (("off", EMAILS_OFF), ("queued", engine.queued_settings())):
            engine.clear()
            vacuum()
            with override_settings(**overrides):
                times[label].append(timed(lambda: services.refresh_invite_tokens(ids)))
            if label == "queued":
                tasks = engine.task_count()
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


def worker_env(engine: Engine) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "inviteproject.settings",
        "ENV_FILE": str(ROOT / "no-such.env"),
        "DATABASE_URL": database_url(),
        **engine.worker_env(),
        "EMAIL_URL": "memorymail://",
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "false",
        "SITE_URL": settings.SITE_URL,
        "INVITES_LOG_LEVEL": "WARNING",
    }


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def drain(ids: list[Any], workers: int, engine: Engine) -> float:
    """Emails per second that `workers` worker processes deliver from a full queue."""
    Invite.objects.update(sent_at=None, last_emailed_at=None)
    engine.clear()
    log_dir = Path(tempfile.mkdtemp(prefix="invites-bench-"))
    processes = [
        subprocess.Popen(  # noqa: S603 (our own manage.py)
            [sys.executable, "manage.py", *engine.worker_command(number)],
            cwd=ROOT,
            env=worker_env(engine),
            stdout=open(log_dir / f"worker{number}.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        for number in range(workers)
    ]
    try:
        deadline = time.monotonic() + 60
        while not all(
            engine.started_marker in (log_dir / f"worker{n}.log").read_text()
            for n in range(workers)
        ):
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise SystemExit(f"workers did not start; logs in {log_dir}")
            time.sleep(0.05)
        with override_settings(**engine.queued_settings()):
            # Every task at once: in its commit (database), or right after it (RQ).
            services.refresh_invite_tokens(ids)
        start = time.perf_counter()
        while engine.pending() or sent_count() < len(ids):
            if any(p.poll() is not None for p in processes):
                raise SystemExit(f"a worker died; logs in {log_dir}")
            time.sleep(0.02)
        took = time.perf_counter() - start
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    sent = sent_count()
    if sent != len(ids):
        raise SystemExit(f"only {sent} of {len(ids)} emails were sent; logs in {log_dir}")
    return len(ids) / took


def sent_count() -> int:
    return int(Invite.objects.filter(sent_at__isnull=False).count())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def redis_server() -> Iterator[str]:
    """A throw-away redis-server on 127.0.0.1 without persistence; its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("--engine rq needs redis-server (apt-get install redis-server)")
    port = int(os.environ.get("BENCH_REDIS_PORT") or free_port())
    workdir = tempfile.mkdtemp(prefix="invites-bench-redis-")
    process = subprocess.Popen(  # noqa: S603 (the system's redis-server)
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"redis-server did not start on port {port}") from None
                time.sleep(0.05)
        yield url
    finally:
        process.kill()
        process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--engine", choices=["database", "rq"], default="database")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("bench_delivery needs PostgreSQL: set DATABASE_URL=postgres://...")
    if args.engine == "rq":
        try:
            import django_tasks_rq  # noqa: F401
        except ImportError:
            raise SystemExit(
                "--engine rq needs django-tasks-rq: pip install -r requirements-rq.txt"
            ) from None
        with redis_server() as url:
            run(args, RQEngine(url))
    else:
        run(args, DatabaseEngine())


def run(args: argparse.Namespace, engine: Engine) -> None:
    """Both parts of the benchmark on one engine."""

    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        f"{connection.settings_dict['NAME']}_delivery_bench"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    major, minor = divmod(connection.pg_version, 10000)
    try:
        print(
            f"\n### Queueing the emails of a bulk refresh ({engine.label}), "
            f"PostgreSQL {major}.{minor}"
        )
        print(f"\nrefresh_invite_tokens, median of {args.runs} runs, interleaved:\n")
        print(f"| N | emails off | emails queued ({engine.label}) | queued / off | tasks |")
        print("|---:|---:|---:|---:|---:|")
        for n in args.sizes:
            off, queued, tasks = bench_refresh(n, args.runs, engine)
            print(f"| {n:,} | {fmt(off)} | {fmt(queued)} | {queued / off:.2f} | {tasks} |")

        ids = seed(args.emails, engine)
        print(f"\n### Delivering {args.emails:,} emails ({engine.label}, locmem email backend)\n")
        first = bound(ids)
        rate = drain(ids, args.workers, engine)
        second = bound(ids)
        best = max(first, second)
        print(
            f"- bound, one process, no queue (best of two, before and after): "
            f"{best:.0f} emails/s ({first:.0f}, {second:.0f})"
        )
        print(f"- {args.workers} {engine.worker} processes: {rate:.0f} emails/s")
        print(f"- workers / bound: {rate / best:.2f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
