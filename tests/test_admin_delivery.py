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


def test_the_list_shows_and_filters_the_delivery_state(admin_client, make_invite):
    failed, sent = make_invite(), make_invite()
    Invite.objects.filter(pk=failed.pk).update(
        delivery_status="failed", delivery_attempts=4, delivery_error="SMTPDataError 451"
    )
    Invite.objects.filter(pk=sent.pk).update(delivery_status="sent", delivery_attempts=1)
    url = reverse("admin:invites_invite_changelist")

    response = admin_client.get(url, {"delivery_status__exact": "failed"})

    assert [invite.pk for invite in response.context["cl"].result_list] == [failed.pk]
    assert "Failed (4 attempts, SMTPDataError 451)" in response.content.decode()
    assert "Sent (1 attempt)" in admin_client.get(url).content.decode()


def test_send_again_queues_failed_emails_only_with_the_same_link(
    admin_client, make_invite, dummy_tasks, django_capture_on_commit_callbacks
):
    failed, queued = make_invite(), make_invite()
    dummy_tasks.clear()
    Invite.objects.filter(pk=failed.pk).update(delivery_status="failed", delivery_attempts=4)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:invites_invite_changelist"),
            {"action": "resend_failed_emails", "_selected_action": [failed.pk, queued.pk]},
            follow=True,
        )

    text = response.content.decode()
    assert "The email of 1 invite was queued again." in text
    assert "1 invite was skipped" in text
    [result] = dummy_tasks.results
    assert result.args[0] == [f"{failed.pk}:{failed.token_hash}"]  # the same link
    assert Invite.objects.get(pk=failed.pk).delivery_status == "queued"
