"""`INVITES["EXACT_COUNT_LIMIT"]`: the lists count up to a limit, then give a lower bound."""

from __future__ import annotations

import pytest
from django.core.paginator import EmptyPage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invites.checks import check_settings
from invites.models import Invite
from invites.pagination import LimitedCountPaginator
from tests.api.helpers import LIST

CHANGELIST = "/admin/invites/invite/"


@pytest.fixture
def twelve(make_invite):
    return [make_invite() for _ in range(12)]


def paginator(per_page: int = 5) -> LimitedCountPaginator:
    return LimitedCountPaginator(Invite.objects.order_by("-created_at", "-pk"), per_page)


@pytest.mark.django_db
def test_no_limit_counts_exactly(twelve):
    pages = paginator()
    assert (pages.count, pages.count_is_exact, pages.num_pages) == (12, True, 3)
    with pytest.raises(EmptyPage):
        pages.page(4)


@pytest.mark.django_db
def test_a_limit_above_the_count_counts_exactly(settings, twelve):
    settings.INVITES = {"EXACT_COUNT_LIMIT": 12}
    pages = paginator()
    assert (pages.count, pages.count_is_exact) == (12, True)


@pytest.mark.django_db
def test_a_limit_below_the_count_counts_no_further(settings, twelve):
    settings.INVITES = {"EXACT_COUNT_LIMIT": 5}
    pages = paginator()
    with CaptureQueriesContext(connection) as queries:
        assert (pages.count, pages.count_is_exact) == (6, False)
    [count] = queries.captured_queries
    assert "LIMIT 6" in count["sql"]

    # Every row stays reachable, past the counted ones too.
    page_two, page_three = pages.page(2), pages.page(3)
    assert (len(page_two), page_two.has_next(), page_two.end_index()) == (5, True, 10)
    assert (len(page_three), page_three.has_next(), page_three.end_index()) == (2, False, 12)
    seen = [i.pk for n in (1, 2, 3) for i in pages.page(n)]
    assert sorted(seen) == sorted(i.pk for i in twelve)
    with pytest.raises(EmptyPage):
        pages.page(4)
    assert list(pages.get_elided_page_range(3)) == [1, 2, 3]
    assert list(pages.get_elided_page_range(9)) == [1, 2, pages.ELLIPSIS, 6, 7, 8, 9]


@pytest.mark.django_db
def test_api_count_is_exact_by_default(api_admin, twelve):
    body = api_admin.get(LIST, {"page_size": 5}).json()
    assert body["count"] == 12


@pytest.mark.django_db
def test_api_count_stops_at_the_limit_and_pages_go_on(settings, api_admin, twelve):
    settings.INVITES = {"EXACT_COUNT_LIMIT": 5}
    first = api_admin.get(LIST, {"page_size": 5}).json()
    assert first["count"] == 6
    second = api_admin.get(first["next"]).json()
    assert second["next"] is not None
    third = api_admin.get(second["next"]).json()
    assert (len(third["results"]), third["next"]) == (2, None)
    ids = {row["id"] for body in (first, second, third) for row in body["results"]}
    assert ids == {str(invite.pk) for invite in twelve}
    assert api_admin.get(LIST, {"page_size": 5, "page": 4}).status_code == 404


@pytest.mark.django_db
def test_admin_says_more_than_the_limit(settings, admin_client, twelve):
    settings.INVITES = {"EXACT_COUNT_LIMIT": 5}
    response = admin_client.get(CHANGELIST)
    assert "More than 5 invites" in response.content.decode()
    assert response.context["cl"].result_count == 6

    settings.INVITES = {}
    assert "12 invites" in admin_client.get(CHANGELIST).content.decode()


@pytest.mark.parametrize("value", [0, -1, "100", True, 2.5])
def test_a_bad_limit_is_reported(settings, value):
    settings.INVITES = {"EXACT_COUNT_LIMIT": value}
    assert [message.id for message in check_settings()] == ["invites.E050"]


@pytest.mark.parametrize("value", [None, 1, 10_000])
def test_a_good_limit_passes(settings, value):
    settings.INVITES = {"EXACT_COUNT_LIMIT": value}
    assert [message.id for message in check_settings()] == []
