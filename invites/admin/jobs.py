"""The progress page of a background admin job (`invites.jobs`), and its JSON status.

A large import confirm or bulk refresh submits a job and redirects here; the page polls
`status/` once a second, moves its progress bar, and reloads itself when the job ends
to show the result and the bad rows.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from invites import jobs
from invites.admin.preview import CODE_LABELS
from invites.exceptions import InviteAlreadyAccepted, InviteDeclined, InviteNotFound
from invites.models import AdminJob, AdminJobKind

# What a bad row's code says on the page: an import's, as its preview says it, and why
# a refresh refused an invite.
BAD_ROW_LABELS = {
    **CODE_LABELS,
    InviteNotFound.code: _("deleted"),
    InviteAlreadyAccepted.code: _("accepted"),
    InviteDeclined.code: _("declined"),
}


class AdminJobsMixin(admin.ModelAdmin):
    """`InviteAdmin`'s job pages, at `jobs/<id>/` and `jobs/<id>/status/`."""

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        urls = [
            path(
                "jobs/<uuid:job_id>/",
                self.admin_site.admin_view(self.job_view),
                name=f"{prefix}_job",
            ),
            path(
                "jobs/<uuid:job_id>/status/",
                self.admin_site.admin_view(self.job_status_view),
                name=f"{prefix}_job_status",
            ),
        ]
        return [*urls, *super().get_urls()]

    def job_url(self, job: AdminJob) -> str:
        return reverse("admin:invites_invite_job", args=[job.pk], current_app=self.admin_site.name)

    def get_job(self, request: HttpRequest, job_id: UUID) -> AdminJob:
        """The job, if the admin may run its kind of work (import: add; refresh: change)."""
        job = AdminJob.objects.filter(pk=job_id).first()
        if job is None:
            raise Http404
        allowed = (
            self.has_add_permission(request)
            if job.kind == AdminJobKind.IMPORT
            else self.has_change_permission(request)
        )
        if not allowed:
            raise PermissionDenied
        return job

    def job_view(self, request: HttpRequest, job_id: UUID) -> HttpResponse:
        job = self.get_job(request, job_id)
        jobs.recover_jobs()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": job_title(job),
            "job": job,
            "bad_rows": [
                {**row, "label": BAD_ROW_LABELS.get(row.get("code", ""), row.get("code", ""))}
                for row in job.bad_rows
            ],
            "status_url": reverse(
                "admin:invites_invite_job_status", args=[job.pk], current_app=self.admin_site.name
            ),
            "changelist_url": reverse(
                "admin:invites_invite_changelist", current_app=self.admin_site.name
            ),
        }
        return TemplateResponse(request, "admin/invites/invite/job.html", context)

    def job_status_view(self, request: HttpRequest, job_id: UUID) -> JsonResponse:
        job = self.get_job(request, job_id)
        if jobs.recover_jobs():
            job.refresh_from_db()
        return JsonResponse(job_status(job))


def job_title(job: AdminJob) -> Any:
    if job.kind == AdminJobKind.IMPORT:
        return _("Importing invites")
    return _("Refreshing invites")


def job_status(job: AdminJob) -> dict[str, Any]:
    """What the progress page polls: the state, the counts, and the result once ended."""
    return {
        "id": str(job.pk),
        "kind": job.kind,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "finished": job.is_finished,
        "result": job.result if job.is_finished else None,
    }
