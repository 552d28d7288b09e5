"""Bounces through django-anymail: add `"invites.contrib.anymail"` to INSTALLED_APPS.

With it, anymail's `tracking` signal marks an invite `bounced` when the provider reports
the email of its *current* link bounced, rejected or complained about. The invite and
link are found by what the app put on the message: the `X-Invite-Link` header, copied
into anymail's `metadata` (which providers echo back in their events), or the
Message-ID, where the provider reports it as the event's `message_id`.
"""
