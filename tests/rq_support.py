"""Real Redis and real `rqworker` processes for the tests of the RQ task queue.

The tests skip when django-tasks-rq (the `[rq]` extra) or the `redis-server` binary is
missing, and fail instead when `INVITES_REQUIRE_RQ=1`, or under `CI=true` unless
`INVITES_REQUIRE_RQ=0` says this run goes without it (the version matrix's sessions
that do not install the extra).

Each test gets its own `redis-server` on 127.0.0.1, without persistence (a restart
loses every queued task, the worst case the app must survive), on
`INVITES_TEST_REDIS_PORT` or else a free port.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
RQ_TASKS_BACKEND = "django_tasks_rq.RQBackend"
WORKER_COMMAND = [
    "manage.py",
    "rqworker",
    "default",
    "--job-class",
    "django_tasks_rq.Job",
    "--with-scheduler",
]


def missing_rq_reason() -> str | None:
    """Why the RQ tests cannot run here, or None."""
    if importlib.util.find_spec("django_tasks_rq") is None:
        return "django-tasks-rq is not installed (pip install -r requirements-rq.txt)"
    if not os.access(REDIS_SERVER, os.X_OK):
        return "redis-server not found (apt-get install redis-server)"
    return None


def rq_required() -> bool:
    """Whether a missing RQ is a failure rather than a skip."""
    required = os.environ.get("INVITES_REQUIRE_RQ")
    if required is not None:
        return required == "1"
    return os.environ.get("CI") == "true"


def require_rq() -> None:
    """Skip the calling test without RQ, or fail it where RQ must be there."""
    reason = missing_rq_reason()
    if reason:
        if rq_required():
            pytest.fail(f"RQ is required in this run but {reason}")
        pytest.skip(f"RQ tests skipped: {reason}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A `redis-server` process of the test's own, which it can stop and start again."""

    def __init__(self, port: int, workdir: Path) -> None:
        self.port = port
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (the system's redis-server)
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        """SIGKILL, as a crash would: whatever the server held is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url)


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A fresh, empty redis-server for this test, stopped at its end."""
    require_rq()
    port = int(os.environ.get("INVITES_TEST_REDIS_PORT") or free_port())
    server = RedisServer(port, tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def rq_tasks(settings: Any, redis_server: RedisServer) -> Any:
    """django-tasks-rq's backend on this test's Redis: tasks are RQ jobs, run by rqworker."""
    from invites.tasks_compat import task_backends

    settings.RQ_QUEUES = {"default": {"URL": redis_server.url}}
    settings.TASKS = {"default": {"BACKEND": RQ_TASKS_BACKEND, "QUEUES": ["default"]}}
    return task_backends["default"]


def database_url() -> str:
    """The test database, as the demo's DATABASE_URL for a worker process."""
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def demo_env(redis_url: str, mail_dir: Path, **variables: str) -> dict[str, str]:
    """The environment of a demo-project process on this test's database and Redis."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "inviteproject.settings",
        "ENV_FILE": str(ROOT / "no-such.env"),
        "DATABASE_URL": database_url(),
        "TASKS_BACKEND": "rq",
        "REDIS_URL": redis_url,
        "EMAIL_URL": f"filemail:///{mail_dir}",
        "SECRET_KEY": settings.SECRET_KEY,
        "SITE_URL": settings.SITE_URL,
        "DEBUG": "false",
        "INVITE_EMAIL_COOLDOWN": "0",
        "INVITES_LOG_LEVEL": "WARNING",
        **variables,
    }


def start_worker(
    redis_url: str, mail_dir: Path, log: Path, **variables: str
) -> subprocess.Popen[bytes]:
    """`manage.py rqworker default --job-class django_tasks_rq.Job --with-scheduler`."""
    return subprocess.Popen(  # noqa: S603 (our own manage.py)
        [sys.executable, *WORKER_COMMAND],
        cwd=ROOT,
        env=demo_env(redis_url, mail_dir, **variables),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def work_horses(pid: int) -> list[int]:
    """The work horses of worker `pid`: RQ forks one per job, in a process group of its own.

    Its other child, the scheduler process of `--with-scheduler`, stays in the worker's.
    """
    horses = []
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            with contextlib.suppress(OSError):
                # /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces.
                fields = Path(f"/proc/{child}/stat").read_text().rpartition(")")[2].split()
                if int(fields[2]) == int(child):
                    horses.append(int(child))
    return horses


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


class Workers:
    """`rqworker` processes under a supervisor's rule: one that exits is started again.

    An rqworker exits when it loses Redis in the middle of a job (RQ's own behaviour), so
    a deployment runs it under systemd or the like; this plays that part. The work
    horses seen are remembered: one whose worker died runs on, orphaned, until it ends.
    """

    def __init__(self, redis_url: str, mail_dir: Path, log_dir: Path, **variables: str) -> None:
        self.redis_url = redis_url
        self.mail_dir = mail_dir
        self.log_dir = log_dir
        self.variables = variables
        self.processes: list[subprocess.Popen[bytes]] = []
        self.horses: set[int] = set()
        self.started = 0

    def start(self, count: int = 1) -> None:
        for _ in range(count):
            self.processes.append(self._spawn())

    def _spawn(self) -> subprocess.Popen[bytes]:
        self.started += 1
        log = self.log_dir / f"worker{self.started}.log"
        return start_worker(self.redis_url, self.mail_dir, log, **self.variables)

    def supervise(self) -> None:
        """Restart the workers that exited; note their work horses."""
        for index, process in enumerate(self.processes):
            if process.poll() is not None:
                self.processes[index] = self._spawn()
            self.horses.update(work_horses(self.processes[index].pid))

    def busy(self) -> bool:
        """Whether a work horse (of a live worker or an orphaned one) is still running.

        Only the horses noted by `supervise()` count: call it first.
        """
        self.horses = {pid for pid in self.horses if alive(pid)}
        return bool(self.horses)

    def kill(self, index: int) -> None:
        """SIGKILL one worker and the work horse running its job, as a machine failure would."""
        process = self.processes.pop(index)
        horses = work_horses(process.pid)
        process.send_signal(signal.SIGKILL)
        for horse in horses:
            with contextlib.suppress(ProcessLookupError):
                os.kill(horse, signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        while self.processes:
            self.kill(0)
