"""Fixtures of the attack tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_rate_limit() -> Iterator[None]:
    """Each test starts with no accept attempt counted (the limit lives in the cache)."""
    cache.clear()
    yield
    cache.clear()
