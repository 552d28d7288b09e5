"""On PostgreSQL, every query of the invite lists (admin and API) is served by an index.

The table gets 20,000 rows (a set-based insert, then ANALYZE, so the planner sees a
table worth indexing). Each page is fetched for real; its queries on the invite table are
then explained with sequential scans priced out (`enable_seqscan = off`), so a plan still
reading the whole table means no index can serve the query. The page's row query must
also come out of its index already in order: no sort over the matching rows.
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invites import services
from tests.helpers import requires_postgresql
from tests.teams.models import Team

pytestmark = [requires_postgresql, pytest.mark.django_db]

ADMIN = "/admin/invites/invite/"
API = "/api/invites/"

# Pages whose rows come straight from an index in order.
ORDERED_PAGES = [
    (ADMIN, {}),
    (ADMIN, {"status": "pending"}),
    (ADMIN, {"status": "expired"}),
    (ADMIN, {"status": "accepted"}),
    (ADMIN, {"status": "declined"}),
    (ADMIN, {"sent": "no"}),
    (ADMIN, {"delivery_status__exact": "failed"}),
    (ADMIN, {"target_type": "teams.team"}),
    (ADMIN, {"o": "1"}),
    (ADMIN, {"o": "-1"}),
    (ADMIN, {"o": "5"}),
    (ADMIN, {"o": "-6"}),
    (ADMIN, {"o": "9"}),
    (ADMIN, {"o": "-10"}),
    (API, {}),
    (API, {"status": "pending"}),
    (API, {"status": "accepted"}),
    (API, {"target": "teams.team"}),
    (API, {"ordering": "email"}),
    (API, {"ordering": "-email"}),
    (API, {"ordering": "updated_at"}),
    (API, {"ordering": "-expires_at"}),
    (API, {"ordering": "created_at"}),
    (API, {"search": "@example.com"}),
]
# Pages whose few matching rows are found by an index, then sorted.
SEARCH_PAGES = [
    (ADMIN, {"q": "user123456"}),
    (ADMIN, {"q": "example.com"}),
    (API, {"search": "user123456"}),
    (API, {"search": "example.com"}),
]


@pytest.fixture
def page_queries(admin_client):
    services.create_invites(["user1@example.com"])
    fill(ROWS)

    def fetch(path: str, query: dict[str, str]) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(path, query)
        assert response.status_code == 200
        return [q["sql"] for q in captured.captured_queries if 'FROM "invites_invite"' in q["sql"]]

    return fetch


ROWS = 20_000

FILL_SQL = """
INSERT INTO invites_invite (
    id, email, email_key, email_domain, accepted, token_hash, token_nonce, expires_at,
    metadata, created_at, updated_at, deleted_at, sent_at, delivery_status,
    delivery_attempts, delivery_error, target_type_id, target_id, role, declined_at
)
SELECT
    md5('id' || i)::uuid, 'user' || i || '@example' || mod(i, 100) || '.com',
    'user' || i || '@example' || mod(i, 100) || '.com', 'example' || mod(i, 100) || '.com',
    mod(i, 4) = 1, md5('hash' || i) || md5('more' || i), md5('nonce' || i),
    now() + interval '1 day' * (mod(i, 5) - 2), NULL,
    now() - interval '1 minute' * i, now() - interval '1 minute' * i,
    CASE WHEN mod(i, 50) = 0 THEN now() END,
    CASE WHEN mod(i, 10) < 8 THEN now() END,
    CASE WHEN mod(i, 10) < 8 THEN 'sent' WHEN mod(i, 10) = 8 THEN 'failed' ELSE 'queued' END,
    1, '', CASE WHEN mod(i, 3) = 0 THEN %(team_type)s END,
    CASE WHEN mod(i, 3) = 0 THEN (mod(i, 7) + 1)::text END, '',
    CASE WHEN mod(i, 4) = 2 THEN now() END
FROM generate_series(2, %(rows)s) AS i
"""


def fill(rows: int) -> None:
    """`rows` more invites, in one statement, spread over statuses, domains and targets."""
    team_type = ContentType.objects.get_for_model(Team).pk
    with connection.cursor() as cursor:
        cursor.execute(FILL_SQL, {"rows": rows, "team_type": team_type})
        cursor.execute("ANALYZE invites_invite")


def plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def row_query(queries: list[str]) -> str:
    [rows] = [
        sql
        for sql in queries
        if "LIMIT" in sql and "COUNT(" not in sql and sql.startswith('SELECT "invites_invite"')
    ]
    return rows


@pytest.mark.parametrize(("path", "query"), ORDERED_PAGES + SEARCH_PAGES)
def test_no_query_of_a_list_page_scans_the_table(page_queries, path, query):
    queries = page_queries(path, query)
    assert queries
    for sql in queries:
        explained = plan(sql)
        assert "Seq Scan on invites_invite" not in explained, f"{sql}\n{explained}"


@pytest.mark.parametrize(("path", "query"), ORDERED_PAGES)
def test_a_list_page_reads_its_rows_in_index_order(page_queries, path, query):
    sql = row_query(page_queries(path, query))
    explained = plan(sql)
    assert " Sort " not in f" {explained} ".replace("\n", " "), f"{sql}\n{explained}"
    assert "Index" in explained
