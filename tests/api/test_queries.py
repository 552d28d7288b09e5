"""Query budgets: the number of queries stays small and fixed."""

from __future__ import annotations

import pytest

from invites import services
from tests.api.helpers import LIST, REFRESH, post_json, resend

pytestmark = pytest.mark.django_db


def test_resend_runs_a_small_fixed_number_of_queries(
    api_admin, pending_invite, django_assert_max_num_queries
):
    api_admin.get(LIST)  # warm up the content types and permission caches
    with django_assert_max_num_queries(8):
        assert api_admin.post(resend(pending_invite)).status_code == 200


def test_refresh_query_count_does_not_grow_with_the_ids(
    api_admin, make_invite, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    one = [str(make_invite().pk)]
    many = [str(make_invite().pk) for _ in range(40)]
    api_admin.get(LIST)

    with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as single:
        assert post_json(api_admin, REFRESH, {"invite_ids": one}).status_code == 200
    with CaptureQueriesContext(connection) as batch:
        assert post_json(api_admin, REFRESH, {"invite_ids": many}).status_code == 200
    assert len(batch) == len(single)


def test_list_query_count_does_not_grow_with_the_page(api_admin, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.create_invites([f"small{i}@example.com" for i in range(5)])
    api_admin.get(LIST)
    with CaptureQueriesContext(connection) as small:
        assert len(api_admin.get(LIST).json()["results"]) == 5

    services.create_invites([f"big{i}@example.com" for i in range(145)])
    with django_assert_num_queries(len(small)):
        response = api_admin.get(LIST, {"page_size": 150})
    assert len(response.json()["results"]) == 150
