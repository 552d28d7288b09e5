"""The task engines the SMTP fault test (scripts/smtp_faults.py) runs its workers on.

An engine starts a worker, kills one with SIGKILL in the middle of a batch, disrupts
itself once during delivery if it has something to disrupt, waits until its queue is
drained, stops workers, and says whether a raw token is in its storage. `database` is
django-tasks-db with `manage.py db_worker`; `rq` is django-tasks-rq (the `[rq]` extra)
with `manage.py rqworker`, on a redis-server of its own that it restarts mid-delivery.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import random
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scripts import e2e_worker


class Engine:
    """What the fault test needs of a task engine."""

    def __init__(self, work_dir: Path, env: dict[str, str]) -> None:
        self.work_dir = work_dir
        self.base_env = env

    def env(self) -> dict[str, str]:
        """Environment variables the demo needs for this engine (TASKS_BACKEND...)."""
        raise NotImplementedError

    def setup(self) -> None:
        """Start what the engine needs besides the database (a Redis server...)."""

    def teardown(self) -> None:
        """Stop what `setup` started."""

    def start_worker(self, number: int) -> subprocess.Popen[bytes]:
        raise NotImplementedError

    def disrupt(self) -> str | None:
        """A fault of the engine's own, in the middle of delivery; what it did, if anything."""
        return None

    def kill_mid_batch(
        self, worker: subprocess.Popen[bytes], number: int, queued_since: datetime
    ) -> dict[str, Any]:
        """SIGKILL `worker` while it sends a batch: `{"ids": [...], "running": {...}}`.

        `ids` are the invite ids of the killed batch; `running` the ids of tasks that
        stay "running" forever because of the kill (skipped by `wait_for_queue`).
        """
        raise NotImplementedError

    def wait_for_queue(
        self, workers: list[subprocess.Popen[bytes]], *, allow_running: set[str]
    ) -> None:
        """Until no task waits (delayed ones included) and none runs but `allow_running`."""
        raise NotImplementedError

    def stop(self, workers: list[subprocess.Popen[bytes]]) -> None:
        e2e_worker.stop(workers)

    def leaked_tokens(self, tokens: list[str]) -> int:
        """How many of `tokens` are stored by the engine (task arguments, results)."""
        raise NotImplementedError


class DatabaseEngine(Engine):
    """django-tasks-db: tasks are rows of the same PostgreSQL database."""

    def env(self) -> dict[str, str]:
        return {"TASKS_BACKEND": "database"}

    def start_worker(self, number: int) -> subprocess.Popen[bytes]:
        return e2e_worker.start_worker(self.work_dir, {**self.base_env, **self.env()}, number)

    def kill_mid_batch(
        self, worker: subprocess.Popen[bytes], number: int, queued_since: datetime
    ) -> dict[str, Any]:
        task = e2e_worker.kill_worker_mid_batch(worker, f"e2e-{number}", queued_since)
        ids = [item.split(":")[0] for item in task["args_kwargs"]["args"][0]]
        return {"ids": ids, "running": {str(task["id"])}}

    def wait_for_queue(
        self, workers: list[subprocess.Popen[bytes]], *, allow_running: set[str]
    ) -> None:
        e2e_worker.wait_for_queue(allow_running=allow_running, processes=workers)

    def leaked_tokens(self, tokens: list[str]) -> int:
        from django_tasks_db.models import DBTaskResult

        dump = json.dumps(list(DBTaskResult.objects.values()), default=str)
        return sum(token in dump for token in tokens)


class RqEngine(Engine):
    """django-tasks-rq on a redis-server of the test's own (no persistence), `rqworker`s.

    `disrupt` kills and restarts Redis: every queued and scheduled job (retries,
    cooldowns) is lost, and `send_invite_emails --stale-after 0s` must find them. An
    rqworker that loses Redis in the middle of a job exits (RQ's own behaviour), so a
    deployment runs it under systemd or the like: here a supervisor thread restarts any
    worker that exits without being killed or stopped on purpose.
    """

    def __init__(self, work_dir: Path, env: dict[str, str]) -> None:
        super().__init__(work_dir, env)
        from tests.rq_support import RedisServer, free_port

        port = int(os.environ.get("E2E_REDIS_PORT") or free_port())
        (work_dir / "redis").mkdir()
        self.redis = RedisServer(port, work_dir / "redis")
        self.live: dict[int, subprocess.Popen[bytes]] = {}
        self.horses: set[int] = set()
        self.restarts = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.supervisor = threading.Thread(target=self._supervise, daemon=True)

    def env(self) -> dict[str, str]:
        if importlib.util.find_spec("django_tasks_rq") is None:
            raise SystemExit(
                "--engine rq needs django-tasks-rq (pip install -r requirements-rq.txt)"
            )
        return {"TASKS_BACKEND": "rq", "REDIS_URL": self.redis.url}

    def setup(self) -> None:
        self.redis.start()
        self.supervisor.start()

    def teardown(self) -> None:
        self.stopping.set()
        self.supervisor.join()
        with self.lock:
            workers = list(self.live.values())
        self.stop(workers)
        self.redis.stop()

    def start_worker(self, number: int) -> subprocess.Popen[bytes]:
        with self.lock:
            return self._spawn(number)

    def _spawn(self, number: int) -> subprocess.Popen[bytes]:
        # A fresh name each start: Redis may still hold a killed worker's registration.
        name = f"e2e-{number}-{time.monotonic_ns()}"
        log = self.work_dir / f"worker{number}.log"
        offset = log.stat().st_size if log.exists() else 0
        worker = e2e_worker.start(
            self.work_dir,
            {**self.base_env, **self.env()},
            f"worker{number}",
            [
                e2e_worker.PYTHON,
                "manage.py",
                "rqworker",
                "default",
                "--job-class",
                "django_tasks_rq.Job",
                "--with-scheduler",
                "--name",
                name,
            ],
        )
        deadline = time.monotonic() + 60
        while "Listening on" not in log.read_bytes()[offset:].decode(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                e2e_worker.fail(f"worker {number} did not start:\n{log.read_text()}")
            time.sleep(0.1)
        worker.worker_name = name  # type: ignore[attr-defined]
        worker.worker_number = number  # type: ignore[attr-defined]
        self.live[number] = worker
        return worker

    def _supervise(self) -> None:
        from tests.rq_support import work_horses

        while not self.stopping.wait(0.05):
            with self.lock:
                for number, worker in list(self.live.items()):
                    if worker.poll() is not None and self.redis.answers():
                        e2e_worker.log(f"rqworker {number} exited ({worker.returncode}); restarted")
                        self.restarts += 1
                        worker = self._spawn(number)
                    self.horses.update(work_horses(worker.pid))

    def disrupt(self) -> str | None:
        time.sleep(random.uniform(0.5, 2))  # noqa: S311 (somewhere in the delivery)
        jobs = self._count_jobs()
        self.redis.restart()
        return f"Redis killed and restarted, losing {jobs} queued and scheduled jobs"

    def _count_jobs(self) -> int:
        from rq import Queue

        queue = Queue("default", connection=self.redis.client())
        return len(queue) + len(queue.scheduled_job_registry)

    def kill_mid_batch(
        self, worker: subprocess.Popen[bytes], number: int, queued_since: datetime
    ) -> dict[str, Any]:
        from django_tasks_rq import Job
        from rq import Worker

        from invites.models import Invite
        from tests.rq_support import work_horses

        connection = self.redis.client()
        key = Worker.redis_worker_namespace_prefix + worker.worker_name  # type: ignore[attr-defined]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            found = Worker.find_by_key(key, connection=connection)
            job_id = found.get_current_job_id() if found else None
            job = Job.fetch(job_id, connection=connection) if job_id else None
            if job is not None and job.started_at is not None:
                started = job.started_at
                if started.tzinfo is None:
                    started = started.replace(tzinfo=UTC)
                ids = [item.split(":")[0] for item in job.args[0]]
                claimed = Invite.objects.filter(pk=ids[0], last_emailed_at__gte=started)
                if started >= queued_since and claimed.exists():
                    # Building is done: the messages are going out.
                    time.sleep(random.uniform(0, 0.03))  # noqa: S311 (somewhere in the batch)
                    with self.lock:
                        del self.live[number]
                        horses = work_horses(worker.pid)
                        worker.send_signal(signal.SIGKILL)
                        for horse in horses:
                            with contextlib.suppress(ProcessLookupError):
                                os.kill(horse, signal.SIGKILL)
                        worker.wait()
                    if job.get_status(refresh=True) != "started":
                        e2e_worker.fail("the worker finished its batch before the kill; run again")
                    return {"ids": ids, "running": {job.id}}
            time.sleep(0.002)
        e2e_worker.fail(f"worker {number} never sent a batch")
        raise AssertionError  # unreachable

    def wait_for_queue(
        self, workers: list[subprocess.Popen[bytes]], *, allow_running: set[str]
    ) -> None:
        # Nothing queued or scheduled in Redis, and no work horse running (an orphaned
        # one included): ten polls in a row. The killed worker's job has no horse left.
        from tests.rq_support import alive

        deadline = time.monotonic() + e2e_worker.DRAIN_TIMEOUT
        calm = 0
        while calm < 10:
            if time.monotonic() > deadline:
                e2e_worker.fail(f"the queue did not drain within {e2e_worker.DRAIN_TIMEOUT:.0f} s")
            with self.lock:
                self.horses = {pid for pid in self.horses if alive(pid)}
                busy = bool(self.horses)
            try:
                busy = busy or self._count_jobs() > 0
            except Exception:  # Redis not answering: not drained
                busy = True
            calm = 0 if busy else calm + 1
            time.sleep(0.25)

    def stop(self, workers: list[subprocess.Popen[bytes]]) -> None:
        with self.lock:
            current = []
            for worker in workers:
                number = getattr(worker, "worker_number", None)
                current.append(self.live.pop(number, worker) if number is not None else worker)
        e2e_worker.stop(current)

    def leaked_tokens(self, tokens: list[str]) -> int:
        from django_tasks_rq import Job
        from rq.exceptions import NoSuchJobError

        connection = self.redis.client()
        stored = []
        for key in connection.scan_iter():
            name = key.decode()
            kind = connection.type(key).decode()
            if name.startswith("rq:job:") and kind == "hash":
                # Job data is compressed: read it back through RQ.
                with contextlib.suppress(NoSuchJobError):
                    job = Job.fetch(name.removeprefix("rq:job:"), connection=connection)
                    stored.append(repr((job.args, job.kwargs, job.meta, job.return_value())))
            stored.append(repr(self._raw(connection, key, kind)))
        dump = "\n".join(stored)
        return sum(token in dump for token in tokens)

    @staticmethod
    def _raw(connection: Any, key: bytes, kind: str) -> Any:
        readers = {
            "string": lambda: connection.get(key),
            "hash": lambda: connection.hgetall(key),
            "list": lambda: connection.lrange(key, 0, -1),
            "set": lambda: connection.smembers(key),
            "zset": lambda: connection.zrange(key, 0, -1),
            "stream": lambda: connection.xrange(key),
        }
        return readers.get(kind, lambda: None)()


ENGINES: dict[str, type[Engine]] = {"database": DatabaseEngine, "rq": RqEngine}
