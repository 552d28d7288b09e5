"""The management commands at 100,000 and 1,000,000 invites: time and peak memory.

Run with `make bench` (PostgreSQL part), or directly:
`DATABASE_URL=postgres://... .venv/bin/python benchmarks/bench_commands.py [--sizes ...]`.

For each N the invite table is seeded with set-based SQL (`INSERT ... SELECT` over
`generate_series`, no Python loop) in the state each command works on, then the
command runs in a child process of its own, so that its peak resident memory
(`ru_maxrss`) is its own:

- `send_invite_emails --stale-after 0s`: N pending invites whose link was never sent,
  queued on django-tasks-db's database backend (one task per 200 emails);
- `refresh_invites --expired`: N expired invites, built-in emails off;
- `purge_invites --older-than 30d --no-input`: N invites expired 60 days ago;
- `import_invites PATH`: a CSV file of N new rows on an empty table, emails off, with
  `IMPORT_MAX_ROWS` and `IMPORT_MAX_BYTES` raised to let the file through.

Each line gives the time, the peak RSS of the child and what a child that only starts
Django uses (the floor), and the ratio to the smallest size. It works on a throw-away
database of its own, on PostgreSQL only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from common import describe_database  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

DB_NAME = "invites_bench_commands"

# Run in the child: start Django on the bench database, run one command, report.
CHILD = r"""
import io, json, os, resource, sys, time
sys.path.insert(0, sys.argv[1])
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings
connection.settings_dict["NAME"] = sys.argv[2]
args = json.loads(sys.argv[3])
send_emails = bool(args) and args[0] == "send_invite_emails"
tasks = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The file limits are raised to the size measured (the defaults stop at 100,000 rows).
limits = {"IMPORT_MAX_ROWS": 10**7, "IMPORT_MAX_BYTES": 2**30}
with override_settings(INVITES={"SEND_EMAILS": send_emails, **limits}, TASKS=tasks):
    start = time.perf_counter()
    if args:
        call_command(*args, stdout=io.StringIO(), verbosity=0)
    seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "rss_kib": peak}))
"""

# Every column of a seeded invite; `{expires}` and `{sent}` differ by command.
SEED_SQL = """
INSERT INTO invites_invite (
    id, email, email_key, accepted, token_hash, token_nonce, expires_at, metadata,
    created_at, updated_at, delivery_status, delivery_attempts, delivery_error, role
)
SELECT gen_random_uuid(), 'bench' || i || '@example.com', 'bench' || i || '@example.com',
       false, encode(sha256(('token' || i)::bytea), 'hex'),
       encode(sha256(('nonce' || i)::bytea), 'hex'), {expires}, NULL,
       now() - interval '90 days', now() - interval '90 days', 'not_sent', 0, '', ''
FROM generate_series(1, %s) AS i
"""

STATES = {
    "pending": "now() + interval '1 day'",
    "expired": "now() - interval '1 day' - (i %% 1000) * interval '1 second'",
    "long expired": "now() - interval '60 days'",
}


def empty() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE invites_invite CASCADE")
        cursor.execute("TRUNCATE django_tasks_database_dbtaskresult")


def seed(n: int, state: str) -> None:
    empty()
    with connection.cursor() as cursor:
        cursor.execute(SEED_SQL.replace("{expires}", STATES[state]), [n])
        cursor.execute("VACUUM ANALYZE invites_invite")


def make_csv(n: int, path: Path) -> None:
    with path.open("w") as out:
        out.write("email,name,team\n")
        for i in range(n):
            out.write(f"person{i}@example.com,Person {i},team{i % 20}\n")


def run_child(args: list[str]) -> dict[str, float]:
    result = subprocess.run(  # noqa: S603 (this interpreter, this script)
        [
            sys.executable,
            "-c",
            CHILD,
            str(ROOT),
            connection.settings_dict["NAME"],
            json.dumps(args),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(name: str, n: int, folder: Path) -> dict[str, float]:
    if name == "send_invite_emails":
        seed(n, "pending")
        return run_child([name, "--stale-after", "0s"])
    if name == "refresh_invites":
        seed(n, "expired")
        return run_child([name, "--expired"])
    if name == "purge_invites":
        seed(n, "long expired")
        return run_child([name, "--older-than", "30d", "--no-input"])
    empty()
    path = folder / f"import-{n}.csv"
    make_csv(n, path)
    try:
        return run_child([name, str(path)])
    finally:
        path.unlink()


COMMANDS = ["send_invite_emails", "refresh_invites", "purge_invites", "import_invites"]


def fmt_seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--commands", nargs="+", choices=COMMANDS, default=COMMANDS)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("bench_commands.py needs PostgreSQL (DATABASE_URL): skipped.")
        return

    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = DB_NAME
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        floor = run_child([])["rss_kib"] / 1024
        print(f"\n### Commands, {describe_database()}, one run each\n")
        print(f"Peak RSS of a child that only starts Django: {floor:.0f} MiB\n")
        sizes = " / ".join(f"{n:,}" for n in args.sizes)
        print(f"| command | time at {sizes} | peak RSS MiB at {sizes} | time ratio | RSS ratio |")
        print("|---|---|---|---:|---:|")
        with tempfile.TemporaryDirectory() as folder:
            for name in args.commands:
                results = [measure(name, n, Path(folder)) for n in args.sizes]
                times = " / ".join(fmt_seconds(r["seconds"]) for r in results)
                rss = " / ".join(f"{r['rss_kib'] / 1024:.0f}" for r in results)
                first, last = results[0], results[-1]
                print(
                    f"| `{name}` | {times} | {rss} | {last['seconds'] / first['seconds']:.1f} "
                    f"| {last['rss_kib'] / first['rss_kib']:.2f} |",
                    flush=True,
                )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
