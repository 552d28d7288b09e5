"""Derived usernames can be typed: NFKC and lower case, so signing in by email works.

Django's login form NFKC-normalises what is typed, and `ModelBackend` compares it
exactly: a username kept in the email's case or in a non-NFKC form (fullwidth letters)
would make the account impossible, or case-dependent, to sign in to.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.forms import AuthenticationForm

from invites import services
from invites.services.users import derived_username
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
USERNAME_BACKEND = "invites.backends.UsernameBackend"

MIXED_CASE = "Ada.Lovelace@Example.com"
FULLWIDTH = "ada@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com"  # "example" in fullwidth


def accept(make_invite, email: str):
    return services.accept_invite(make_invite(email).token, password=PASSWORD)


def signs_in(typed: str) -> bool:
    """Whether Django's own login form, with the configured backends, accepts `typed`."""
    form = AuthenticationForm(data={"username": typed, "password": PASSWORD})
    return form.is_valid()


def test_the_username_is_the_email_in_lower_case(make_invite):
    user = accept(make_invite, MIXED_CASE)
    assert user.email == "Ada.Lovelace@example.com"
    assert user.get_username() == "ada.lovelace@example.com"


def test_the_username_is_nfkc_normalised_and_lower_case(make_invite):
    user = accept(make_invite, "Ada@\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25.com")
    assert user.get_username() == "ada@example.com"


@pytest.mark.parametrize("email", [MIXED_CASE, FULLWIDTH])
def test_modelbackend_signs_in_with_the_lower_case_email(make_invite, settings, email):
    settings.AUTHENTICATION_BACKENDS = [MODEL_BACKEND]
    user = accept(make_invite, email)
    assert authenticate(username=derived_username(email), password=PASSWORD) == user
    assert signs_in(email.lower())


@pytest.mark.parametrize("email", [MIXED_CASE, FULLWIDTH, "o'brien+tag@example.com"])
def test_the_username_backend_signs_in_with_the_email_in_any_case(make_invite, settings, email):
    settings.AUTHENTICATION_BACKENDS = [USERNAME_BACKEND]
    user = accept(make_invite, email)
    for typed in (email, email.upper(), email.lower(), email.swapcase()):
        assert authenticate(username=typed, password=PASSWORD) == user, typed
        assert signs_in(typed), typed
    assert authenticate(username=email.upper(), password="wrong") is None


def test_the_username_backend_finds_no_one_else(make_invite, settings):
    settings.AUTHENTICATION_BACKENDS = [USERNAME_BACKEND]
    User.objects.create_user(username="Bob", password=PASSWORD)
    # "Bob" is no derived username: only its exact spelling signs in.
    assert authenticate(username="Bob", password=PASSWORD) is not None
    assert authenticate(username="BOB", password=PASSWORD) is None
    assert authenticate(username="nobody@example.com", password=PASSWORD) is None


def test_the_fallback_for_a_taken_username_can_be_typed(make_invite, settings):
    # The NFKC form of the first choice is taken: the retry's username must still be
    # one that the login form (which NFKC-normalises what is typed) can reach.
    settings.AUTHENTICATION_BACKENDS = [MODEL_BACKEND]
    User.objects.create_user(username="ada@example.com", email="someone@example.org")
    user = accept(make_invite, FULLWIDTH)
    username = user.get_username()
    assert username.startswith("ada@example.com-") and username.isascii()
    assert signs_in(username)
