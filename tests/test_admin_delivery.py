"""The admin shows where an invite's email stands: sent, queued, last emailed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from invites.models import Invite

pytestmark = pytest.mark.django_db


def test_change_page_shows_queued_and_last_emailed(admin_client, pending_invite):
    Invite.objects.filter(pk=pending_invite.pk).update(
        queued_at=datetime(2030, 5, 6, 7, 8, tzinfo=UTC),
        last_emailed_at=datetime(2030, 5, 6, 7, 9, tzinfo=UTC),
    )

    url = reverse("admin:invites_invite_change", args=[pending_invite.pk])
    text = admin_client.get(url).content.decode()

    assert "Queued at" in text and "Last emailed at" in text
    assert "May 6, 2030, 7:08" in text and "May 6, 2030, 7:09" in text


def test_the_not_sent_yet_filter_lists_invites_whose_current_link_is_unsent(
    admin_client, make_invite
):
    sent, unsent = make_invite(), make_invite()
    Invite.objects.filter(pk=sent.pk).update(sent_at=datetime(2030, 1, 1, tzinfo=UTC))

    response = admin_client.get(reverse("admin:invites_invite_changelist"), {"sent": "no"})

    assert [invite.pk for invite in response.context["cl"].result_list] == [unsent.pk]
