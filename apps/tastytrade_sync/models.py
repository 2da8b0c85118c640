from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, When
from django.utils import timezone

from apps.core.models import TimestampedModel

from . import crypto


class Connection(TimestampedModel):
    """One set of TastyTrade OAuth credentials belonging to a user; it discovers broker accounts."""

    class Environment(models.TextChoices):
        PRODUCTION = "production", "TastyTrade (live)"
        SANDBOX = "sandbox", "TastyTrade sandbox (cert)"
        SIMULATOR = "simulator", "Local simulator"

    class Method(models.TextChoices):
        PERSONAL_GRANT = "personal", "Personal OAuth grant"
        AUTHORIZATION_CODE = "oauth", "Connect with TastyTrade"

    class Status(models.TextChoices):
        ACTIVE = "active", "Connected"
        NEEDS_RECONNECT = "reconnect", "Needs reconnecting"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="connections")
    # Associated data for the encrypted fields: binds each ciphertext to this row.
    secret_context = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    label = models.CharField(max_length=100, blank=True)
    environment = models.CharField(max_length=16, choices=Environment.choices, default=Environment.PRODUCTION)
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.PERSONAL_GRANT)
    encrypted_client_secret = models.TextField(blank=True, editable=False)
    encrypted_refresh_token = models.TextField(blank=True, editable=False)
    secret_hint = models.CharField(max_length=16, blank=True, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    status_detail = models.CharField(max_length=300, blank=True)
    # One sync per connection (and so per account) at a time: an expiring lease, renewed per page.
    lease_token = models.CharField(max_length=32, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.label or f"{self.get_environment_display()} connection"

    def _context(self, field: str) -> str:
        return f"tastytrade_sync.connection:{self.secret_context}:{field}"

    def set_credentials(self, *, client_secret: str, refresh_token: str) -> None:
        self.encrypted_client_secret = crypto.encrypt(client_secret, context=self._context("client_secret"))
        self.encrypted_refresh_token = crypto.encrypt(refresh_token, context=self._context("refresh_token"))
        self.secret_hint = crypto.hint(refresh_token)

    @property
    def client_secret(self) -> str:
        return crypto.decrypt(self.encrypted_client_secret, context=self._context("client_secret"))

    @property
    def refresh_token(self) -> str:
        return crypto.decrypt(self.encrypted_refresh_token, context=self._context("refresh_token"))

    @property
    def has_credentials(self) -> bool:
        return bool(self.encrypted_refresh_token)


class SyncRunQuerySet(models.QuerySet):
    def active(self) -> SyncRunQuerySet:
        """Runs with work left (see SyncRun.is_active): one per connection at most."""
        return self.filter(status__in=SyncRun.ACTIVE_STATUSES)

    def waiting(self) -> SyncRunQuerySet:
        """Runs with work left that no live process carries: queued, paused, or left running by a
        process that died (a live sync holds its connection's lease), except runs TastyTrade asked
        to wait (Retry-After) until their time comes. Fresh requests first."""
        now = timezone.now()
        free = Q(connection__lease_expires_at__isnull=True) | Q(connection__lease_expires_at__lt=now)
        due = Q(resume_after__isnull=True) | Q(resume_after__lte=now)
        return self.active().filter(free, due).order_by(Case(When(status="queued", then=0), default=1), "started_at")


class SyncRun(models.Model):
    """One sync of one connection: what triggered it, how it ended, what it wrote."""

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Sync now"
        LOGIN = "login", "Sign-in"
        SCHEDULE = "schedule", "Scheduled"
        CONNECT = "connect", "New connection"
        CONTINUE = "continue", "Continued"

    class Status(models.TextChoices):
        QUEUED = "queued", "Starting"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Paused (continues)"
        INCOMPLETE = "incomplete", "Incomplete"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Already syncing"

    # Still has work to do: a worker (or the open page) carries it on. The one definition of "active".
    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING, Status.PARTIAL)

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    accounts_total = models.PositiveIntegerField(default=0)
    accounts_done = models.PositiveIntegerField(default=0)
    fetched = models.PositiveIntegerField(default=0)
    inserted = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=32, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    # A paused run TastyTrade asked to wait (Retry-After): nothing resumes it before this time.
    resume_after = models.DateTimeField(null=True, blank=True)
    # The django.tasks result id of the slice last queued for this run: whether a worker still has it.
    task_id = models.CharField(max_length=64, blank=True, editable=False)

    objects = SyncRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["connection", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} sync at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self):
        return (self.finished_at - self.started_at) if self.finished_at else None

    @property
    def is_active(self) -> bool:
        """Still has work to do: the page keeps asking it to continue."""
        return self.status in self.ACTIVE_STATUSES


class AccountSync(models.Model):
    """Where the sync of one broker account stands: its checkpoint and its last outcome."""

    account = models.OneToOneField("trades.BrokerAccount", on_delete=models.CASCADE, related_name="sync_state")
    # Transactions dated before this day are committed; the next run re-reads from here minus the overlap.
    checkpoint = models.DateField(null=True, blank=True)
    # The run that last finished with this account, synced or failed (then last_error_* say why).
    completed_run = models.ForeignKey(SyncRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error_code = models.CharField(max_length=32, blank=True)
    last_error_message = models.CharField(max_length=500, blank=True)
    incomplete_detail = models.CharField(max_length=500, blank=True)
    # Days of windows that came short of TastyTrade's total even when read twice. The checkpoint
    # still moves on (the run must end), so the next run reads these days again, once: `recheck_run`
    # is the run that last read them, whose later slices go on without going back.
    recheck_from = models.DateField(null=True, blank=True)
    recheck_to = models.DateField(null=True, blank=True)
    recheck_run = models.ForeignKey(SyncRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The deep check of the days before the overlap (weekly, or on demand when cleared): when it
    # last finished, and the day it continues from when a run paused in the middle of it.
    deep_checked_at = models.DateTimeField(null=True, blank=True)
    deep_check_from = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sync state of {self.account}"
