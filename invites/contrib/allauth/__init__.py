"""django-allauth integration: add `"invites.contrib.allauth"` to INSTALLED_APPS.

With allauth and `allauth.account` installed, it gives:

- every user who accepts or joins an invite a verified, primary allauth `EmailAddress`
  for the invite's email, written in the accept's transaction (`receivers`);
- the accept page's sign-in link to allauth's login, with `next` back to the invite
  (`adapter.AllauthInviteAdapter`, the default `INVITES["ADAPTER"]` while this app is
  installed);
- with `ACCOUNT_ADAPTER = "invites.contrib.allauth.InviteAccountAdapter"` (and
  `SOCIALACCOUNT_ADAPTER = "invites.contrib.allauth.InviteSocialAccountAdapter"`),
  sign-up that accepts the invite opened in the browser session, and, with
  `INVITES["INVITE_ONLY"]`, sign-up open only to such a session.

Nothing in `invites` imports allauth outside this package, and this package's
`__init__` imports it only when one of the adapters is asked for, so settings can
name them by this short path.
"""

from __future__ import annotations

from typing import Any

__all__ = ["InviteAccountAdapter", "InviteSocialAccountAdapter"]


def __getattr__(name: str) -> Any:
    if name == "InviteAccountAdapter":
        from invites.contrib.allauth.adapter import InviteAccountAdapter

        return InviteAccountAdapter
    if name == "InviteSocialAccountAdapter":
        from invites.contrib.allauth.social import InviteSocialAccountAdapter

        return InviteSocialAccountAdapter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
