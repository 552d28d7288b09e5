"""Sign-in by email for the demo: invitees know their address, not a derived username."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest


class EmailBackend(ModelBackend):
    """Authenticates the one user whose email is `username`, in any case."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> AbstractBaseUser | None:
        User = get_user_model()
        if not username or password is None:
            return None
        email_field = User.get_email_field_name()
        users = list(User._default_manager.filter(**{f"{email_field}__iexact": username})[:2])
        if len(users) != 1:
            # As ModelBackend does for an unknown user: hash once, so the time taken
            # does not tell whether the address has an account.
            User().set_password(password)
            return None
        user = users[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
