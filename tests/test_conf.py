"""`invites.conf`: defaults, overrides, accept links."""

from __future__ import annotations

from datetime import timedelta

from invites.adapter import get_adapter
from invites.conf import invites_settings


def test_defaults(settings):
    settings.INVITES = {}
    assert timedelta(days=1) == invites_settings.VALID_DURATION
    assert invites_settings.ACCEPT_URL is None
    assert invites_settings.ADAPTER == "invites.adapter.DefaultInviteAdapter"
    assert invites_settings.SITE_NAME is None
    assert invites_settings.MAX_BATCH_SIZE == 1000
    assert invites_settings.SEND_EMAILS is True
    assert invites_settings.ACCEPT_RATE == "10/minute"


def test_missing_setting_uses_defaults(settings):
    del settings.INVITES
    assert invites_settings.MAX_BATCH_SIZE == 1000


def test_overrides_are_read_on_every_access(settings):
    settings.INVITES = {"VALID_DURATION": 3600, "MAX_BATCH_SIZE": 5}
    assert timedelta(hours=1) == invites_settings.VALID_DURATION
    assert invites_settings.MAX_BATCH_SIZE == 5
    settings.INVITES = {"VALID_DURATION": timedelta(minutes=2)}
    assert timedelta(minutes=2) == invites_settings.VALID_DURATION


def test_accept_url_is_built_on_site_url(settings):
    settings.INVITES = {}
    settings.SITE_URL = "https://example.com/app/"
    assert (
        get_adapter().get_accept_url("abc") == "https://example.com/app/invites/accept/?token=abc"
    )


def test_absolute_accept_url_is_kept(settings):
    settings.INVITES = {"ACCEPT_URL": "https://join.example.com/t/{token}"}
    assert get_adapter().get_accept_url("abc") == "https://join.example.com/t/abc"
