"""Benchmark of `refresh_invite_tokens` against a naive loop and a hand-written bound.

Run with `make bench` (SQLite, then PostgreSQL when `BENCH_PG_URL` is reachable), or
directly: `DATABASE_URL=... .venv/bin/python benchmarks/bench_refresh.py [--sizes ...]`.

For each N, in one process and interleaved run by run:
- project: `invites.services.refresh_invite_tokens(ids)`, the real thing (row locks,
  validation, returned instances, `invite_resent` after commit);
- naive:   a per-row `select_for_update().get()` + `save()` loop (skipped above 10,000);
- bound:   hand-written set-based SQL on the raw DB-API cursor doing the same writes and
           the same token work (`UPDATE ... FROM (VALUES ...)` on SQLite, `UPDATE ... FROM
           unnest(...)` on PostgreSQL, 5,000 rows a statement), with no validation.
Times are medians of --runs runs; peak memory (tracemalloc) and query counts come from
one extra, untimed run of each variant. It works on a throw-away test database.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from common import describe_database, seed, vacuum  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from invites import bulk, services, tokens  # noqa: E402
from invites.conf import invites_settings  # noqa: E402
from invites.models import Invite  # noqa: E402

NAIVE_LIMIT = 10_000
BOUND_CHUNK = 5000
# A refresh also starts the new link's delivery over (`bulk.REFRESHED_FIELDS`); the
# bound writes those columns too, or it would skip the index upkeep they cost.
DELIVERY_RESET = (
    "sent_at = NULL, queued_at = NULL, delivery_status = 'not_sent', "
    "delivery_attempts = 0, delivery_error = ''"
)
# Statements the bound ran on the raw cursor (Django does not see them).
bound_statements = 0


# --- data -----------------------------------------------------------------------------


# --- the three variants -------------------------------------------------------------


def project(ids: list[Any]) -> int:
    return len(services.refresh_invite_tokens(ids))


def naive(ids: list[Any]) -> int:
    with transaction.atomic():
        for invite_id in ids:
            invite = Invite.objects.select_for_update().get(pk=invite_id)
            minted = tokens.mint_token(invite.pk)
            now = timezone.now()
            invite.token_nonce, invite.token_hash = minted.nonce, minted.digest
            invite.expires_at = now + invites_settings.VALID_DURATION
            invite.sent_at = invite.queued_at = None
            invite.delivery_status = bulk.fresh_delivery_status(None)
            invite.delivery_attempts, invite.delivery_error = 0, ""
            invite.save(update_fields=list(bulk.REFRESHED_FIELDS))
    return len(ids)


def bound(ids: list[Any]) -> int:
    """The same writes and token work in hand-written SQL straight on the DB-API cursor."""
    now = timezone.now()
    expires_at = now + invites_settings.VALID_DURATION
    minted = list(tokens.mint_tokens(ids))
    global bound_statements
    with transaction.atomic():
        cursor = connection.connection.cursor()
        for start in range(0, len(ids), BOUND_CHUNK):
            chunk_ids = ids[start : start + BOUND_CHUNK]
            chunk = minted[start : start + BOUND_CHUNK]
            if connection.vendor == "postgresql":
                cursor.execute(
                    "UPDATE invites_invite AS t SET token_nonce = v.nonce, token_hash = v.digest, "
                    f"expires_at = %s, updated_at = %s, {DELIVERY_RESET} "
                    "FROM unnest(%s::uuid[], %s::varchar[], %s::varchar[]) AS v(id, nonce, digest) "
                    "WHERE t.id = v.id",
                    [
                        expires_at,
                        now,
                        chunk_ids,
                        [m.nonce for m in chunk],
                        [m.digest for m in chunk],
                    ],
                )
                bound_statements += 1
            else:
                values = ", ".join(["(?, ?, ?)"] * len(chunk))
                params: list[Any] = [expires_at.isoformat(" "), now.isoformat(" ")]
                for invite_id, m in zip(chunk_ids, chunk, strict=True):
                    params += [invite_id.hex, m.nonce, m.digest]
                cursor.execute(
                    "UPDATE invites_invite SET token_nonce = v.column2, token_hash = v.column3, "
                    f"expires_at = ?, updated_at = ?, {DELIVERY_RESET} FROM (VALUES {values}) AS v "
                    "WHERE invites_invite.id = v.column1",
                    params,
                )
                bound_statements += 1
        cursor.close()
    return len(ids)


VARIANTS: dict[str, Callable[[list[Any]], int]] = {
    "project": project,
    "naive": naive,
    "bound": bound,
}


# --- measuring ----------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def profile(fn: Callable[[list[Any]], int], ids: list[Any]) -> tuple[int, float]:
    """(queries, peak MiB) of one untimed run."""
    global bound_statements
    vacuum()
    gc.collect()
    bound_statements = 0
    tracemalloc.start()
    with counting_statements() as counter:
        fn(ids)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return counter.count + bound_statements, peak / 2**20


class StatementCounter:
    """Counts every statement sent through Django's cursors (no cap, unlike query logs)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting_statements() -> Iterator[StatementCounter]:
    counter = StatementCounter()
    with connection.execute_wrapper(counter):
        yield counter


def check_refreshed(ids: list[Any], returned: list[Invite]) -> None:
    """The project variant really wrote what it returned (guards the benchmark itself)."""
    stored = dict(Invite.objects.filter(pk__in=ids[:200]).values_list("pk", "token_hash"))
    for invite in returned[:200]:
        assert stored[invite.pk] == tokens.hash_token(invite.token)


def bench_size(n: int, runs: int) -> dict[str, dict[str, float]]:
    ids = seed(n)
    check_refreshed(ids, services.refresh_invite_tokens(ids[:200]))
    variants = [name for name in VARIANTS if name != "naive" or n <= NAIVE_LIMIT]
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _run in range(runs):
        for name in variants:
            vacuum()
            times[name].append(timed(lambda name=name: VARIANTS[name](ids)))
    results: dict[str, dict[str, float]] = {}
    for name in variants:
        queries, peak = profile(VARIANTS[name], ids)
        results[name] = {"median": statistics.median(times[name]), "queries": queries, "peak": peak}
    return results


def bench_tokens(n: int, runs: int) -> float:
    import uuid

    ids = [uuid.uuid4() for _ in range(n)]
    return statistics.median(timed(lambda: list(tokens.mint_tokens(ids))) for _ in range(runs))


def bench_create(n: int, runs: int) -> tuple[float, int]:
    emails = [f"new{i}@example.com" for i in range(n)]
    durations = []
    queries = 0
    for _run in range(runs):
        Invite.all_objects.all().delete()
        vacuum()
        with counting_statements() as counter:
            durations.append(timed(lambda: services.create_invites(emails)))
        queries = counter.count
    return statistics.median(durations), queries


def bench_api(runs: int) -> list[tuple[str, float]]:
    """Latency of the REST calls through Django's test client, token-authenticated."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    ids = [str(pk) for pk in seed(1000)]
    admin = get_user_model()._default_manager.create_superuser("bench", "bench@example.com")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin).key}")

    def refresh() -> None:
        response = client.post("/api/invites/refresh/", {"invite_ids": ids}, format="json")
        assert response.status_code == 200, response.content[:300]
        assert len(response.json()) == 1000

    def resend() -> None:
        response = client.post(f"/api/invites/{ids[0]}/resend/")
        assert response.status_code == 200, response.content[:300]

    database_tasks = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    results = []
    for label, fn, overrides in [
        ("POST /api/invites/refresh/, 1,000 ids", refresh, {"INVITES": {"SEND_EMAILS": False}}),
        (
            "the same, emails on (1,000 emails queued, database backend)",
            refresh,
            {"INVITES": {"SEND_EMAILS": True}, "TASKS": database_tasks},
        ),
        ("POST /api/invites/{id}/resend/", resend, {"INVITES": {"SEND_EMAILS": False}}),
    ]:
        with override_settings(**overrides):
            fn()  # warm up
            results.append((label, statistics.median(timed(fn) for _ in range(runs))))
    return results


# --- output -------------------------------------------------------------------------


def fmt_seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def row(n: int, r: dict[str, dict[str, float]]) -> str:
    p, b, nv = r["project"], r["bound"], r.get("naive")
    naive_time = fmt_seconds(nv["median"]) if nv else f"skipped (> {NAIVE_LIMIT:,})"
    naive_ratio = f"{nv['median'] / p['median']:.1f}" if nv else "n/a"
    queries = (
        f"{p['queries']:.0f} / {b['queries']:.0f} / {nv['queries']:.0f}"
        if nv
        else (f"{p['queries']:.0f} / {b['queries']:.0f} / -")
    )
    peaks = (
        f"{p['peak']:.1f} / {b['peak']:.1f} / {nv['peak']:.1f}"
        if nv
        else (f"{p['peak']:.1f} / {b['peak']:.1f} / -")
    )
    return (
        f"| {n:,} | {fmt_seconds(p['median'])} | {fmt_seconds(b['median'])} | {naive_time} "
        f"| {p['median'] / b['median']:.2f} | {naive_ratio} | {queries} | {peaks} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-api", action="store_true", help="leave out the REST latency")
    args = parser.parse_args()

    setup_test_environment()
    # A database of its own (never the test suite's), and on SQLite a file, not memory.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        str(Path(tempfile.gettempdir()) / "invites_bench.sqlite3")
        if connection.vendor == "sqlite"
        else "invites_bench"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with override_settings(INVITES={"SEND_EMAILS": False}):
            print(
                f"\n### refresh_invite_tokens, {describe_database()}, median of {args.runs} runs\n"
            )
            print(
                "| N | project | bound | naive | project / bound | naive / project "
                "| queries (project / bound / naive) | peak MiB (project / bound / naive) |"
            )
            print("|---:|---:|---:|---:|---:|---:|---|---|")
            for n in args.sizes:
                print(row(n, bench_size(n, args.runs)), flush=True)

            n_tokens = max(args.sizes)
            token_time = fmt_seconds(bench_tokens(n_tokens, args.runs))
            print(f"\nToken work alone (salted_hmac + SHA-256), {n_tokens:,} tokens: {token_time}")
            seconds, queries = bench_create(10_000, args.runs)
            print(
                f"create_invites, 10,000 emails in one call: {fmt_seconds(seconds)}, "
                f"{queries} queries"
            )
        if not args.skip_api:
            print(f"\nREST API latency, Django test client, median of {args.runs} runs:\n")
            for label, seconds in bench_api(args.runs):
                print(f"- {label}: {fmt_seconds(seconds)}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
