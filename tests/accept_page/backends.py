"""Authentication backends a project might list before Django's own."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend


class SingleSignOnBackend(BaseBackend):
    """Signs people in elsewhere; restores none of the site's password users."""

    def get_user(self, user_id: Any) -> None:
        return None
