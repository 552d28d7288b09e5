"""Benchmark of importing N invites from a CSV file: the command and the admin page.

Run with `make bench` (SQLite, then PostgreSQL when `BENCH_PG_URL` is reachable), or
directly: `DATABASE_URL=... .venv/bin/python benchmarks/bench_import.py [--sizes ...]`.

For each N, a generated CSV file (email, name, team; every row valid) is imported:
- command: `manage.py import_invites PATH` (`call_command`), read, judged, created;
- admin:   the "Import invites" page through Django's test client, as a browser does
           it: the upload (read, judged, preview page with the signed input), then the
           confirm request (read again, judged again, created).
Then the largest N once more in parts: reading, judging, `create_invites`.
Built-in emails are off (`SEND_EMAILS = False`): queueing the emails is the task
backend's cost, measured by `bench_refresh.py`'s "emails on" line. Times are one run
each on an emptied table; peak memory (tracemalloc, Python allocations) and query counts
come from a second, untimed run. It works on a throw-away database of its own.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

import re  # noqa: E402

from common import describe_database  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
)

from invites import imports, services  # noqa: E402
from invites.models import Invite  # noqa: E402

IMPORT = "/admin/invites/invite/import/"


def make_csv(n: int) -> bytes:
    lines = ["email,name,team"]
    lines += [
        f"person{i}.{i * 7919 % 100_003}@example.com,Person {i},team{i % 20}" for i in range(n)
    ]
    return ("\n".join(lines) + "\n").encode()


def empty() -> None:
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Invite._meta.db_table)
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "VACUUM")


# --- the two paths ----------------------------------------------------------------------


def by_command(path: str, n: int) -> dict[str, float]:
    out = io.StringIO()
    started = time.perf_counter()
    call_command("import_invites", path, stdout=out, stderr=io.StringIO())
    seconds = time.perf_counter() - started
    assert out.getvalue().strip() == f"Created {n} invites.", out.getvalue()
    return {"total": seconds}


def by_admin(data: bytes, n: int) -> dict[str, float]:
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    started = time.perf_counter()
    preview = client.post(IMPORT, {"file": SimpleUploadedFile("team.csv", data)})
    previewed = time.perf_counter()
    page = preview.content.decode()
    assert f"{n} invites to create." in page, page[-2000:]
    payload = re.search(r'name="payload" value="([^"]+)"', page)
    assert payload, "no confirm button"
    done = client.post(IMPORT, {"payload": payload.group(1), "_confirm": "1"})
    finished = time.perf_counter()
    assert done.status_code == 302, done.content[-2000:]
    assert Invite.objects.count() == n
    return {
        "preview": previewed - started,
        "confirm": finished - previewed,
        "total": finished - started,
        "payload": len(payload.group(1)),
    }


def phases(data: bytes) -> dict[str, float]:
    """The parts of one import, timed apart: read the file, judge the rows, create."""
    empty()
    started = time.perf_counter()
    rows = imports.read_csv(io.BytesIO(data))
    read = time.perf_counter()
    entries = [row.entry() for row in rows]
    checked = services.check_import(entries)
    judged = time.perf_counter()
    services.create_invites(checked.entries)
    created = time.perf_counter()
    return {"read": read - started, "check": judged - read, "create": created - judged}


def measure(run: Callable[[], dict[str, float]]) -> dict[str, float]:
    """Time one run; then count queries and peak memory in a second run."""
    empty()
    result = run()
    empty()
    tracemalloc.start()
    with CaptureQueriesContext(connection) as queries:
        run()
    result["peak"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    result["queries"] = len(queries)
    return result


# --- output -------------------------------------------------------------------------


def fmt_seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    args = parser.parse_args()

    setup_test_environment()
    # A database of its own (never the test suite's), and on SQLite a file, not memory.
    name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        str(Path(tempfile.gettempdir()) / "invites_import_bench.sqlite3")
        if connection.vendor == "sqlite"
        else f"{name}_import_bench"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        get_user_model().objects.create_superuser("bench", "bench@example.com", "x")
        with (
            override_settings(INVITES={"SEND_EMAILS": False}, ALLOWED_HOSTS=["testserver"]),
            tempfile.TemporaryDirectory() as folder,
        ):
            print(f"\n### Importing N invites from a CSV file, {describe_database()}\n")
            print(
                "| N | file | command | rows/s | queries | peak MiB "
                "| admin preview | admin confirm | rows/s | queries | peak MiB | signed input |"
            )
            print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            for n in args.sizes:
                data = make_csv(n)
                path = Path(folder) / f"import-{n}.csv"
                path.write_bytes(data)
                command = measure(lambda path=path, n=n: by_command(str(path), n))
                admin = measure(lambda data=data, n=n: by_admin(data, n))
                print(
                    f"| {n:,} | {len(data) / 2**20:.1f} MiB "
                    f"| {fmt_seconds(command['total'])} | {n / command['total']:,.0f} "
                    f"| {command['queries']:.0f} | {command['peak']:.0f} "
                    f"| {fmt_seconds(admin['preview'])} | {fmt_seconds(admin['confirm'])} "
                    f"| {n / admin['total']:,.0f} | {admin['queries']:.0f} "
                    f"| {admin['peak']:.0f} | {admin['payload'] / 2**20:.2f} MiB |",
                    flush=True,
                )
            n = max(args.sizes)
            parts = phases(make_csv(n))
            print(
                f"\nOne import of {n:,} rows in parts: read the file (`read_csv`) "
                f"{fmt_seconds(parts['read'])}, judge every row (`check_import`) "
                f"{fmt_seconds(parts['check'])}, `create_invites` (which checks again, "
                f"then inserts) {fmt_seconds(parts['create'])}."
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
