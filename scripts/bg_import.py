"""100,000 rows imported through the admin in Chromium, behind gunicorn, by a db_worker
that is killed mid-job and started again.

1. A fresh database (BG_DATABASE_URL, PostgreSQL: the progress is reported from inside
   the job's transaction through a connection of its own), the demo's settings with
   DEBUG off and the database task queue.
2. gunicorn with 2 workers and its default 30 s timeout; one `manage.py db_worker`.
3. Chromium (playwright, /usr/bin/chromium) signs in, uploads a 100,000-row CSV file,
   previews it and confirms: the confirm answers at once with the progress page.
4. Once the page's progress bar has moved, the worker is killed (SIGKILL), mid-job;
   a new worker is started. The page keeps polling, which queues the abandoned job
   again once its heartbeat is stale, and ends with "100000 invites were created."
5. The database holds exactly 100,000 invites, and exactly one queued batch set of
   emails: 500 delivery tasks of 200 invites, every invite in exactly one.

Usage: BG_DATABASE_URL=postgres://... .venv/bin/python scripts/bg_import.py
(env: BG_PORT, default 8270). Exits non-zero on the first failed expectation.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
PORT = int(os.environ.get("BG_PORT", "8270"))
BASE = f"http://127.0.0.1:{PORT}"
ROWS = 100_000
PASSWORD = "bg-import-Passw0rd!"  # noqa: S105 (a throw-away admin of a test database)
CHROMIUM = os.environ.get("INVITES_CHROMIUM", "/usr/bin/chromium")


def fail(message: str) -> None:
    print(f"bg_import: FAILED: {message}", file=sys.stderr)
    raise SystemExit(1)


def log(message: str) -> None:
    print(f"bg_import: {message}", flush=True)


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 (our own manage.py)
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        fail(f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def start(env: dict[str, str], logs: Path, name: str, args: list[str]) -> subprocess.Popen[bytes]:
    out = (logs / f"{name}.log").open("wb")
    return subprocess.Popen(  # noqa: S603 (our own commands)
        args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
    )


def start_worker(env: dict[str, str], logs: Path, number: int) -> subprocess.Popen[bytes]:
    args = [PYTHON, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"]
    worker = start(env, logs, f"worker{number}", [*args, "--interval", "0.2"])
    deadline = time.monotonic() + 60
    while "Starting worker" not in (logs / f"worker{number}.log").read_text():
        if worker.poll() is not None or time.monotonic() > deadline:
            fail(f"worker {number} did not start:\n{(logs / f'worker{number}.log').read_text()}")
        time.sleep(0.1)
    return worker


def make_csv(path: Path) -> None:
    lines = [
        "email,name,team",
        *(f"bg{i}@example.com,Person {i},team{i % 20}" for i in range(ROWS)),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def facts(env: dict[str, str]) -> list[str]:
    """Invites, delivery tasks, invites across those tasks (distinct), the job's attempts."""
    code = (
        "from collections import Counter\n"
        "from django_tasks_db.models import DBTaskResult\n"
        "from invites.models import AdminJob, Invite\n"
        "tasks = DBTaskResult.objects.filter(task_path__endswith='deliver_invite_emails')\n"
        "seen = Counter(i for t in tasks for i in t.args_kwargs['args'][0])\n"
        "job = AdminJob.objects.get()\n"
        "print(Invite.objects.count(), tasks.count(), len(seen), max(seen.values(), default=0),"
        " job.status, job.attempts)\n"
    )
    return manage(env, "shell", "-v", "0", "-c", code).split()


def main() -> None:
    database = os.environ.get("BG_DATABASE_URL")
    if not database or not database.startswith("postgres"):
        fail("set BG_DATABASE_URL to a PostgreSQL database of its own")
    work = Path(tempfile.mkdtemp(prefix="bg_import_"))
    logs = work / "logs"
    logs.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "scripts.bg_import_settings",
        "PYTHONPATH": str(ROOT),
        "DEBUG": "false",
        "SECRET_KEY": "bg-import-" + os.urandom(16).hex(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": BASE,
        "DATABASE_URL": database,
        "EMAIL_URL": f"filemail:///{work}/mail",
        "TASKS_BACKEND": "database",
    }
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "createcachetable")
    manage(
        env,
        "shell",
        "-v",
        "0",
        "-c",
        "from django.contrib.auth import get_user_model\n"
        f"get_user_model().objects.create_superuser('boss', 'boss@example.com', {PASSWORD!r})",
    )
    csv_path = work / "people.csv"
    make_csv(csv_path)
    processes: list[subprocess.Popen[bytes]] = []
    web = start(
        env,
        logs,
        "gunicorn",
        [
            PYTHON,
            "-m",
            "gunicorn",
            "-c",
            "inviteproject/gunicorn.conf.py",
            "inviteproject.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{PORT}",
        ],
    )
    processes.append(web)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{BASE}/admin/login/", timeout=5)  # noqa: S310
                break
            except OSError:
                time.sleep(0.25)
        else:
            fail("gunicorn did not answer within 30 s")
        worker = start_worker(env, logs, 1)
        processes.append(worker)
        run_browser(csv_path, env, logs, processes, worker)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    timed_out = "WORKER TIMEOUT" in (logs / "gunicorn.log").read_text()
    shutil.rmtree(work, ignore_errors=True)
    if timed_out:
        fail("a gunicorn worker timed out")
    log("passed")


def run_browser(
    csv_path: Path,
    env: dict[str, str],
    logs: Path,
    processes: list[subprocess.Popen[bytes]],
    worker: subprocess.Popen[bytes],
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        page = browser.new_page(locale="en-US")
        page.set_default_timeout(60_000)
        page.goto(f"{BASE}/admin/")
        page.get_by_label("Username").fill("boss")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{BASE}/admin/")
        page.goto(f"{BASE}/admin/invites/invite/import/")
        page.get_by_label("CSV file").set_input_files(str(csv_path))
        started = time.monotonic()
        page.get_by_role("button", name="Preview").click()
        page.get_by_text(f"{ROWS} invites to create.").wait_for()
        log(f"preview of {ROWS:,} rows: {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        page.get_by_role("button", name=f"Create {ROWS} invites").click()
        page.wait_for_url("**/admin/invites/invite/jobs/**")
        log(f"confirm answered with the progress page in {time.monotonic() - started:.1f} s")
        page.locator("#job-progress").wait_for()
        page.wait_for_function(
            "document.getElementById('job-progress').value > 0", polling=100, timeout=120_000
        )
        value = page.evaluate("document.getElementById('job-progress').value")
        log(f"progress visible: {value:,.0f} of {ROWS:,}; killing the worker (SIGKILL)")
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        invites_after_kill = facts(env)[0]
        if invites_after_kill != "0":
            fail(f"the killed job left {invites_after_kill} invites behind")
        processes.append(start_worker(env, logs, 2))
        page.get_by_text("Done.").wait_for(timeout=150_000)
        page.get_by_text(f"{ROWS} invites were created.").wait_for()
        log(f"the job ended, {time.monotonic() - started:.1f} s after the confirm")
        browser.close()
    invites, tasks, distinct, most, status, attempts = facts(env)
    log(
        f"invites {invites}, delivery tasks {tasks}, invites across them {distinct} "
        f"(at most {most} each), job {status} after {attempts} attempts"
    )
    expected = [str(ROWS), str(ROWS // 200), str(ROWS), "1", "done", "2"]
    if [invites, tasks, distinct, most, status, attempts] != expected:
        fail(f"expected {expected}")


if __name__ == "__main__":
    main()
