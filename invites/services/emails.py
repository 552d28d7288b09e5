"""Sending an invite's current link again when its email failed, without a new token."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.utils import timezone

from invites import delivery
from invites.models import DeliveryStatus


def resend_failed_emails(invite_ids: Iterable[UUID | str]) -> int:
    """Queue again the email of each pending invite among `invite_ids` whose email failed.

    The link stays the same (no refresh): the invitee gets the link they may already
    have been told about. Invites not `failed`, or no longer pending, are left alone;
    returns how many were queued.
    """
    failed = delivery.unsent_invites_of(invite_ids).filter(delivery_status=DeliveryStatus.FAILED)
    return delivery.requeue(list(failed), now=timezone.now())
