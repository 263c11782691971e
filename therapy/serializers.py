"""Output shapes of the counselor API. Read-only: the API changes nothing.

Times are ISO 8601 in UTC; scores are the stored ones. Every couple-level answer carries the
reminder that these are reflective exercises, not a diagnosis.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from therapy.brief import NOTE
from therapy.dashboard import SORTS


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


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class FieldErrorsSerializer(serializers.Serializer):
    """400: each field of the query that was refused, with what was wrong with it."""

    sort = serializers.ListField(child=serializers.CharField(), required=False)
    show = serializers.ListField(child=serializers.CharField(), required=False)
    cursor = serializers.ListField(child=serializers.CharField(), required=False)


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
