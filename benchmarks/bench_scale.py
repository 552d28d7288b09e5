"""Benchmark of the invite lists at 2,000 and at 1,000,000 invites, on PostgreSQL.

Run with `make bench` (when `BENCH_PG_URL` answers; `BENCH_SCALE_ARGS`), or directly:
`DATABASE_URL=postgres://... .venv/bin/python benchmarks/bench_scale.py [--sizes 2000 1000000]`.

Each size is seeded with one set-based `INSERT ... SELECT FROM generate_series` (no loop
in Python), with a spread of statuses, domains, targets, roles, inviters and delivery
states, then `VACUUM ANALYZE`. Every admin changelist case (default, search, each filter,
each sortable column both ways) and every API list case (default, each status, target,
search by prefix and by domain, every ordering both ways, a later page) is fetched with
Django's test client as a superuser; the median of --runs runs after one warm-up. The
table gives each case at every size, the ratio of the largest size to the smallest, and
the slowest query of the page at the largest size.

With the default settings the lists' counts are exact; `--count-limit N` runs everything
again with `INVITES["EXACT_COUNT_LIMIT"] = N`.

It works on a throw-away database named after DATABASE_URL's with `_scale_bench`
appended (dropped and re-created).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from tests.teams.models import Team  # noqa: E402

ADMIN = "/admin/invites/invite/"
API = "/api/invites/"
TEAMS = 100
GROUPS = 20
DOMAINS = 200

# The admin's sortable columns, by their position in `list_display` (1-based).
ADMIN_SORTS = {"email": 1, "expires_at": 5, "created_at": 6, "accepted_at": 9, "sent_at": 10}


def cases() -> list[tuple[str, str, dict[str, str]]]:
    """(name, path, query) of every list page timed."""
    admin: list[tuple[str, str, dict[str, str]]] = [
        ("admin list", ADMIN, {}),
        ("admin search `user123456`", ADMIN, {"q": "user123456"}),
        ("admin search `example42.com`", ADMIN, {"q": "example42.com"}),
        ("admin search `@example42.com`", ADMIN, {"q": "@example42.com"}),
    ]
    for status in ("pending", "expired", "accepted", "declined"):
        admin.append((f"admin status = {status}", ADMIN, {"status": status}))
    admin += [
        ("admin target type = none", ADMIN, {"target_type": "none"}),
        ("admin target type = teams.team", ADMIN, {"target_type": "teams.team"}),
        ("admin sent = yes", ADMIN, {"sent": "yes"}),
        ("admin not sent yet", ADMIN, {"sent": "no"}),
    ]
    for state in ("not_sent", "queued", "sent", "retrying", "failed", "bounced"):
        admin.append((f"admin delivery = {state}", ADMIN, {"delivery_status__exact": state}))
    for name, column in ADMIN_SORTS.items():
        admin.append((f"admin sort {name}", ADMIN, {"o": str(column)}))
        admin.append((f"admin sort -{name}", ADMIN, {"o": f"-{column}"}))
    admin.append(("admin page 20", ADMIN, {"p": "20"}))

    api: list[tuple[str, str, dict[str, str]]] = [("API list", API, {})]
    for status in ("pending", "expired", "accepted", "declined"):
        api.append((f"API status={status}", API, {"status": status}))
    api += [
        ("API target=none", API, {"target": "none"}),
        ("API target=teams.team", API, {"target": "teams.team"}),
        ("API target=teams.team:<pk>", API, {"target": "TEAM"}),
        ("API search=user123456", API, {"search": "user123456"}),
        ("API search=example42.com", API, {"search": "example42.com"}),
        ("API search=@example42.com", API, {"search": "@example42.com"}),
    ]
    for field in ("created_at", "updated_at", "expires_at", "email"):
        api.append((f"API ordering={field}", API, {"ordering": field}))
        api.append((f"API ordering=-{field}", API, {"ordering": f"-{field}"}))
    api.append(("API page=20", API, {"page": "20"}))
    return admin + api


SEED_SQL = """
INSERT INTO invites_invite (
    id, email, email_key, email_domain, accepted, token_hash, token_nonce, expires_at,
    metadata, invited_by_id, accepted_at, created_at, updated_at, deleted_at, sent_at,
    queued_at, last_emailed_at, delivery_status, delivery_attempts, delivery_error,
    target_type_id, target_id, role, accepted_by_id, declined_at
)
SELECT
    md5('id' || i)::uuid,
    'user' || i || '@example' || domain || '.com',
    'user' || i || '@example' || domain || '.com',
    'example' || domain || '.com',
    kind = 'accepted',
    md5('hash' || i) || md5('more' || i),
    md5('nonce' || i) || md5('nonce2' || i),
    CASE WHEN kind = 'pending' THEN now() + interval '1 day' * (1 + mod(i, 7))
         ELSE least(created + interval '1 day', now() - interval '1 hour') END,
    CASE WHEN mod(i, 3) = 0 THEN jsonb_build_object('team', 'research') END,
    CASE WHEN mod(i, 10) = 0 THEN NULL ELSE (%(inviters)s::bigint[])[1 + mod(i, 3)] END,
    CASE WHEN kind = 'accepted' THEN created + interval '3 hours' END,
    created,
    created + interval '1 minute',
    CASE WHEN mod(i, 50) = 7 THEN created + interval '2 days' END,
    CASE WHEN delivery = 'sent' THEN created + interval '5 seconds' END,
    created,
    CASE WHEN delivery <> 'not_sent' THEN created END,
    delivery,
    CASE WHEN delivery IN ('sent', 'bounced') THEN 1 WHEN delivery = 'retrying' THEN 2
         WHEN delivery = 'failed' THEN 4 ELSE 0 END,
    CASE WHEN delivery = 'failed' THEN 'SMTPServerDisconnected'
         WHEN delivery = 'bounced' THEN 'bounced' ELSE '' END,
    CASE WHEN mod(i, 10) < 3 THEN %(team_type)s::int
         WHEN mod(i, 10) = 3 THEN %(group_type)s::int END,
    CASE WHEN mod(i, 10) < 3 THEN ((%(teams)s::bigint[])[1 + mod(i, %(team_count)s)])::text
         WHEN mod(i, 10) = 3 THEN ((%(groups)s::bigint[])[1 + mod(i, %(group_count)s)])::text END,
    CASE mod(i, 5) WHEN 0 THEN 'editor' WHEN 1 THEN 'viewer' ELSE '' END,
    NULL,
    CASE WHEN kind = 'declined' THEN created + interval '1 hour' END
FROM (
    SELECT
        i,
        -- Two years of invites, oldest first; statuses and delivery states spread
        -- over them by two independent scrambles of i.
        now() - interval '2 years' * (1 - i::float / %(count)s) AS created,
        -- A big domain (example42.com: about 5.5 per cent), the rest even.
        CASE WHEN mod(i, 20) = 0 THEN 42 ELSE mod(i, %(domains)s) END AS domain,
        CASE WHEN mod(i * 7919, 100) < 20 THEN 'pending'
             WHEN mod(i * 7919, 100) < 55 THEN 'expired'
             WHEN mod(i * 7919, 100) < 90 THEN 'accepted'
             ELSE 'declined' END AS kind,
        -- Each rarer state holds more than a page of the admin (100 rows) at 2,000.
        CASE WHEN mod(i * 104729, 100) < 70 THEN 'sent'
             WHEN mod(i * 104729, 100) < 76 THEN 'queued'
             WHEN mod(i * 104729, 100) < 82 THEN 'not_sent'
             WHEN mod(i * 104729, 100) < 88 THEN 'retrying'
             WHEN mod(i * 104729, 100) < 94 THEN 'failed'
             ELSE 'bounced' END AS delivery
    FROM generate_series(1::bigint, %(count)s) AS i
) AS spread
"""


# The invite table's indexes that no constraint owns (DROP INDEX can drop them).
INDEXES_SQL = """
SELECT indexname, indexdef FROM pg_indexes
WHERE tablename = 'invites_invite' AND indexname NOT IN (
    SELECT conname FROM pg_constraint WHERE conrelid = 'invites_invite'::regclass
)
"""


def seed(count: int) -> float:
    """Replace every invite with `count` spread ones, in one statement; seconds taken."""
    user_model: Any = get_user_model()
    inviters = list(
        user_model.objects.filter(username__startswith="inviter").values_list("pk", flat=True)
    )
    teams = list(Team.objects.values_list("pk", flat=True))
    groups = list(Group.objects.values_list("pk", flat=True))
    params = {
        "count": count,
        "domains": DOMAINS,
        "inviters": inviters,
        "team_type": ContentType.objects.get_for_model(Team).pk,
        "group_type": ContentType.objects.get_for_model(Group).pk,
        "teams": teams,
        "team_count": len(teams),
        "groups": groups,
        "group_count": len(groups),
    }
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE invites_invite CASCADE")
        # As a bulk load should: insert without the secondary indexes, then build them.
        cursor.execute(INDEXES_SQL)
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(SEED_SQL, params)
        cursor.execute("SET maintenance_work_mem = '128MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
    seeded = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE invites_invite")
    return seeded


def fixtures() -> Any:
    """A superuser, three inviters, the teams and groups that invites point at."""
    user_model: Any = get_user_model()
    admin = user_model.objects.create_superuser("admin", "admin@example.com", "pw")
    for n in range(3):
        user_model.objects.create_user(f"inviter{n}", f"inviter{n}@example.com", "pw")
    Team.objects.bulk_create(Team(name=f"Team {n}") for n in range(TEAMS))
    Group.objects.bulk_create(Group(name=f"group {n}") for n in range(GROUPS))
    return admin


def fetch(client: Client, path: str, query: dict[str, str]) -> float:
    started = time.perf_counter()
    response = client.get(path, query)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{path} {query}: {response.status_code}")
    return elapsed


def slowest_query(client: Client, path: str, query: dict[str, str]) -> tuple[float, str]:
    with CaptureQueriesContext(connection) as queries:
        fetch(client, path, query)
    slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
    sql = " ".join(slowest["sql"].split())
    return float(slowest["time"]), sql


def shorten(sql: str, width: int = 110) -> str:
    sql = sql.replace('"invites_invite".', "").replace('"', "")
    return sql if len(sql) <= width else sql[: width - 1] + "…"


Result = tuple[str, list[float], tuple[float, str]]


def measure(
    client: Client, sizes: list[int], runs: int, limits: list[int | None]
) -> dict[int | None, list[Result]]:
    """Per count limit, per case: the median at each size, and the slowest query at the
    last size. Each size is seeded once and timed under every limit."""
    all_cases = cases()
    timings = {limit: {name: [] for name, _p, _q in all_cases} for limit in limits}
    slowest: dict[int | None, dict[str, tuple[float, str]]] = {limit: {} for limit in limits}
    for size in sizes:
        seconds = seed(size)
        print(f"- seeded {size:,} invites in {seconds:.1f} s", file=sys.stderr)
        team = str(Team.objects.order_by("pk").values_list("pk", flat=True)[1])
        for limit in limits:
            with override_settings(INVITES={"EXACT_COUNT_LIMIT": limit}):
                for name, path, query in all_cases:
                    query = {
                        k: (f"teams.team:{team}" if v == "TEAM" else v) for k, v in query.items()
                    }
                    fetch(client, path, query)
                    times = [fetch(client, path, query) for _ in range(runs)]
                    timings[limit][name].append(statistics.median(times))
                    if size == sizes[-1]:
                        slowest[limit][name] = slowest_query(client, path, query)
    return {
        limit: [(name, timings[limit][name], slowest[limit][name]) for name, _p, _q in all_cases]
        for limit in limits
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def report(results: list[Result], sizes: list[int], runs: int, label: str) -> None:
    small, large = sizes[0], sizes[-1]
    print(f"\n### {label}: median of {runs}, Django's test client as a superuser\n")
    header = " | ".join(f"{size:,}" for size in sizes)
    print(f"| page | {header} | {large:,} / {small:,} | slowest query at {large:,} |")
    print("|---|" + "---:|" * len(sizes) + "---:|---|")
    worst = 0.0
    for name, times, (query_time, sql) in results:
        ratio = times[-1] / times[0]
        worst = max(worst, ratio)
        cells = " | ".join(ms(t) for t in times)
        print(f"| {name} | {cells} | {ratio:.2f}x | {ms(query_time)}: `{shorten(sql)}` |")
    print(f"\nWorst ratio: {worst:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--count-limit",
        type=int,
        default=None,
        help="also run with INVITES['EXACT_COUNT_LIMIT'] set to this",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("bench_scale needs PostgreSQL (DATABASE_URL=postgres://...): skipped.")
        return

    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        f"{connection.settings_dict['NAME']}_scale_bench"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    major, minor = divmod(connection.pg_version, 10000)
    try:
        client = Client()
        client.force_login(fixtures())
        limits: list[int | None] = [None]
        if args.count_limit is not None:
            limits.append(args.count_limit)
        results = measure(client, args.sizes, args.runs, limits)
        for limit in limits:
            label = (
                "Exact counts (the default)"
                if limit is None
                else (f"EXACT_COUNT_LIMIT = {limit:,}")
            )
            report(results[limit], args.sizes, args.runs, f"{label}, PostgreSQL {major}.{minor}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
