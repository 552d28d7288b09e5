"""System checks for `settings.INVITES`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from invites.checks import check_accept_page_is_mounted, check_settings


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
        ({"LOGIN_ON_ACCEPT": "no"}, "invites.E030"),
        ({"LOGIN_ON_ACCEPT": 0}, "invites.E030"),
        ({"ACCEPT_RATE": "ten per minute"}, "invites.E006"),
        ({"ACCEPT_RATE": "10/fortnight"}, "invites.E006"),
        ({"VALID_DURATOIN": 5}, "invites.W001"),
        ({"INVITE_ONLY": "yes"}, "invites.E040"),
        ({"INVITE_ONLY": True}, "invites.E041"),
    ],
)
def test_bad_values_are_reported(settings, invites, expected):
    settings.INVITES = invites
    assert ids(settings) == [expected]


def test_site_url_must_be_absolute(settings):
    settings.INVITES = {}
    settings.SITE_URL = "example.com"
    assert ids(settings) == ["invites.E007"]


def test_known_keys_raise_no_warning(settings):
    settings.INVITES = {
        "ACCEPT_URL": None,
        "ADAPTER": "invites.adapter.DefaultInviteAdapter",
        "SITE_NAME": "Acme",
        "LOGIN_ON_ACCEPT": False,
    }
    assert ids(settings) == []


@pytest.mark.parametrize("missing", ["deleted", None, ""])
def test_missing_site_url_with_emails_on_in_production_is_an_error(settings, missing):
    settings.INVITES = {}
    settings.DEBUG = False
    if missing == "deleted":
        del settings.SITE_URL
    else:
        settings.SITE_URL = missing
    [message] = check_settings()
    assert message.id == "invites.E008"
    assert message.is_serious()


@pytest.mark.parametrize(("debug", "invites"), [(True, {}), (False, {"SEND_EMAILS": False})])
def test_missing_site_url_otherwise_is_a_warning(settings, debug, invites):
    settings.INVITES = invites
    settings.DEBUG = debug
    del settings.SITE_URL
    [message] = check_settings()
    assert message.id == "invites.W002"
    assert not message.is_serious()


@pytest.mark.parametrize(
    "adapter",
    [
        "tests.adapters.NoSuchAdapter",
        "no.such.module.Adapter",
        "tests.adapters.NotAnAdapter",
        "tests.helpers.PASSWORD",
        42,
    ],
)
def test_bad_adapter_is_an_error(settings, adapter):
    settings.INVITES = {"ADAPTER": adapter}
    assert ids(settings) == ["invites.E009"]


def test_adapter_subclass_passes(settings):
    settings.INVITES = {"ADAPTER": "tests.adapters.FullNameAdapter"}
    assert ids(settings) == []


def test_site_name_must_be_a_string(settings):
    settings.INVITES = {"SITE_NAME": ["Acme"]}
    assert ids(settings) == ["invites.E010"]


@pytest.mark.urls("tests.urls_without_invites")
def test_accept_page_must_be_routed_when_links_lead_to_it(settings):
    settings.INVITES = {}
    [message] = check_accept_page_is_mounted()
    assert message.id == "invites.E011"

    settings.INVITES = {"ACCEPT_URL": "https://front.example.net/join/{token}"}
    assert check_accept_page_is_mounted() == []


@pytest.mark.urls("tests.urls_team")
def test_accept_page_under_a_prefix_is_routed(settings):
    settings.INVITES = {}
    assert check_accept_page_is_mounted() == []


def test_invite_only_off_needs_no_allauth(settings):
    settings.INVITES = {"INVITE_ONLY": False}
    assert ids(settings) == []


@pytest.mark.parametrize(
    ("invites", "expected"),
    [
        ({"IMPORT_MAX_COLUMNS": 0}, "invites.E090"),
        ({"BACKGROUND_IMPORT_ROWS": "5000"}, "invites.E090"),
        ({"BACKGROUND_REFRESH_IDS": True}, "invites.E090"),
        ({"BACKGROUND_MAX_JOBS": -1}, "invites.E090"),
        ({"BACKGROUND_JOB_STALE": 0}, "invites.E091"),
        ({"BACKGROUND_JOB_STALE": "2 minutes"}, "invites.E091"),
    ],
)
def test_bad_background_job_settings_are_reported(settings, invites, expected):
    settings.INVITES = invites
    assert ids(settings) == [expected]


def test_background_job_settings_pass(settings):
    settings.INVITES = {
        "IMPORT_MAX_COLUMNS": 200,
        "BACKGROUND_IMPORT_ROWS": 1,
        "BACKGROUND_REFRESH_IDS": 1,
        "BACKGROUND_MAX_JOBS": 3,
        "BACKGROUND_JOB_STALE": timedelta(seconds=30),
    }
    assert ids(settings) == []
