import datetime as dt

from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from therapy.encryption import (
    EncryptedCharField,
    EncryptedEmailField,
    contact_digests,
)
from therapy.models import Counselor, Practice
from therapy.timezones import validate_time_zone


class Couple(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        CLOSED = "closed", "Closed"

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="couples")
    counselors = models.ManyToManyField(Counselor, related_name="couples")
    label = models.CharField(
        max_length=120, help_text="How the couple appears in your lists, e.g. “Rivera & Chen”."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # The counselor's choice to see each partner on their own for now: joint features pause
    # exactly as they do while an urgent safety alert is open (see therapy.access).
    individual_work_only = models.BooleanField(
        default=False,
        help_text="Pause joint features: work both partners hand in from now on shows no "
        "side-by-side answers or comparisons in the portal, as when shared answers are kept for "
        "the session, and stays so. What they were already shown stays as it was.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the couple was closed: the retention period runs from here (therapy/retention.py).
    closed_at = models.DateTimeField(null=True, blank=True)

    # Every change, who made it and when: the record's change history (docs/privacy.md).
    history = HistoricalRecords(m2m_fields=[counselors])

    class Meta:
        ordering = ["label"]

    def __str__(self):
        return self.label

    def save(self, *args, **kwargs):
        # Kept with the status whoever changes it: the retention period runs from the closing.
        if self.status == self.Status.CLOSED and self.closed_at is None:
            self.closed_at = timezone.now()
        elif self.status != self.Status.CLOSED:
            self.closed_at = None
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class PartnerQuerySet(models.QuerySet):
    def current(self):
        """Partners still in the couple: a removed partner keeps their past answers only."""
        return self.filter(removed_at__isnull=True)


class Partner(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "Text message"

    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="partners")
    display_name = models.CharField(max_length=80)
    # Contact details are stored encrypted (therapy/encryption.py); the digests beside them
    # find a partner by address or number without decrypting every row.
    email = EncryptedEmailField()
    phone = EncryptedCharField(max_length=32, blank=True)
    email_digest = models.CharField(max_length=64, db_index=True, editable=False, blank=True)
    phone_digest = models.CharField(max_length=64, db_index=True, editable=False, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    quiet_hours_start = models.TimeField(default=dt.time(21, 0))
    quiet_hours_end = models.TimeField(default=dt.time(8, 0))
    preferred_hour = models.PositiveSmallIntegerField(
        default=18, help_text="Local hour (0–23) at which reminders are preferred."
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    reminders_enabled = models.BooleanField(default=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    # A removed partner keeps their past answers for the record but gets nothing more.
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PartnerQuerySet.as_manager()

    # Every change, who made it and when: the record's change history (docs/privacy.md).
    history = HistoricalRecords()

    class Meta:
        ordering = ["couple", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(preferred_hour__lte=23), name="partner_preferred_hour_range"
            ),
        ]

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        for name, digest in contact_digests(self.email, self.phone).items():
            setattr(self, name, digest)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "email_digest", "phone_digest"}
        super().save(*args, **kwargs)

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


class PortalLink(models.Model):
    """A personal sign-in link. Only a hash of its token is kept."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="portal_links")
    token_hash = models.CharField(max_length=64, unique=True)
    # The link is void once the partner's address changes: it was sent to the old one.
    email = EncryptedEmailField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # A link signs a partner in once (docs/privacy.md); this is when it did.
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Link for partner {self.partner_id}"

    def is_usable(self, now: dt.datetime) -> bool:
        return (
            self.revoked_at is None
            and self.used_at is None
            and now < self.expires_at
            and self.email.lower() == self.partner.email.lower()
            and self.partner.removed_at is None
        )
