from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from therapy.encryption import EncryptedTextField
from therapy.timezones import validate_time_zone

DEFAULT_SUPPORT_MESSAGE = (
    "If you are in danger now, call your local emergency number. "
    "You can also talk to your counselor on your own, before your next joint session."
)


class Practice(models.Model):
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # Shown to a partner whose answers raised an urgent safety alert, and to no one else.
    support_message = models.TextField(default=DEFAULT_SUPPORT_MESSAGE)
    # [{"name": ..., "phone": ..., "url": ...}]: helplines and services the practice trusts.
    support_contacts = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Counselor(models.Model):
    class Role(models.TextChoices):
        COUNSELOR = "counselor", "Counselor"
        PRACTICE_ADMIN = "practice_admin", "Practice admin"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="counselor"
    )
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="counselors")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.COUNSELOR)
    alert_by_email = models.BooleanField(
        default=False, help_text="Also e-mail me when a partner misses the last reminder."
    )

    class Meta:
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def is_practice_admin(self) -> bool:
        return self.role == self.Role.PRACTICE_ADMIN


class CounselingSession(models.Model):
    """An appointment with a couple. Drives "before your session" reminders and the brief."""

    couple = models.ForeignKey("clients.Couple", on_delete=models.CASCADE, related_name="sessions")
    counselor = models.ForeignKey(Counselor, on_delete=models.PROTECT, related_name="sessions")
    starts_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    # Every change, who made it and when: the record's change history (docs/privacy.md).
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at"]

    def __str__(self):
        return f"Session with {self.couple} at {self.starts_at:%Y-%m-%d %H:%M} UTC"


class Alert(models.Model):
    """Something about a couple that needs the counselor's attention."""

    class Kind(models.TextChoices):
        MISSED_WORK = "missed_work", "Worksheet still open after the last reminder"
        MISSED_TWICE = "missed_twice", "Two check-ins missed in a row"
        DELIVERY_FAILED = "delivery_failed", "A reminder could not be delivered"
        CONCERN_BAND = "concern_band", "A score in its concern band"
        GAP_WIDENED = "gap_widened", "The partners' gap widened"
        PATTERN = "pattern", "A pattern between the partners"
        SAFETY = "safety", "Urgent: a partner's answer may signal fear or harm"

    couple = models.ForeignKey("clients.Couple", on_delete=models.CASCADE, related_name="alerts")
    response = models.ForeignKey(
        "worksheets.Response",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alerts",
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # What a standing concern is about (a partner's subscale), so that it is raised once and
    # not again every week until the counselor has acknowledged it. Blank for events.
    subject = models.CharField(max_length=60, blank=True)
    reason = models.TextField()
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        Counselor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What the counselor did about an urgent alert; required to acknowledge one.
    follow_up_note = EncryptedTextField(blank=True, max_length=2000)
    # For a safety alert: the keys of the items whose answers raised it.
    signal_keys = models.JSONField(default=list, blank=True)

    # Every change, who made it and when: the record's change history (docs/privacy.md).
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One alert of a kind per response: raising it twice is a no-op. A safety alert
            # may be raised again for the same response once the first was acknowledged, when
            # a later save brings a new signal.
            models.UniqueConstraint(
                fields=["response", "kind"],
                condition=~models.Q(kind="safety"),
                name="one_alert_per_response_kind",
            ),
            # One open alert per standing concern.
            models.UniqueConstraint(
                fields=["couple", "kind", "subject"],
                condition=models.Q(acknowledged_at__isnull=True) & ~models.Q(subject=""),
                name="one_open_alert_per_subject",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.couple}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None

    @property
    def is_urgent(self) -> bool:
        return self.kind == self.Kind.SAFETY


class CounselorNote(models.Model):
    """A counselor's own note about a couple. Never shown to the partners."""

    couple = models.ForeignKey("clients.Couple", on_delete=models.CASCADE, related_name="notes")
    counselor = models.ForeignKey(Counselor, on_delete=models.PROTECT, related_name="notes")
    text = EncryptedTextField(max_length=5000)
    created_at = models.DateTimeField()

    # Every change, who made it and when: the record's change history (docs/privacy.md).
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Note on {self.couple} by {self.counselor}"


class AccessLog(models.Model):
    """Who looked at which couple's data, and when. Rows are only ever added."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The log outlives the couple it names (for the retention period): no database link, and
    # the practice kept beside it so that its practice admins still read it.
    couple = models.ForeignKey(
        "clients.Couple",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, null=True, related_name="+"
    )
    what = models.CharField(max_length=200)
    path = models.CharField(max_length=500)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["couple", "-at"], name="accesslog_couple_at")]

    def __str__(self):
        return f"{self.user} viewed {self.what} at {self.at:%Y-%m-%d %H:%M}"


class Erasure(models.Model):
    """That a partner or a couple was erased: by whom, when and why, and nothing else. Its ids
    name rows that no longer exist (clients/partner_rights.py)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    couple_id = models.BigIntegerField()
    partner_id = models.BigIntegerField(null=True, blank=True)  # empty: the whole couple
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.CharField(max_length=200)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        what = f"partner #{self.partner_id}" if self.partner_id else f"couple #{self.couple_id}"
        return f"Erased {what} at {self.at:%Y-%m-%d %H:%M}"


class ApiKey(models.Model):
    """A practice's key for its other systems (therapy/api_keys.py). Only a digest of the key
    is kept; the key itself is shown once, when it is made."""

    class Scope(models.TextChoices):
        READ = "read", "Read"
        READ_WRITE = "read_write", "Read and write"

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField(max_length=100, help_text="Which system uses this key.")
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.READ)
    # The key's public part, to tell keys apart; the secret part follows it in the key.
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)  # SHA-256, hex
    # The account the access log names for this key's reads. It cannot sign in.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_key", editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.prefix})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.READ_WRITE


class IdempotentRequest(models.Model):
    """A POST made with an `Idempotency-Key` (therapy/idempotency.py): the same key again from
    the same caller gets the first answer back instead of a second change. Kept for a day."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", editable=False
    )
    key = models.CharField(max_length=255, editable=False)
    method = models.CharField(max_length=10, editable=False)
    path = models.CharField(max_length=500, editable=False)
    # SHA-256 of the request body, hex: the same key with a different body is refused.
    request_digest = models.CharField(max_length=64, editable=False)
    status_code = models.PositiveSmallIntegerField(editable=False)
    response_body = models.JSONField(null=True, editable=False)
    created_at = models.DateTimeField(editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_request_per_idempotency_key")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotent_request_age")]

    def __str__(self):
        return f"{self.method} {self.path} ({self.key})"


class WebhookSubscription(models.Model):
    """A URL of the practice's other systems that is told of events (therapy/webhooks.py).

    Deliveries are outbox rows (worksheets.models.Reminder, kind "webhook"). The signing
    secret is kept encrypted, since signing needs it back; it is shown once, when it is made
    or rotated."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"

    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, related_name="webhook_subscriptions"
    )
    url = models.URLField(max_length=500, help_text="Where events are posted: an https address.")
    # Event types, from therapy.webhooks.EVENT_TYPES.
    events = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # Why it was paused, when the receiver asked for it (410 Gone); blank when paused by hand.
    paused_reason = models.CharField(max_length=200, blank=True, editable=False)
    secret = EncryptedTextField(max_length=200, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(editable=False)
    secret_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "webhook subscription"

    def __str__(self):
        return self.url

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE
