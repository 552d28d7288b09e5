"""The `Invite` model and its QuerySet."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invites import addresses


def email_key(email: str) -> str:
    """The form under which two emails count as the same: NFKC, then casefold, then the
    domain in its IDNA (punycode) form (`invites.addresses.email_key`)."""
    return addresses.email_key(email)


def email_domain(key: str) -> str:
    """The domain part of an `email_key`: what follows its last `@`."""
    return key.rpartition("@")[2]


class InviteStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    EXPIRED = "expired", _("Expired")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class DeliveryStatus(models.TextChoices):
    """Where the email of an invite's current link stands."""

    NOT_SENT = "not_sent", _("Not sent")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Retrying")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")


# Open: neither accepted nor declined. Accepted and declined invites are history; only
# open ones block a new invite for the same email and target.
OPEN = Q(accepted=False, declined_at__isnull=True)


LIVE = Q(deleted_at__isnull=True)


def _list_index(name: str, *fields: str, condition: Q = LIVE, **kwargs: Any) -> models.Index:
    """An index of the invite lists: over live rows, ending in `id`, the lists' tie-breaker,
    so that one index serves a sort both ways (see `invites.ordering`)."""
    return models.Index(fields=[*fields, "id"], name=name, condition=condition, **kwargs)


# What the admin changelist and the API list filter and sort by, each served by an index
# on SQLite and PostgreSQL alike: a page costs the same at a thousand invites and at a
# million. The status filters get partial indexes in the default order (newest first).
LIST_INDEXES = [
    _list_index("invites_live_created_idx", "created_at"),
    _list_index("invites_open_created_idx", "created_at", condition=LIVE & OPEN),
    _list_index("invites_accepted_created_idx", "created_at", condition=LIVE & Q(accepted=True)),
    _list_index(
        "invites_declined_created_idx",
        "created_at",
        condition=LIVE & Q(declined_at__isnull=False),
    ),
    _list_index("invites_unsent_created_idx", "created_at", condition=LIVE & Q(sent_at=None)),
    _list_index("invites_delivery_created_idx", "delivery_status", "created_at"),
    _list_index("invites_target_type_idx", "target_type", "created_at"),
    _list_index("invites_target_idx", "target_type", "target_id", "created_at"),
    _list_index("invites_domain_idx", "email_domain", "created_at"),
    _list_index("invites_email_idx", "email"),
    _list_index("invites_expires_idx", "expires_at"),
    _list_index("invites_updated_idx", "updated_at"),
    _list_index("invites_accepted_at_idx", "accepted_at"),
    _list_index("invites_sent_at_idx", "sent_at"),
    # The email search is a prefix search on `email_key`: on PostgreSQL a LIKE 'q%',
    # which needs the pattern operator class; elsewhere a range, which needs none.
    models.Index(
        fields=["email_key"],
        name="invites_email_key_idx",
        condition=LIVE,
        opclasses=["varchar_pattern_ops"],
    ),
]


class InviteQuerySet(models.QuerySet["Invite"]):
    def open(self) -> InviteQuerySet:
        """Neither accepted nor declined, expired or not."""
        return self.filter(OPEN)

    def pending(self) -> InviteQuerySet:
        """Open and not yet expired."""
        return self.filter(OPEN, expires_at__gt=timezone.now())

    def expired(self) -> InviteQuerySet:
        """Open and past `expires_at`."""
        return self.filter(OPEN, expires_at__lte=timezone.now())

    def accepted(self) -> InviteQuerySet:
        return self.filter(accepted=True)

    def declined(self) -> InviteQuerySet:
        return self.filter(declined_at__isnull=False)

    def with_status(self, status: str) -> InviteQuerySet:
        """Filter by an `InviteStatus` value."""
        return {
            InviteStatus.PENDING: self.pending,
            InviteStatus.EXPIRED: self.expired,
            InviteStatus.ACCEPTED: self.accepted,
            InviteStatus.DECLINED: self.declined,
        }[InviteStatus(status)]()

    def live(self) -> InviteQuerySet:
        """Not soft-deleted."""
        return self.filter(deleted_at__isnull=True)

    def purgeable(self, before: datetime) -> InviteQuerySet:
        """Not accepted, and soft-deleted before `before` or expired before it.

        Use it on `Invite.all_objects`. Accepted invites are never purgeable: they
        record how a user joined.
        """
        return self.filter(accepted=False).filter(
            Q(deleted_at__lt=before) | Q(deleted_at__isnull=True, expires_at__lt=before)
        )


class LiveInviteManager(models.Manager["Invite"]):
    """`Invite.objects`: soft-deleted invites are left out."""

    def get_queryset(self) -> InviteQuerySet:
        return InviteQuerySet(self.model, using=self._db).live()


class Invite(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(_("email"), max_length=254)
    # `email_key(email)`: what the database's uniqueness is enforced on, since neither
    # SQLite nor PostgreSQL has a portable casefold() or IDNA encoding to index on.
    email_key = models.CharField(max_length=254, editable=False)
    # The domain of `email_key`, stored so that "everyone at a domain" is an index lookup.
    email_domain = models.CharField(max_length=254, editable=False, default="")
    accepted = models.BooleanField(_("accepted"), default=False)
    token_hash = models.CharField(_("token digest"), max_length=64, unique=True, editable=False)
    token_nonce = models.CharField(max_length=64, editable=False)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    metadata = models.JSONField(_("metadata"), null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    # When the email carrying the current link went to the email backend; every refresh
    # mints a new link and so clears it.
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    # When the email of the current link was queued, or is due when it was deferred:
    # `send_invite_emails` queues again only links unsent long after this.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True, editable=False)
    # When an invite email last started going out, whatever its link: the per-invitee
    # cooldown (`INVITES["EMAIL_COOLDOWN"]`) counts from it, so a refresh leaves it alone.
    last_emailed_at = models.DateTimeField(
        _("last emailed at"), null=True, blank=True, editable=False
    )
    # The email of the current link: every write is keyed on (id, token_hash), so news
    # about an older link never lands on a newer one; a refresh resets all three.
    delivery_status = models.CharField(
        _("delivery status"),
        max_length=16,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.NOT_SENT,
        editable=False,
    )
    delivery_attempts = models.PositiveIntegerField(
        _("delivery attempts"), default=0, editable=False
    )
    # The error's class and SMTP code, or the bounce reason: never a server's reply text,
    # which may quote the message and with it the link.
    delivery_error = models.CharField(
        _("delivery error"), max_length=200, blank=True, default="", editable=False
    )
    # What the invite is into (a team, an organisation, a project): any model instance
    # of the project, or none for an invite to the site itself. The id is a string so
    # that integer, UUID and string primary keys all fit.
    target_type = models.ForeignKey(
        ContentType,
        verbose_name=_("target type"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # NULL, not "", for no target: it pairs with a NULL `target_type` (checked below).
    target_id = models.CharField(  # noqa: DJ001
        _("target id"), max_length=64, null=True, blank=True
    )
    target = GenericForeignKey("target_type", "target_id")
    role = models.CharField(_("role"), max_length=64, blank=True, default="")
    groups = models.ManyToManyField(
        "auth.Group", verbose_name=_("groups"), blank=True, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    declined_at = models.DateTimeField(_("declined at"), null=True, blank=True)

    # Not a field: the raw token, set only on instances returned by a service that
    # minted one (create, refresh). Anywhere else the attribute does not exist.
    token: str

    objects = LiveInviteManager.from_queryset(InviteQuerySet)()
    all_objects = InviteQuerySet.as_manager()

    class Meta:
        verbose_name = _("invite")
        verbose_name_plural = _("invites")
        ordering = ["-created_at"]
        # One open invite per email and target. NULLs are distinct in a unique index,
        # so invites to the site itself (no target) get a constraint of their own.
        constraints = [
            models.UniqueConstraint(
                fields=["email_key"],
                condition=OPEN & Q(deleted_at__isnull=True, target_type__isnull=True),
                name="invites_unique_open_site_email",
                violation_error_message=_("An invite already exists for this email."),
            ),
            models.UniqueConstraint(
                fields=["email_key", "target_type", "target_id"],
                condition=OPEN & Q(deleted_at__isnull=True, target_type__isnull=False),
                name="invites_unique_open_target_email",
                violation_error_message=_("An invite already exists for this email and target."),
            ),
            models.CheckConstraint(
                condition=Q(target_type__isnull=True, target_id__isnull=True)
                | Q(target_type__isnull=False, target_id__isnull=False),
                name="invites_target_whole_or_none",
            ),
        ]
        indexes = LIST_INDEXES

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email_key = email_key(self.email)
        self.email_domain = email_domain(self.email_key)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "email" in update_fields:
            kwargs["update_fields"] = {*update_fields, "email_key", "email_domain"}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return not self.accepted and self.declined_at is None

    @property
    def is_expired(self) -> bool:
        return self.is_open and self.expires_at <= timezone.now()

    @property
    def is_declined(self) -> bool:
        return self.declined_at is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def status(self) -> InviteStatus:
        """`accepted`, `declined`, `expired` (open, past `expires_at`) or `pending`."""
        if self.accepted:
            return InviteStatus.ACCEPTED
        if self.is_declined:
            return InviteStatus.DECLINED
        if self.is_expired:
            return InviteStatus.EXPIRED
        return InviteStatus.PENDING


class AdminJobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class AdminJobKind(models.TextChoices):
    IMPORT = "import", _("import")
    REFRESH = "refresh", _("refresh")


class AdminJob(models.Model):
    """Admin work too long for one request (a large import or refresh), run as a task.

    `input` holds what the task needs (the import's text and choices, or invite ids;
    never a raw token) until the job ends. `key` is a digest of the submitted input:
    submitting it again finds this job instead of starting another.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=AdminJobKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=AdminJobStatus.choices, default=AdminJobStatus.QUEUED
    )
    key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    input = models.JSONField(_("input"), null=True, blank=True)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)
    # At most `invites.jobs.MAX_BAD_ROWS` rows; `result["bad_rows"]` counts them all.
    bad_rows = models.JSONField(_("bad rows"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("heartbeat at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("admin job")
        verbose_name_plural = _("admin jobs")
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="invites_job_status_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (AdminJobStatus.DONE, AdminJobStatus.FAILED)
