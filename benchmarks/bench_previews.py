"""Benchmark: four concurrent 60,000-row import previews against the demo under gunicorn
(2 sync workers, DEBUG off, the database cache), and how long another admin page waits.

A fifth client loads the admin's index every 100 ms while the four previews run; the
figure is its slowest answer. One large preview runs at a time (the others are refused
before their upload is read), so one of the two workers stays free for other pages.

Usage: BG_DATABASE_URL=postgres://... .venv/bin/python benchmarks/bench_previews.py
(a database of its own; env BG_PORT, default 8271).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PORT = int(os.environ.get("BG_PORT", "8271"))
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "bench-Passw0rd!"  # noqa: S105 (a throw-away admin of a test database)
ROWS = 60_000
BIND = f"127.0.0.1:{PORT}"


def session() -> requests.Session:
    client = requests.Session()
    page = client.get(f"{BASE}/admin/login/").text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    client.post(
        f"{BASE}/admin/login/",
        data={"csrfmiddlewaretoken": csrf, "username": "boss", "password": PASSWORD},
        headers={"Referer": f"{BASE}/admin/login/"},
    )
    return client


def preview(client: requests.Session, data: bytes, out: list[str]) -> None:
    page = client.get(f"{BASE}/admin/invites/invite/import/").text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    started = time.monotonic()
    answer = client.post(
        f"{BASE}/admin/invites/invite/import/",
        data={"csrfmiddlewaretoken": csrf},
        files={"file": ("people.csv", data)},
        headers={"Referer": f"{BASE}/admin/invites/invite/import/"},
    ).text
    verdict = "previewed" if f"{ROWS} invites to create." in answer else "refused (busy)"
    out.append(f"{verdict} in {time.monotonic() - started:.2f} s")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench_previews_"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "scripts.bg_import_settings",
        "PYTHONPATH": str(ROOT),
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + os.urandom(16).hex(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": BASE,
        "DATABASE_URL": os.environ["BG_DATABASE_URL"],
        "EMAIL_URL": f"filemail:///{work}/mail",
    }

    def manage(*args: str) -> None:
        subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603

    manage("migrate", "--noinput", "-v", "0")
    manage("createcachetable")
    manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.contrib.auth import get_user_model\n"
        "U = get_user_model()\n"
        "U.objects.filter(username='boss').delete()\n"
        f"U.objects.create_superuser('boss', 'boss@example.com', {PASSWORD!r})",
    )
    web = subprocess.Popen(  # noqa: S603 (our own command)
        [PYTHON, "-m", "gunicorn", "inviteproject.wsgi", "--workers", "2", "--bind", BIND],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(120):
            try:
                requests.get(f"{BASE}/admin/login/", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.25)
        lines = ["email,name,team", *(f"p{i}@example.com,P {i},t{i % 20}" for i in range(ROWS))]
        data = ("\n".join(lines) + "\n").encode()
        clients = [session() for _ in range(5)]
        results: list[str] = []
        threads = [
            threading.Thread(target=preview, args=(client, data, results)) for client in clients[:4]
        ]
        waits: list[float] = []
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            started = time.monotonic()
            clients[4].get(f"{BASE}/admin/")
            waits.append(time.monotonic() - started)
            time.sleep(0.1)
        for thread in threads:
            thread.join()
        print(f"previews: {'; '.join(sorted(results))}")
        print(
            f"other page, {len(waits)} loads during the previews: slowest {max(waits):.2f} s, "
            f"median {sorted(waits)[len(waits) // 2]:.2f} s"
        )
    finally:
        web.terminate()
        web.wait()
    sys.exit(0)


if __name__ == "__main__":
    main()
