"""The app's own receivers of Django's signals, connected in `InvitesConfig.ready()`."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from invites.models import Invite, email_key


def close_site_invites_of_new_user(
    sender: Any, instance: Any, created: bool, **kwargs: Any
) -> None:
    """A new account closes the open plain site invites of its email, as accepted by it.

    Whatever made the account (a project's sign-up view, django-allauth, the admin,
    `createsuperuser`), a plain site invite has nothing left to give it, and must not
    be resent or reminded. Invites that grant something (a target, groups) stay open:
    the user joins them. An invite being accepted is closed by its accept before the
    user is saved, so it is not touched here. No signal is sent: nobody accepted.
    """
    if not created or kwargs.get("raw"):
        return
    email = getattr(instance, type(instance).get_email_field_name(), None)
    if not isinstance(email, str) or not email:
        return
    now = timezone.now()
    (
        Invite.objects.open()
        .filter(email_key=email_key(email), target_type__isnull=True, groups__isnull=True)
        .update(accepted=True, accepted_at=now, accepted_by=instance, updated_at=now)
    )
