"""The invite list's bulk action "Refresh tokens and resend"."""

from __future__ import annotations

from uuid import UUID

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from invites import jobs, services
from invites.admin.jobs import AdminJobsMixin
from invites.conf import invites_settings
from invites.exceptions import InviteAlreadyAccepted, InviteDeclined, InviteNotFound
from invites.models import AdminJobKind, Invite


class RefreshActionMixin(AdminJobsMixin):
    """`InviteAdmin`'s action `refresh_tokens`, through `refresh_invite_tokens`."""

    @admin.action(description=_("Refresh tokens and resend"), permissions=["change"])
    def refresh_tokens(
        self, request: HttpRequest, queryset: QuerySet[Invite]
    ) -> HttpResponse | None:
        """Give the selected open invites a new token and expiry, and resend them; accepted
        and declined ones are skipped and counted."""
        ids, accepted, declined = [], 0, 0
        for pk, is_accepted, declined_at in queryset.values_list("pk", "accepted", "declined_at"):
            if is_accepted:
                accepted += 1
            elif declined_at is not None:
                declined += 1
            else:
                ids.append(pk)
        if len(ids) > invites_settings.BACKGROUND_REFRESH_IDS:
            return self.submit_refresh(request, ids, accepted=accepted, declined=declined)
        try:
            refreshed = services.refresh_invite_tokens(ids)
        except InviteNotFound as error:
            message = ngettext(
                "Nothing was refreshed: %(count)d selected invite was deleted meanwhile. "
                "Reload the list and try again.",
                "Nothing was refreshed: %(count)d selected invites were deleted meanwhile. "
                "Reload the list and try again.",
                len(error.ids),
            )
            self.message_user(request, message % {"count": len(error.ids)}, messages.ERROR)
            return None
        except InviteAlreadyAccepted as error:
            message = ngettext(
                "Nothing was refreshed: %(count)d selected invite was accepted meanwhile. "
                "Reload the list and try again.",
                "Nothing was refreshed: %(count)d selected invites were accepted meanwhile. "
                "Reload the list and try again.",
                len(error.ids),
            )
            self.message_user(request, message % {"count": len(error.ids)}, messages.ERROR)
            return None
        except InviteDeclined as error:
            message = ngettext(
                "Nothing was refreshed: %(count)d selected invite was declined meanwhile. "
                "Reload the list and try again.",
                "Nothing was refreshed: %(count)d selected invites were declined meanwhile. "
                "Reload the list and try again.",
                len(error.ids),
            )
            self.message_user(request, message % {"count": len(error.ids)}, messages.ERROR)
            return None
        self.report(request, refreshed=len(refreshed), accepted=accepted, declined=declined)
        return None

    def submit_refresh(
        self, request: HttpRequest, ids: list[UUID], *, accepted: int, declined: int
    ) -> HttpResponse:
        """Hand a very large refresh to a background job, and show its progress page.

        The same selection submitted again while its job is unfinished finds that job;
        once it has ended, the selection may be refreshed again.
        """
        values = sorted(str(pk) for pk in ids)
        job = jobs.submit_job(
            AdminJobKind.REFRESH,
            key=jobs.job_key(AdminJobKind.REFRESH, "\n".join(values)),
            input={"ids": values, "accepted": accepted, "declined": declined},
            total=len(values),
            created_by=request.user if request.user.is_authenticated else None,
            repeatable=True,
        )
        return HttpResponseRedirect(self.job_url(job))

    def report(self, request: HttpRequest, *, refreshed: int, accepted: int, declined: int) -> None:
        """What the action did: how many were refreshed, and how many skipped and why."""
        if refreshed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d invite was given a new token and resent.",
                    "%(count)d invites were given a new token and resent.",
                    refreshed,
                )
                % {"count": refreshed},
                messages.SUCCESS,
            )
        if accepted:
            self.message_user(
                request,
                ngettext(
                    "%(count)d invite was skipped because it has been accepted already.",
                    "%(count)d invites were skipped because they have been accepted already.",
                    accepted,
                )
                % {"count": accepted},
                messages.WARNING,
            )
        if declined:
            self.message_user(
                request,
                ngettext(
                    "%(count)d invite was skipped because the invitee declined it.",
                    "%(count)d invites were skipped because their invitees declined them.",
                    declined,
                )
                % {"count": declined},
                messages.WARNING,
            )
