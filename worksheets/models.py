import datetime as dt
from zoneinfo import ZoneInfo

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from clients.models import Couple, Partner
from therapy.encryption import EncryptedJSONField
from therapy.models import Counselor


class WorksheetTemplate(models.Model):
    """One version of a worksheet. A version that has been assigned never changes."""

    slug = models.SlugField(max_length=80)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    purpose = models.TextField()
    instructions = models.TextField()
    estimated_minutes = models.PositiveSmallIntegerField()
    counselor_notes = models.TextField(blank=True)
    discussion_prompts = models.JSONField(default=list, blank=True)
    # The constructs and research findings the worksheet draws on, for counselors.
    grounding = models.JSONField(default=dict, blank=True)
    scoring = models.JSONField(default=dict, blank=True)
    # A safety check: partners are told before answering that the counselor reads it soon and
    # the other partner never does, and its reminders never name it.
    is_safety_check = models.BooleanField(default=False)
    source_hash = models.CharField(max_length=64, help_text="Hash of the file it was loaded from.")
    created_at = models.DateTimeField(auto_now_add=True)

    # Every change, who made it and when: the record's change history (docs/privacy.md).
    history = HistoricalRecords()

    class Meta:
        ordering = ["title", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="template_slug_version"),
        ]

    def __str__(self):
        return f"{self.title} (v{self.version})"


class WorksheetItem(models.Model):
    class Kind(models.TextChoices):
        AGREEMENT = "agreement", "Agreement scale"
        SINGLE_CHOICE = "single_choice", "Single choice"
        MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
        TEXT = "text", "Free text"
        SCALE = "scale", "0–10 scale"
        TIME_SPLIT = "time_split", "Time split (hours per week)"
        PERCEPTION = "perception", "How do you think your partner answered?"

    class Visibility(models.TextChoices):
        PRIVATE = "private", "Private: the partner and the counselor"
        SHARED = "shared", "Shared with the other partner once both have submitted"
        NEVER = "never", "Never shown to the other partner"

    template = models.ForeignKey(WorksheetTemplate, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    section = models.CharField(max_length=120, blank=True)
    key = models.SlugField(max_length=60)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    prompt = models.TextField()
    help_text = models.TextField(blank=True)
    required = models.BooleanField(default=True)
    subscale = models.CharField(max_length=40, blank=True)
    reverse_keyed = models.BooleanField(default=False)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    # Kind-specific settings: anchors, choices, length limit, categories, the item a
    # perception item is about.
    options = models.JSONField(default=dict, blank=True)
    # The answers that count as a safety signal: saving one raises an urgent alert at once.
    signal_answers = models.JSONField(default=list, blank=True)
    # A written answer meant for the counselor: it appears in the counselor-only part of the
    # brief and the couple's page.
    for_counselor = models.BooleanField(default=False)

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "key"], name="item_key_per_template"),
            models.UniqueConstraint(fields=["template", "position"], name="item_position"),
        ]

    def __str__(self):
        return self.key

    @property
    def is_safety_signal(self) -> bool:
        return bool(self.signal_answers)

    def signals_in(self, answer) -> bool:
        """Whether `answer` is one that counts as a safety signal."""
        if not self.signal_answers or answer in (None, "", []):
            return False
        chosen = answer if isinstance(answer, list) else [answer]
        return any(value in self.signal_answers for value in chosen)


class Assignment(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        CANCELLED = "cancelled", "Cancelled"

    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="assignments")
    template = models.ForeignKey(
        WorksheetTemplate, on_delete=models.PROTECT, related_name="assignments"
    )
    due_at = models.DateTimeField()
    # The date the counselor chose, when the work is due by a date rather than at an instant:
    # each partner's deadline is then the end of that date on their own clock (Response.due_at),
    # and `due_at` above is the end of it in the practice's zone.
    due_date = models.DateField(null=True, blank=True)

    class Recurrence(models.TextChoices):
        ONCE = "once", "Once"
        EVERY_N_DAYS = "every_n_days", "Every few days (weekly is every 7)"
        BEFORE_SESSION = "before_session", "Before every counseling session"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    recurrence = models.CharField(
        max_length=20, choices=Recurrence.choices, default=Recurrence.ONCE
    )
    interval_days = models.PositiveSmallIntegerField(default=7)
    repeat_until = models.DateTimeField(null=True, blank=True)
    max_occurrences = models.PositiveSmallIntegerField(null=True, blank=True)
    # The reminder rules for this assignment; see worksheets.scheduling.DEFAULT_PLAN.
    reminder_plan = models.JSONField(default=dict, blank=True)
    # Item key -> "private" or "shared", where the counselor changed the template's choice.
    visibility_overrides = models.JSONField(default=dict, blank=True)

    class Reveal(models.TextChoices):
        AFTER_BOTH = "after_both", "In the portal, once both partners have submitted"
        IN_SESSION = "in_session", "Together, in session with the counselor"

    # When partners see each other's shared answers and the comparisons built on them.
    reveal = models.CharField(max_length=12, choices=Reveal.choices, default=Reveal.AFTER_BOTH)
    # Set when the work is for one partner only (a safety check is assigned to each on their
    # own); empty means every current partner of the couple.
    only_partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    assigned_by = models.ForeignKey(
        Counselor, on_delete=models.SET_NULL, null=True, related_name="assignments"
    )
    # Set on a follow-up assigned automatically after an earlier answer (worksheets.follow_ups):
    # the response it follows up. One-to-one, so a second follow-up of the same response cannot
    # be written, however often or concurrently the job runs.
    follow_up_of = models.OneToOneField(
        "Response",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_up",
    )
    created_at = models.DateTimeField()

    # Every change, who made it and when: the record's change history (docs/privacy.md).
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.template.title} for {self.couple.label}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def visibility_of(self, item: WorksheetItem) -> str:
        """Who may see answers to `item` in this assignment. Items marked never shown, and
        safety signals whatever the file says, stay hidden from the other partner."""
        if item.visibility == WorksheetItem.Visibility.NEVER or item.is_safety_signal:
            return WorksheetItem.Visibility.NEVER
        return self.visibility_overrides.get(item.key, item.visibility)

    def partners_to_ask(self):
        """The current partners this work is for."""
        partners = Partner.objects.current().filter(couple_id=self.couple_id)
        if self.only_partner_id is not None:
            partners = partners.filter(pk=self.only_partner_id)
        return partners


class ResponseQuerySet(models.QuerySet):
    def open(self):
        """Not handed in yet: not started, or a draft."""
        return self.filter(status__in=[Response.Status.NOT_STARTED, Response.Status.DRAFT])

    def overdue(self, now):
        """Not handed in, past due, and still wanted: the assignment has not been paused or
        cancelled."""
        return self.open().filter(due_at__lt=now, assignment__status=Assignment.Status.ACTIVE)


class Response(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="responses")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="responses")
    occurrence = models.PositiveIntegerField(default=1)
    # This partner's deadline: what overdue, the reminders and the portal all read. For work
    # due by a date it is the end of `due_date` in the partner's zone (scheduling.end_of_local_day).
    due_at = models.DateTimeField()
    due_date = models.DateField(null=True, blank=True)
    # Set for the occurrences of a "before every session" assignment: the session it is for.
    session = models.ForeignKey(
        "therapy.CounselingSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responses",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    # Stored encrypted (therapy/encryption.py); nothing reads answers in the database.
    answers = EncryptedJSONField(default=dict, blank=True)
    # Keys of shareable answers this partner chose to keep to themselves and the counselor.
    withheld = models.JSONField(default=list, blank=True)
    # Computed once, at submission, so that nothing re-scores a response by accident.
    scores = models.JSONField(default=dict, blank=True)
    # Two figures of the scores kept as columns too, because the caseload reads them for
    # every partner: the preferred balance (0-10) and the position on the interdependence
    # map (worksheets.interdependence), where it was worked out.
    preferred_balance = models.PositiveSmallIntegerField(null=True, blank=True)
    map_position = models.CharField(max_length=40, blank=True)
    # The partners' gap in preferred balance for this occurrence, kept on the response that
    # completed the pair (the later of the two submissions), so that each gap is counted once
    # and dated when it became known.
    balance_gap = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Settled once, when the occurrence's pair completes: joint work was paused then (an
    # urgent alert open, or individual work only), so the partners' side-by-side view of this
    # occurrence is kept for the session for good. It is never settled again, so a pause that
    # begins or ends later changes nothing a partner has been shown (docs/safety.md).
    kept_for_session = models.BooleanField(default=False, editable=False)
    # The page (a token each worksheet page is made with) that saved the draft last: a page
    # may go on saving over its own saves, whatever became of the replies to them.
    saved_from_page = models.CharField(max_length=32, blank=True, editable=False)
    # When the sweep first found this work overdue and told the practice's systems (the
    # "assignment.overdue" webhook event, worksheets.reminders.report_overdue_work): once.
    overdue_reported_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The counselor's rating of the homework (1 little engagement – 5 thoughtful, complete).
    engagement = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        choices=[(n, str(n)) for n in range(1, 6)],
        help_text="Your rating of this homework: 1 little engagement, 5 thoughtful and complete.",
    )

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "partner", "occurrence"], name="one_response_per_occurrence"
            ),
        ]
        indexes = [
            # The caseload's "latest balance" and "latest map position" of each partner, and the
            # counts of this period's work, each read straight from an index.
            models.Index(
                fields=["partner", "-submitted_at"],
                name="response_latest_balance",
                condition=Q(status="submitted", preferred_balance__isnull=False),
            ),
            models.Index(
                fields=["partner", "-submitted_at"],
                name="response_latest_map_position",
                condition=Q(status="submitted") & ~Q(map_position=""),
            ),
            models.Index(
                fields=["partner", "due_at"], include=["status"], name="response_partner_period"
            ),
            # The caseload's overdue work of each couple.
            models.Index(
                fields=["assignment", "due_at"],
                name="response_open_due",
                condition=Q(status__in=["not_started", "draft"]),
            ),
            # The couple's latest gaps, for the caseload and the gap-widening alert.
            models.Index(
                fields=["assignment", "-submitted_at"],
                name="response_latest_gap",
                condition=Q(balance_gap__isnull=False),
            ),
            # Open work not yet reported overdue, for the sweep that reports it.
            models.Index(
                fields=["due_at"],
                name="response_overdue_unreported",
                condition=Q(status__in=["not_started", "draft"], overdue_reported_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.assignment} – {self.partner} #{self.occurrence}"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    def is_overdue(self, now) -> bool:
        return not self.is_submitted and self.due_at < now

    @property
    def due_local(self) -> dt.datetime:
        """The deadline on the partner's own clock."""
        return self.due_at.astimezone(ZoneInfo(self.partner.time_zone))

    def deadline_words(self, now: dt.datetime | None = None) -> str:
        """The deadline in words that are true for the partner: "by the end of Sunday 6
        December" for work due by a date (it ends when their own clock leaves that date), and
        "Sunday 6 December, 14:00 your time" for work due at an instant. With `now`, a deadline
        today or tomorrow on their clock says so ("by the end of tomorrow")."""
        local = self.due_local
        days = (local.date() - now.astimezone(local.tzinfo).date()).days if now else None
        if days in (0, 1):
            day = "today" if days == 0 else "tomorrow"
        else:
            day = f"{local:%A} {local.day} {local:%B}"
        if self.due_date is not None:
            return f"by the end of {day}"
        return f"{day}{' at' if days in (0, 1) else ','} {local:%H:%M} your time"


# The channel of a webhook delivery, which goes to a system rather than to a person.
WEBHOOK_CHANNEL = "webhook"


class ReminderQuerySet(models.QuerySet):
    def open(self):
        """Not yet handed to a provider: a submission or a cancellation still stops these."""
        return self.filter(status__in=[Reminder.Status.PENDING, Reminder.Status.CLAIMED])

    def of_couples(self, couples):
        return self.filter(partner__couple__in=couples)


class Reminder(models.Model):
    """Every message the system sends is one row: this table is the outbox.

    Invitations and nudges to a partner, the fresh links partners ask for, the e-mails to
    counselors (alerts, urgent safety notices) and the webhook deliveries to the practice's
    other systems all go out by one path: claimed with a lease, marked "sending" before the
    provider is called, and recorded with the outcome (worksheets/outbox.py). `partner` is
    whom the message is to or about, which scopes it.
    """

    class Kind(models.TextChoices):
        INVITATION = "invitation", "Invitation"
        BEFORE_DUE = "before_due", "Before the due date"
        DUE_DAY = "due_day", "On the due day"
        OVERDUE_FIRST = "overdue_first", "First overdue nudge"
        OVERDUE_SECOND = "overdue_second", "Second overdue nudge"
        BEFORE_SESSION = "before_session", "Before the next session"
        COUNSELOR_ALERT = "counselor_alert", "Alert to the counselor after the last nudge"
        SAFETY_NOTICE = "safety_notice", "Urgent notice to the counselors"
        ALERT_EMAIL = "alert_email", "Alert e-mail to the counselors"
        LINK = "link", "A fresh link the partner asked for"
        WEBHOOK = "webhook", "Webhook to the practice's systems"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CLAIMED = "claimed", "Claimed"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        UNDELIVERED = "undelivered", "Not delivered"
        UNKNOWN = "unknown", "Outcome unknown"
        SKIPPED = "skipped", "Skipped"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="messages")
    # The worksheet occurrence the message is about; empty for a requested link.
    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(
        max_length=10, choices=[*Partner.Channel.choices, (WEBHOOK_CHANNEL, "HTTP POST")]
    )
    due_at = models.DateTimeField()
    # Past this, the message is no longer worth sending (a "before your session" nudge once
    # the session has begun); it is skipped as too late, and a resend is refused.
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When the provider reported the message delivered (or not), for text messages.
    delivered_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    # For a notice to the counselors: the alert it tells them about.
    alert = models.OneToOneField(
        "therapy.Alert",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notice",
    )
    # For a webhook delivery: the subscription it goes to, the event's id (the `webhook-id`
    # header, the same on every attempt), its type and its body, and the receiver's last
    # HTTP status.
    subscription = models.ForeignKey(
        "therapy.WebhookSubscription",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    event_id = models.CharField(max_length=40, blank=True)
    event_type = models.CharField(max_length=40, blank=True)
    payload = models.JSONField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            # One message of each kind per response: a second row is impossible, not avoided.
            # Notices to counselors are one per alert instead (the OneToOne key on `alert`),
            # and a partner may ask for a link as often as the rate limit allows.
            models.UniqueConstraint(
                fields=["response", "kind"],
                condition=~Q(kind__in=["safety_notice", "alert_email", "link"]),
                name="one_reminder_per_kind",
            ),
            # One delivery of an event to each subscription.
            models.UniqueConstraint(
                fields=["subscription", "event_id"],
                condition=Q(kind="webhook"),
                name="one_delivery_per_event",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"], name="reminder_pending_due", condition=Q(status="pending")
            ),
            models.Index(
                fields=["lease_until"], name="reminder_claimed_lease", condition=Q(status="claimed")
            ),
            models.Index(
                fields=["lease_until"], name="reminder_sending_lease", condition=Q(status="sending")
            ),
            # Delivery reports from the SMS provider find their row by its message id.
            models.Index(
                fields=["provider_id"], name="reminder_provider_id", condition=~Q(provider_id="")
            ),
            # A subscription's page lists its latest deliveries.
            models.Index(
                fields=["subscription", "-created_at"],
                name="reminder_webhook_latest",
                condition=Q(kind="webhook"),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for partner {self.partner_id}"
