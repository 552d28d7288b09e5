"""The task engines the SMTP fault test (scripts/smtp_faults.py) runs its workers on.

An engine starts a worker, kills one with SIGKILL in the middle of a batch, waits until
its queue is drained, stops workers, and says whether a raw token is in its storage.
`database` is django-tasks-db with `manage.py db_worker`; `rq` is filled in where the
`[rq]` extra is (django-tasks-rq, `manage.py rqworker`).
"""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
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
    """django-tasks-rq on a Redis server of the test's own, `manage.py rqworker` workers."""

    def env(self) -> dict[str, str]:
        raise SystemExit("--engine rq needs the RQ engine (django-tasks-rq), not on this branch")


ENGINES: dict[str, type[Engine]] = {"database": DatabaseEngine, "rq": RqEngine}
