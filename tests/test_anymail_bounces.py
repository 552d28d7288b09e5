"""Bounces through django-anymail: a provider's webhook marks the current link `bounced`.

Each test posts a Postmark bounce webhook, as Postmark sends it, to anymail's own
tracking view; the email itself went out through anymail's test backend, which runs
anymail's `pre_send` signal like every anymail backend. Skipped where anymail is not
installed, but under CI=true, where it must be.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import uuid

import pytest
from django.core import mail
from django.urls import reverse

from invites import services
from invites.models import Invite
from invites.tasks import deliver_invite_email
from tests.api.helpers import client_for, detail

if os.environ.get("CI") == "true":
    importlib.import_module("anymail")  # CI installs it: a missing one is a failure
else:
    pytest.importorskip("anymail")

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_anymail")]

WEBHOOK = "/anymail/postmark/tracking/"
AUTH = "Basic " + base64.b64encode(b"webhook-user:webhook-password-for-tests").decode()


@pytest.fixture
def anymail_outbox(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    mail.outbox = []
    return mail.outbox


def send(invite: Invite) -> mail.EmailMessage:
    """Run the email task for the invite's current link; return the message sent."""
    stored = Invite.objects.get(pk=invite.pk)
    deliver_invite_email.call(str(stored.pk), stored.token_hash, "created")
    return mail.outbox[-1]


def postmark_bounce(message: mail.EmailMessage, *, bounce_type: str = "HardBounce") -> dict:
    """Postmark's bounce webhook body for `message`: it echoes the message's Metadata."""
    return {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": bounce_type,
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "",
        "MessageID": str(uuid.uuid4()),  # Postmark's own id for the message
        "Metadata": message.metadata,
        "ServerID": 23,
        "MessageStream": "outbound",
        "Description": "The server was unable to deliver your message (ex: unknown user).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": message.to[0],
        "From": "invites@localhost",
        "BouncedAt": "2026-12-02T07:00:00Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": message.subject,
    }


def post(client, body: dict) -> int:
    response = client.post(
        WEBHOOK, data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=AUTH
    )
    return response.status_code


def test_invite_emails_carry_their_link_without_the_token(pending_invite, anymail_outbox):
    message = send(pending_invite)

    reference = f"{pending_invite.pk}:{pending_invite.token_hash}"
    assert message.extra_headers["X-Invite-Link"] == reference
    assert message.metadata == {"invite_link": reference}
    assert pending_invite.token not in json.dumps(message.metadata)
    assert pending_invite.token not in str(message.message()["Message-ID"])


def test_a_postmark_bounce_shows_in_the_admin_and_the_api(
    client, admin_client, admin_user, pending_invite, anymail_outbox
):
    api_admin = client_for(admin_user)
    message = send(pending_invite)

    assert post(client, postmark_bounce(message)) == 200

    stored = Invite.objects.get(pk=pending_invite.pk)
    assert (stored.delivery_status, stored.delivery_error) == (
        "bounced",
        "Postmark bounced: bounced",
    )
    assert "does not exist" not in stored.delivery_error  # never the receiving server's text
    delivery = api_admin.get(detail(pending_invite)).json()["delivery"]
    assert (delivery["status"], delivery["error"]) == ("bounced", "Postmark bounced: bounced")
    listed = admin_client.get(
        reverse("admin:invites_invite_changelist"), {"delivery_status__exact": "bounced"}
    )
    assert [invite.pk for invite in listed.context["cl"].result_list] == [pending_invite.pk]
    assert "Bounced (1 attempt, Postmark bounced: bounced)" in listed.content.decode()


def test_a_complaint_and_a_rejection_count_as_bounced(client, make_invite, anymail_outbox):
    complained, rejected = make_invite(), make_invite()

    post(client, postmark_bounce(send(complained), bounce_type="SpamComplaint"))
    post(client, postmark_bounce(send(rejected), bounce_type="BadEmailAddress"))

    assert Invite.objects.get(pk=complained.pk).delivery_error == "Postmark complained: spam"
    assert Invite.objects.get(pk=rejected.pk).delivery_error == "Postmark rejected: invalid"
    assert {i.delivery_status for i in Invite.objects.all()} == {"bounced"}


def test_a_bounce_of_an_old_link_leaves_the_new_one_alone(client, pending_invite, anymail_outbox):
    old_message = send(pending_invite)
    services.refresh_invite_tokens([pending_invite.pk])

    assert post(client, postmark_bounce(old_message)) == 200

    assert Invite.objects.get(pk=pending_invite.pk).delivery_status == "queued"


def test_found_by_message_id_where_the_provider_reports_it(client, pending_invite, anymail_outbox):
    message = send(pending_invite)
    body = postmark_bounce(message)
    # A provider that does not echo metadata but reports the message's own Message-ID.
    del body["Metadata"]
    body["MessageID"] = str(message.message()["Message-ID"])

    post(client, body)

    assert Invite.objects.get(pk=pending_invite.pk).delivery_status == "bounced"


def test_other_events_and_other_emails_change_nothing(client, pending_invite, anymail_outbox):
    message = send(pending_invite)
    delivered = {**postmark_bounce(message), "RecordType": "Delivery"}
    other = {**postmark_bounce(message), "Metadata": {"campaign": "newsletter"}}
    other["MessageID"] = str(uuid.uuid4())

    assert post(client, delivered) == 200
    assert post(client, other) == 200

    assert Invite.objects.get(pk=pending_invite.pk).delivery_status == "sent"
