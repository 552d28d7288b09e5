"""System checks for `settings.INVITES`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from invites.checks import check_settings


def ids(settings):
    return [message.id for message in check_settings()]


def test_default_settings_pass(settings):
    settings.INVITES = {}
    assert ids(settings) == []


def test_demo_project_settings_pass():
    assert check_settings() == []


@pytest.mark.parametrize(
    ("invites", "expected"),
    [
        ([], "invites.E001"),
        ({"VALID_DURATION": "1 day"}, "invites.E002"),
        ({"VALID_DURATION": timedelta(0)}, "invites.E002"),
        ({"VALID_DURATION": -5}, "invites.E002"),
        ({"VALID_DURATION": True}, "invites.E002"),
        ({"ACCEPT_URL": "/accept/"}, "invites.E003"),
        ({"ACCEPT_URL": 5}, "invites.E003"),
        ({"MAX_BATCH_SIZE": 0}, "invites.E004"),
        ({"MAX_BATCH_SIZE": "1000"}, "invites.E004"),
        ({"SEND_EMAILS": "yes"}, "invites.E005"),
        ({"ACCEPT_RATE": "ten per minute"}, "invites.E006"),
        ({"ACCEPT_RATE": "10/fortnight"}, "invites.E006"),
        ({"VALID_DURATOIN": 5}, "invites.W001"),
    ],
)
def test_bad_values_are_reported(settings, invites, expected):
    settings.INVITES = invites
    assert ids(settings) == [expected]


def test_site_url_must_be_absolute(settings):
    settings.INVITES = {}
    settings.SITE_URL = "example.com"
    assert ids(settings) == ["invites.E007"]
