"""Query budgets: the number of queries stays small and fixed."""

from __future__ import annotations

import pytest

from invites import services
from tests.api.helpers import LIST, REFRESH, post_json, resend
from tests.helpers import PASSWORD

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


def test_list_with_targets_groups_and_people_does_not_grow_with_the_page(
    api_admin, make_user, django_assert_num_queries
):
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    groups = [Group.objects.create(name=f"group {i}") for i in range(3)]
    inviter = make_user()

    def seed(prefix: str, count: int) -> None:
        for i in range(count):
            target = groups[i % len(groups)]
            [invite] = services.create_invites(
                [f"{prefix}{i}@example.com"], invited_by=inviter, target=target, groups=groups[:2]
            )
            if i % 2:
                services.accept_invite(invite.token, password=PASSWORD)

    seed("small", 4)
    api_admin.get(LIST)
    with CaptureQueriesContext(connection) as small:
        rows = api_admin.get(LIST).json()["results"]
    assert len(rows) == 4
    assert all(row["target"]["name"].startswith("group ") for row in rows)
    assert any(row["accepted_by"] for row in rows)

    seed("big", 40)
    with django_assert_num_queries(len(small)):
        response = api_admin.get(LIST, {"page_size": 100})
    assert len(response.json()["results"]) == 44


def test_refresh_with_targets_and_groups_does_not_grow_with_the_ids(api_admin):
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    team = Group.objects.create(name="team")
    one = [
        str(i.pk) for i in services.create_invites(["one@example.com"], target=team, groups=[team])
    ]
    many = [
        str(i.pk)
        for i in services.create_invites(
            [f"many{i}@example.com" for i in range(30)], target=team, groups=[team]
        )
    ]
    api_admin.get(LIST)

    with CaptureQueriesContext(connection) as single:
        assert post_json(api_admin, REFRESH, {"invite_ids": one}).status_code == 200
    with CaptureQueriesContext(connection) as batch:
        response = post_json(api_admin, REFRESH, {"invite_ids": many})
    assert response.status_code == 200
    assert {row["target"]["name"] for row in response.json()} == {"team"}
    assert len(batch) == len(single)
