"""Pagination of the invite lists (admin and API) whose count can stop at a limit.

`INVITES["EXACT_COUNT_LIMIT"]`: None counts every matching row, as Django does; a number
`n` counts at most `n + 1` rows (`SELECT COUNT(*) FROM (SELECT ... LIMIT n + 1)`), so a
count costs the same at any table size. Above the limit the count is a lower bound
(`n + 1`, "more than n"), and pages go on for as long as there are rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator

from invites.conf import invites_settings


class OpenEndedPage(Page):
    """A page of a list whose end is not known: it knows only whether rows follow it."""

    def __init__(
        self, object_list: Sequence[Any], number: int, paginator: Paginator, *, has_more: bool
    ) -> None:
        super().__init__(object_list, number, paginator)
        self.has_more = has_more

    def has_next(self) -> bool:
        return self.has_more

    def end_index(self) -> int:
        return self.start_index() + len(self) - 1


class LimitedCountPaginator(Paginator):
    """Django's `Paginator`, counting at most `EXACT_COUNT_LIMIT + 1` rows."""

    @cached_property
    def count_limit(self) -> int | None:
        return invites_settings.EXACT_COUNT_LIMIT

    @cached_property
    def count(self) -> int:
        """The number of rows, or `EXACT_COUNT_LIMIT + 1` when there are more."""
        limit = self.count_limit
        if limit is None:
            return super().count
        return int(self.object_list[: limit + 1].count())  # type: ignore[attr-defined]

    @property
    def count_is_exact(self) -> bool:
        """Whether `count` is the number of rows, not a lower bound of it."""
        return self.count_limit is None or self.count <= self.count_limit

    def validate_number(self, number: Any) -> int:
        if self.count_is_exact:
            return super().validate_number(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            page = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if page < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return page

    def page(self, number: Any) -> Page:
        """Django's page; past the counted rows, the rows there and whether more follow."""
        if self.count_is_exact:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return OpenEndedPage(
            rows[: self.per_page], number, self, has_more=len(rows) > self.per_page
        )

    def get_elided_page_range(
        self, number: Any = 1, *, on_each_side: int = 3, on_ends: int = 2
    ) -> Iterator[Any]:
        """Django's range; past the counted pages, the first ones and those before `number`."""
        number = self.validate_number(number)
        if self.count_is_exact or number <= self.num_pages:
            yield from super().get_elided_page_range(
                number, on_each_side=on_each_side, on_ends=on_ends
            )
            return
        if number - on_each_side > on_ends + 1:
            yield from range(1, on_ends + 1)
            yield self.ELLIPSIS
            yield from range(number - on_each_side, number + 1)
        else:
            yield from range(1, number + 1)
