"""The invite list's `ChangeList`: sorted so that an index serves every sortable column."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest

from invites.ordering import with_tie_breaker


class InviteChangeList(ChangeList):
    """Django's `ChangeList`, with the primary key as tie-breaker in the direction of the
    first sort key (Django's is always `-pk`), so that one index serves both directions."""

    def get_ordering(self, request: HttpRequest, queryset: QuerySet[Any]) -> list[Any]:
        return with_tie_breaker(super().get_ordering(request, queryset))
