"""The allauth integration's system checks."""

from __future__ import annotations

from invites.contrib.allauth.checks import check_allauth


def ids() -> list[str]:
    return [message.id for message in check_allauth()]


def test_the_test_project_passes():
    assert ids() == []


def test_invite_only_without_the_invite_adapters_is_reported(settings):
    settings.ACCOUNT_ADAPTER = "allauth.account.adapter.DefaultAccountAdapter"
    settings.SOCIALACCOUNT_ADAPTER = "allauth.socialaccount.adapter.DefaultSocialAccountAdapter"
    assert ids() == ["invites.E043", "invites.W040"]
    settings.INVITES = {"INVITE_ONLY": False}
    assert ids() == []
