"""System checks of the allauth integration (`invites.E042`...).

- E042 `allauth` or `allauth.account` is not in INSTALLED_APPS.
- E043 INVITE_ONLY is on but ACCOUNT_ADAPTER is not an `InviteAccountAdapter`: sign-up
  would stay open to everyone.
- W040 INVITE_ONLY is on, `allauth.socialaccount` is installed, but
  SOCIALACCOUNT_ADAPTER is not an `InviteSocialAccountAdapter`: a social sign-up in a
  session with an invite would not be tied to the invite's email.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

from invites.conf import invites_settings

ACCOUNT_ADAPTER = "invites.contrib.allauth.InviteAccountAdapter"
SOCIAL_ADAPTER = "invites.contrib.allauth.InviteSocialAccountAdapter"


def _is_subclass(path: Any, base_path: str) -> bool:
    try:
        adapter_class = import_string(str(path))
    except ImportError:
        return False
    return isinstance(adapter_class, type) and issubclass(adapter_class, import_string(base_path))


@register(Tags.compatibility)
def check_allauth(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not apps.is_installed("invites.contrib.allauth"):
        return []
    if not (apps.is_installed("allauth") and apps.is_installed("allauth.account")):
        return [
            Error(
                "'invites.contrib.allauth' needs 'allauth' and 'allauth.account' in "
                "INSTALLED_APPS.",
                id="invites.E042",
            )
        ]
    if not invites_settings.INVITE_ONLY:
        return []
    messages: list[CheckMessage] = []
    account_adapter = getattr(settings, "ACCOUNT_ADAPTER", "")
    if not _is_subclass(account_adapter, ACCOUNT_ADAPTER):
        messages.append(
            Error(
                "INVITES['INVITE_ONLY'] is on, but ACCOUNT_ADAPTER is not an "
                "InviteAccountAdapter: allauth's sign-up stays open to everyone.",
                hint=f"Set ACCOUNT_ADAPTER = {ACCOUNT_ADAPTER!r} (or a subclass).",
                id="invites.E043",
            )
        )
    social_adapter = getattr(settings, "SOCIALACCOUNT_ADAPTER", "")
    if apps.is_installed("allauth.socialaccount") and not _is_subclass(
        social_adapter, SOCIAL_ADAPTER
    ):
        messages.append(
            Warning(
                "INVITES['INVITE_ONLY'] is on, but SOCIALACCOUNT_ADAPTER is not an "
                "InviteSocialAccountAdapter: a social sign-up is not tied to the "
                "invite's email.",
                hint=f"Set SOCIALACCOUNT_ADAPTER = {SOCIAL_ADAPTER!r} (or a subclass).",
                id="invites.W040",
            )
        )
    return messages
