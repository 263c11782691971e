"""Shapes of the counselor API: what it answers, and what its writes take.

Times are ISO 8601 in UTC; scores are the stored ones. Every couple-level answer of scores
carries the reminder that these are reflective exercises, not a diagnosis. A write's input is
checked for its shape here (types, unknown fields); what the values may be is the dashboard's
rule, checked by the dashboard's forms and domain functions (therapy/api_couples.py).
"""

from django import forms
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clients.models import Couple, Partner
from therapy.brief import NOTE
from therapy.dashboard import SORTS
from therapy.input_limits import check_service_year
from therapy.models import Alert


class PartnerSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="partner_id")
    name = serializers.CharField()
    done = serializers.IntegerField(help_text="Worksheets handed in of those due this fortnight")
    assigned = serializers.IntegerField(help_text="Worksheets due this fortnight or later")
    balance = serializers.IntegerField(allow_null=True, help_text="Latest preferred balance")
    position = serializers.CharField(
        source="position_label",
        help_text="Latest position on the interdependence map (connection and autonomy), "
        "where worked out",
    )


class CaseloadRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="couple_id")
    label = serializers.CharField()
    status = serializers.CharField()
    next_session = serializers.DateTimeField(allow_null=True)
    overdue = serializers.IntegerField()
    open_alerts = serializers.IntegerField()
    gap = serializers.IntegerField(allow_null=True)
    gap_change = serializers.IntegerField(allow_null=True)
    partners = PartnerSummarySerializer(many=True)


class CaseloadQuerySerializer(serializers.Serializer):
    """The caseload's query: an unknown value answers 400, naming the field."""

    sort = serializers.ChoiceField(choices=list(SORTS), default="couple")
    show = serializers.ChoiceField(
        choices=["attention"], required=False, help_text="Only couples needing attention"
    )
    cursor = serializers.CharField(
        required=False, help_text="From the `next` or `previous` link of a page"
    )


class CaseloadPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page, or null at the end")
    previous = serializers.URLField(allow_null=True, help_text="The page before, or null")
    results = CaseloadRowSerializer(many=True)


class AlertSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.CharField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class PartnerSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="display_name")
    time_zone = serializers.CharField()


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """A stored score, as it is: an integer stays an integer, a fraction a fraction."""

    def to_representation(self, value):
        return value


# A serializer of a plain tuple, its fields named in order in `Meta.names`. (A comment, not a
# docstring: the schema would show a docstring as the description of every subclass.)
class FromTuple(serializers.Serializer):
    def to_representation(self, instance):
        return super().to_representation(dict(zip(self.Meta.names, instance, strict=True)))


class ScorePointSerializer(FromTuple):
    at = serializers.DateTimeField()
    score = NumberField()

    class Meta:
        names = ("at", "score")


class PartnerSeriesSerializer(FromTuple):
    partner = serializers.IntegerField(source="partner.pk", help_text="The partner's id")
    points = ScorePointSerializer(many=True)

    class Meta:
        names = ("partner", "points")


class SubscaleSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    maximum = serializers.IntegerField()
    series = PartnerSeriesSerializer(many=True)


class GapPointSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    gap = serializers.IntegerField()
    worksheet = serializers.CharField()


class CoupleScoresSerializer(serializers.Serializer):
    """A couple's scores over time: each partner's subscales on the worksheet answered most
    often, and the partners' gap in preferred balance."""

    id = serializers.IntegerField(source="couple.pk")
    label = serializers.CharField(source="couple.label")
    status = serializers.CharField(source="couple.status")
    partners = PartnerSerializer(many=True)
    subscales_from = serializers.CharField(source="charts_for")
    subscales = SubscaleSerializer(many=True, source="subscale_charts")
    gaps = GapPointSerializer(many=True)
    open_alerts = AlertSerializer(many=True, source="alerts")
    note = serializers.SerializerMethodField()

    def get_note(self, detail) -> str:
        return NOTE


class CoupleRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    label = serializers.CharField()


class UrgentAlertSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="alert.pk")
    kind = serializers.CharField(source="alert.kind")
    reason = serializers.CharField(source="alert.reason")
    created_at = serializers.DateTimeField(source="alert.created_at")
    instruction = serializers.CharField(help_text="Which partner to see alone first")


class SessionSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    counselor = serializers.CharField(source="counselor.display_name")


class DoneSerializer(serializers.Serializer):
    worksheet = serializers.CharField()
    at = serializers.DateTimeField(source="submitted_at")
    engagement = serializers.IntegerField(
        allow_null=True, help_text="The counselor's own 1–5 rating of the homework, once given"
    )


class DueSerializer(FromTuple):
    worksheet = serializers.CharField()
    due_at = serializers.DateTimeField()

    class Meta:
        names = ("worksheet", "due_at")


class ScoreNowSerializer(serializers.Serializer):
    worksheet = serializers.CharField()
    score = serializers.CharField(source="label", help_text="The subscale's name")
    value = NumberField(source="score")
    maximum = serializers.IntegerField()
    change = NumberField(allow_null=True, help_text="Since the last session; null: no earlier")


class ChangeSerializer(FromTuple):
    score = serializers.CharField()
    change = NumberField()

    class Meta:
        names = ("score", "change")


class GuessesSerializer(serializers.Serializer):
    closeness = serializers.IntegerField(source="now", help_text="0–100")
    before = serializers.IntegerField(allow_null=True)


class PartnerBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="partner.pk")
    name = serializers.CharField(source="partner.display_name")
    done = DoneSerializer(many=True)
    missed = DueSerializer(many=True)
    still_open = DueSerializer(many=True)
    scores = ScoreNowSerializer(many=True)
    changes = ChangeSerializer(many=True)
    guesses = GuessesSerializer(allow_null=True)
    balance = serializers.IntegerField(allow_null=True)


class SharedTextSerializer(FromTuple):
    partner = serializers.CharField(help_text="The partner's name")
    prompt = serializers.CharField()
    answer = serializers.CharField()

    class Meta:
        names = ("partner", "prompt", "answer")


class PatternSerializer(serializers.Serializer):
    title = serializers.CharField()
    evidence = serializers.CharField()


class PromptSerializer(serializers.Serializer):
    why = serializers.CharField()
    prompt = serializers.CharField(source="text")


class BriefSerializer(serializers.Serializer):
    """The brief for the couple's next session, as on its page."""

    couple = CoupleRefSerializer()
    # First, as on the page: open safety alerts, each a partner to see alone first. Like the
    # rest of the API, they carry no answers.
    urgent_alerts = UrgentAlertSerializer(many=True)
    joint_work_paused = serializers.BooleanField()
    session = SessionSerializer(allow_null=True)
    since = serializers.DateTimeField()
    is_ready = serializers.BooleanField()
    partners = PartnerBriefSerializer(many=True)
    gap = serializers.IntegerField(allow_null=True)
    gap_change = serializers.IntegerField(allow_null=True)
    open_alerts = AlertSerializer(many=True, source="alerts")
    shared_texts = SharedTextSerializer(many=True)
    patterns = PatternSerializer(many=True)
    prompts = PromptSerializer(many=True)
    note = serializers.CharField()


# --- Couples, partners, sessions and alerts -----------------------------------------------------


def id_field(**kwargs) -> serializers.IntegerField:
    """A row's id: a number the database's ids can hold, so a far larger one is refused here."""
    return serializers.IntegerField(min_value=1, max_value=2**63 - 1, **kwargs)


# A request body whose every field is known: a field not named answers 400, rather than being
# ignored while the client thinks it was saved. (A comment, not a docstring, as for FromTuple.)
class StrictSerializer(serializers.Serializer):

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(str(name) for name in set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Not a field of this request."] for name in unknown}
                )
        return super().to_internal_value(data)


# Each value a `const` in place, not an enum: other `status` fields of the schema are other
# sets of values, and an enum would take a made-up name.
@extend_schema_field(
    {
        "type": "string",
        "oneOf": [{"const": value, "title": label} for value, label in Couple.Status.choices],
    }
)
class CoupleStatusField(serializers.ChoiceField):
    """A couple's status: active, paused or closed."""

    def __init__(self, **kwargs):
        super().__init__(choices=Couple.Status.choices, **kwargs)


class CounselorRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="display_name")


@extend_schema_field(
    {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "21:00"}
)
class LocalTimeField(serializers.TimeField):
    """A local time of day as HH:MM (JSON Schema's `time` format would want seconds and an
    offset, which a partner's quiet hours do not have)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class PartnerDetailSerializer(serializers.Serializer):
    """A partner's details, as the couple's page in the dashboard shows them to the same
    counselor. Never a personal link or its token."""

    id = serializers.IntegerField(source="pk")
    couple = serializers.IntegerField(source="couple_id")
    name = serializers.CharField(source="display_name")
    email = serializers.CharField()
    phone = serializers.CharField(help_text="E.164, e.g. +12025550143; empty when none")
    time_zone = serializers.CharField(help_text="IANA name, e.g. America/New_York")
    quiet_hours_start = LocalTimeField(help_text="Local HH:MM")
    quiet_hours_end = LocalTimeField(help_text="Local HH:MM")
    preferred_hour = serializers.IntegerField(help_text="Local hour (0–23) for reminders")
    channel = serializers.ChoiceField(choices=Partner.Channel.choices)
    reminders_enabled = serializers.BooleanField()
    removed = serializers.BooleanField(
        source="is_removed", help_text="No longer part of this work: keeps past answers only"
    )
    removed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class CoupleDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    label = serializers.CharField()
    status = CoupleStatusField()
    individual_work_only = serializers.BooleanField()
    counselors = CounselorRefSerializer(many=True, source="counselors.all")
    partners = PartnerDetailSerializer(many=True, source="partners.all")
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


class CouplePageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page, or null at the end")
    previous = serializers.URLField(allow_null=True, help_text="The page before, or null")
    results = CoupleDetailSerializer(many=True)


class CoupleQuerySerializer(serializers.Serializer):
    status = CoupleStatusField(required=False)
    cursor = serializers.CharField(
        required=False, help_text="From the `next` or `previous` link of a page"
    )


class PartnerInputSerializer(StrictSerializer):
    """A partner's details. Left out: as the dashboard's form starts them (the practice's time
    zone, quiet 21:00–08:00, reminders at 18, by e-mail), or as they are."""

    name = serializers.CharField(max_length=80, required=False)
    email = serializers.CharField(required=False)
    phone = serializers.CharField(
        required=False, allow_blank=True, help_text="Any common form; kept in E.164"
    )
    time_zone = serializers.CharField(required=False, help_text="IANA name, e.g. Europe/Berlin")
    quiet_hours_start = serializers.CharField(required=False, help_text="Local HH:MM")
    quiet_hours_end = serializers.CharField(required=False, help_text="Local HH:MM")
    preferred_hour = serializers.IntegerField(required=False, help_text="0–23")
    channel = serializers.ChoiceField(
        choices=Partner.Channel.choices, required=False, help_text="sms needs a mobile number"
    )
    reminders_enabled = serializers.BooleanField(required=False)


class PartnerCreateSerializer(PartnerInputSerializer):
    name = serializers.CharField(max_length=80)
    email = serializers.CharField()


class PartnerUpdateSerializer(PartnerInputSerializer):
    removed = serializers.BooleanField(
        required=False, help_text="true: no longer part of this work (keeps past answers)"
    )


class CoupleInputSerializer(StrictSerializer):
    label = serializers.CharField(max_length=120, required=False)
    status = CoupleStatusField(required=False)
    individual_work_only = serializers.BooleanField(required=False)
    counselors = serializers.ListField(
        child=id_field(),
        required=False,
        help_text="Counselor ids of the practice; a practice admin or a key chooses them",
    )


class CoupleCreateSerializer(CoupleInputSerializer):
    label = serializers.CharField(max_length=120)
    partners = PartnerCreateSerializer(many=True, allow_empty=False, help_text="One or two")


class EmptySerializer(StrictSerializer):
    """Nothing to send: the path says it all (an empty body, or `{}`)."""


class SessionDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    couple = serializers.IntegerField(source="couple_id")
    counselor = CounselorRefSerializer()
    starts_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time with its UTC offset (or Z): a time without one could be any instant."""

    def to_internal_value(self, value):
        if isinstance(value, str):
            parsed = parse_datetime(value)
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        moment = super().to_internal_value(value)
        try:
            check_service_year(moment)
        except forms.ValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return moment

    default_error_messages = {
        "naive": "Give the time with its UTC offset, e.g. 2026-12-01T15:00:00-05:00 or …Z."
    }


class SessionCreateSerializer(StrictSerializer):
    starts_at = AwareDateTimeField()
    counselor = id_field(
        required=False, help_text="One of the couple's counselors; a key must name one"
    )


class SessionMoveSerializer(StrictSerializer):
    starts_at = AwareDateTimeField()


class AlertDetailSerializer(serializers.Serializer):
    """An alert: its reason names the worksheet, never an answer."""

    id = serializers.IntegerField(source="pk")
    couple = CoupleRefSerializer()
    kind = serializers.ChoiceField(choices=Alert.Kind.choices)
    urgent = serializers.BooleanField(source="is_urgent")
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.display_name", allow_null=True, default=None
    )
    follow_up_note = serializers.CharField(help_text="What was done, kept with the acknowledgement")


class AlertPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page, or null at the end")
    previous = serializers.URLField(allow_null=True, help_text="The page before, or null")
    results = AlertDetailSerializer(many=True)


class AlertQuerySerializer(serializers.Serializer):
    couple = id_field(required=False, help_text="A couple's id")
    state = serializers.ChoiceField(choices=["open", "acknowledged"], required=False)
    cursor = serializers.CharField(
        required=False, help_text="From the `next` or `previous` link of a page"
    )


class AcknowledgeSerializer(StrictSerializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="What you did to follow up; required for an urgent alert",
    )
