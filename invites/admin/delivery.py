"""The invite list's delivery column and the action that sends a failed email again."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from invites import services
from invites.models import DeliveryStatus, Invite


class DeliveryAdminMixin:
    """For `InviteAdmin`: the `delivery` column and the "send again" action."""

    @admin.display(description=_("delivery"), ordering="delivery_status")
    def delivery(self, invite: Invite) -> str:
        """The state, with the attempts and the error when there are any."""
        label = str(DeliveryStatus(invite.delivery_status).label)
        if not invite.delivery_attempts and not invite.delivery_error:
            return label
        details = [
            ngettext("%(count)d attempt", "%(count)d attempts", invite.delivery_attempts)
            % {"count": invite.delivery_attempts}
        ]
        if invite.delivery_error:
            details.append(invite.delivery_error)
        return f"{label} ({', '.join(details)})"

    @admin.action(description=_("Send the invite email again"), permissions=["change"])
    def resend_failed_emails(self, request: HttpRequest, queryset: QuerySet[Invite]) -> None:
        """Queue again the email of each selected invite whose email failed, same link."""
        selected = list(queryset.values_list("pk", flat=True))
        queued = services.resend_failed_emails(selected)
        model_admin: admin.ModelAdmin[Invite] = self  # type: ignore[assignment]
        if queued:
            model_admin.message_user(
                request,
                ngettext(
                    "The email of %(count)d invite was queued again.",
                    "The emails of %(count)d invites were queued again.",
                    queued,
                )
                % {"count": queued},
                messages.SUCCESS,
            )
        skipped = len(selected) - queued
        if skipped:
            model_admin.message_user(
                request,
                ngettext(
                    "%(count)d invite was skipped: only pending invites whose email failed "
                    "are sent again (refresh the others).",
                    "%(count)d invites were skipped: only pending invites whose email failed "
                    "are sent again (refresh the others).",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
