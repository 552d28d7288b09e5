"""anymail's signals: name the link in each invite email, record the bounces of links."""

from __future__ import annotations

import logging
from typing import Any

from anymail.signals import EventType

from invites import delivery_state
from invites.emails import LINK_HEADER, parse_link_reference

logger = logging.getLogger(__name__)

METADATA_KEY = "invite_link"
UNDELIVERABLE = (EventType.BOUNCED, EventType.REJECTED, EventType.COMPLAINED)


def add_link_metadata(sender: Any, *, message: Any, esp_name: str, **kwargs: Any) -> None:
    """Copy an invite email's link header into anymail's `metadata`, echoed in events."""
    headers = getattr(message, "extra_headers", None) or {}
    reference = headers.get(LINK_HEADER)
    if reference is None:
        return  # not an invite email
    metadata = dict(getattr(message, "metadata", None) or {})
    metadata[METADATA_KEY] = reference
    message.metadata = metadata


def record_bounce(sender: Any, *, event: Any, esp_name: str, **kwargs: Any) -> None:
    """Mark the invite's current link `bounced` when its email could not be delivered."""
    if event.event_type not in UNDELIVERABLE:
        return
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    link = parse_link_reference(metadata.get(METADATA_KEY)) or parse_link_reference(
        event.message_id
    )
    if link is None:
        return  # not an invite email, or a provider that reports neither
    invite_id, digest = link
    # The normalized type and reason only: the provider's description and the receiving
    # server's response are free text, and may quote the message with its link.
    reason = f"{esp_name} {event.event_type}"
    if event.reject_reason:
        reason += f": {event.reject_reason}"
    if delivery_state.mark_bounced(invite_id, digest, reason):
        logger.info("Invite email for %s %s (%s).", invite_id, event.event_type, reason)
    else:
        logger.info("Bounce report for %s ignored: its link was replaced since.", invite_id)
