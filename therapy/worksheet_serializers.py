"""Request and response shapes of the API's worksheet endpoints (therapy/api_worksheets.py):
the library of worksheets and their versions, a couple's responses with their stored scores,
and assignments.

Times are ISO 8601 in UTC. Scores are the ones stored when the response was handed in. An
assignment is checked by the dashboard's own assign form (clients/forms.py), so the API
accepts exactly what the assign page accepts, and names the field it refuses.
"""

from django import forms
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clients.forms import AssignWorksheetForm
from therapy.serializers import NumberField, StrictSerializer, id_field
from worksheets.library import latest_templates
from worksheets.models import Assignment, Response, WorksheetItem
from worksheets.scheduling import full_plan

Kind = WorksheetItem.Kind
SHARING_CHOICES = [WorksheetItem.Visibility.PRIVATE, WorksheetItem.Visibility.SHARED]


# Each value a `const` in place, not an enum, as for a couple's status (CoupleStatusField):
# other `status` fields of the schema are other sets of values.
@extend_schema_field(
    {
        "type": "string",
        "oneOf": [{"const": value, "title": label} for value, label in Response.Status.choices],
    }
)
class ResponseStatusField(serializers.ChoiceField):
    """A response's status: not_started, draft or submitted."""

    def __init__(self, **kwargs):
        super().__init__(choices=Response.Status.choices, **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "oneOf": [{"const": value, "title": label} for value, label in Assignment.Status.choices],
    }
)
class AssignmentStatusField(serializers.ChoiceField):
    """An assignment's status: active, paused or cancelled."""

    def __init__(self, **kwargs):
        super().__init__(choices=Assignment.Status.choices, **kwargs)


# --- The library ----------------------------------------------------------------------------


class VersionRefSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    loaded_at = serializers.DateTimeField(source="created_at")
    times_assigned = serializers.IntegerField(help_text="To the couples the caller may see")


class WorksheetSerializer(serializers.Serializer):
    """A worksheet of the library, at its current version."""

    slug = serializers.SlugField()
    version = serializers.IntegerField(help_text="The current version, the one assigned")
    title = serializers.CharField()
    purpose = serializers.CharField()
    estimated_minutes = serializers.IntegerField()
    safety_check = serializers.BooleanField(
        source="is_safety_check",
        help_text="A safety check: assigned to both, it goes to each partner separately",
    )


class WorksheetWithVersionsSerializer(WorksheetSerializer):
    instructions = serializers.CharField()
    versions = VersionRefSerializer(many=True, help_text="Newest first")


class ScaleSerializer(serializers.Serializer):
    minimum = serializers.IntegerField()
    maximum = serializers.IntegerField()
    labels = serializers.ListField(
        child=serializers.CharField(),
        help_text="One label per point (agreement), or the low and high ends (0–10 scale)",
    )


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class CategorySerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class ItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    prompt = serializers.CharField()
    help_text = serializers.CharField()
    required = serializers.BooleanField()
    subscale = serializers.CharField()
    reverse_keyed = serializers.BooleanField()
    visibility = serializers.ChoiceField(
        choices=WorksheetItem.Visibility.choices,
        help_text="Who sees the answer besides the partner and the counselor, as the "
        "worksheet sets it; `never` for questions that are never shown to the other partner",
    )
    sharing_adjustable = serializers.SerializerMethodField(
        help_text="Whether an assignment may set this question private or shared (`sharing`)"
    )
    for_counselor = serializers.BooleanField(help_text="A written answer meant for the counselor")
    scale = serializers.SerializerMethodField()
    choices = serializers.SerializerMethodField()
    max_choices = serializers.SerializerMethodField()
    categories = serializers.SerializerMethodField()
    max_total = serializers.SerializerMethodField(help_text="Hours a week, for a time split")
    max_length = serializers.SerializerMethodField()
    about = serializers.SerializerMethodField(
        help_text="For a perception question: the key of the question whose answer is guessed"
    )

    def get_sharing_adjustable(self, item) -> bool:
        # As on the assign page: questions never shown to the other partner are not offered.
        return item.visibility != WorksheetItem.Visibility.NEVER

    @extend_schema_field(ScaleSerializer(allow_null=True))
    def get_scale(self, item):
        options = item.options
        if "anchors" in options:
            return {"minimum": 1, "maximum": len(options["anchors"]), "labels": options["anchors"]}
        if "low_label" in options:
            return {
                "minimum": 0,
                "maximum": 10,
                "labels": [options["low_label"], options["high_label"]],
            }
        return None

    @extend_schema_field(ChoiceSerializer(many=True, allow_null=True))
    def get_choices(self, item):
        return item.options.get("choices")

    def get_max_choices(self, item) -> int | None:
        return item.options.get("max_choices")

    @extend_schema_field(CategorySerializer(many=True, allow_null=True))
    def get_categories(self, item):
        return item.options.get("categories")

    def get_max_total(self, item) -> int | None:
        return item.options.get("max_total")

    def get_max_length(self, item) -> int | None:
        return item.options.get("max_length")

    def get_about(self, item) -> str | None:
        return item.options.get("about")


class PartSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    items = ItemSerializer(many=True)


class BandSerializer(serializers.Serializer):
    up_to = NumberField()
    label = serializers.CharField()


class SubscaleSpecSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    items = serializers.ListField(child=serializers.CharField())
    bands = BandSerializer(many=True)


class WorksheetVersionSerializer(serializers.Serializer):
    """One version of a worksheet, as partners are asked it: its parts, one page each."""

    slug = serializers.SlugField()
    version = serializers.IntegerField()
    current = serializers.BooleanField(help_text="Whether this is the version assigned now")
    title = serializers.CharField()
    purpose = serializers.CharField()
    instructions = serializers.CharField()
    estimated_minutes = serializers.IntegerField()
    safety_check = serializers.BooleanField(source="is_safety_check")
    counselor_notes = serializers.CharField()
    discussion_prompts = serializers.ListField(child=serializers.CharField())
    parts = PartSerializer(many=True)
    subscales = SubscaleSpecSerializer(many=True)


# --- Responses and their stored scores ------------------------------------------------------


class WorksheetRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    version = serializers.IntegerField()
    title = serializers.CharField()


class PartnerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="display_name")


class ResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    assignment = serializers.IntegerField(source="assignment_id")
    couple = serializers.IntegerField(source="assignment.couple_id")
    worksheet = WorksheetRefSerializer(source="assignment.template")
    partner = PartnerRefSerializer()
    occurrence = serializers.IntegerField()
    status = ResponseStatusField()
    due_at = serializers.DateTimeField(help_text="The partner's deadline")
    due_date = serializers.DateField(
        allow_null=True, help_text="For work due by a date: due by its end on the partner's clock"
    )
    submitted_at = serializers.DateTimeField(allow_null=True)


class ResponsesQuerySerializer(serializers.Serializer):
    """The filters of a couple's responses: a value that is not one answers 400, naming it."""

    partner = id_field(required=False, help_text="A partner of this couple")
    worksheet = serializers.SlugField(required=False, help_text="A worksheet's slug")
    status = ResponseStatusField(required=False)
    cursor = serializers.CharField(
        required=False, help_text="From the `next` or `previous` link of a page"
    )

    def validate_partner(self, partner_id):
        if not self.context["couple"].partners.filter(pk=partner_id).exists():
            raise serializers.ValidationError("Not a partner of this couple.")
        return partner_id

    def validate_worksheet(self, slug):
        if not latest_templates().filter(slug=slug).exists():
            raise serializers.ValidationError("No worksheet has this slug.")
        return slug


class ResponsesPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page, or null at the end")
    previous = serializers.URLField(allow_null=True, help_text="The page before, or null")
    results = ResponseSerializer(many=True)


class SubscaleScoreSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    score = NumberField(allow_null=True, help_text="null: too few answers to score")
    answered = serializers.IntegerField()
    total = serializers.IntegerField()
    maximum = serializers.IntegerField()
    band = serializers.CharField()
    interpretation = serializers.CharField()


class LeanSerializer(serializers.Serializer):
    value = NumberField(allow_null=True)
    label = serializers.CharField()
    text = serializers.CharField()


class MapSerializer(serializers.Serializer):
    connection = NumberField()
    autonomy = NumberField()
    position = serializers.CharField(help_text="Where the partner stands, in words")


class ScoreChangeSerializer(serializers.Serializer):
    key = serializers.CharField()
    change = NumberField()


class StoredScoresSerializer(serializers.Serializer):
    """The scores kept with the response when it was handed in; never worked out again."""

    subscales = SubscaleScoreSerializer(many=True)
    preferred_balance = serializers.IntegerField(
        allow_null=True, help_text="0 mostly apart – 10 mostly together"
    )
    lean = LeanSerializer(allow_null=True)
    map = MapSerializer(allow_null=True, help_text="The position on the interdependence map")
    change = ScoreChangeSerializer(many=True, help_text="Since this partner's previous submission")
    disclaimer = serializers.CharField()


class AnswerSerializer(serializers.Serializer):
    key = serializers.CharField()
    prompt = serializers.CharField()
    value = serializers.JSONField(help_text="The answer as given: a number, text, list or hours")
    text = serializers.CharField(help_text="The answer in words")


class ResponseDetailSerializer(ResponseSerializer):
    """A response with its stored scores and shared answers, which the view works out and
    gives in the context (`scores`, `answers`)."""

    engagement = serializers.IntegerField(
        allow_null=True, help_text="The counselor's own 1–5 rating of the homework, once given"
    )
    scores = serializers.SerializerMethodField(help_text="null until handed in")
    answers = serializers.SerializerMethodField(
        help_text="The answers this partner shared with the other partner, once handed in. "
        "Answers kept private, and those for the counselor alone, are on the dashboard only"
    )

    @extend_schema_field(StoredScoresSerializer(allow_null=True))
    def get_scores(self, response):
        scores = self.context["scores"]
        return None if scores is None else StoredScoresSerializer(scores).data

    @extend_schema_field(AnswerSerializer(many=True))
    def get_answers(self, response):
        return AnswerSerializer(self.context["answers"], many=True).data


# --- Assignments ----------------------------------------------------------------------------


class ReminderPlanSerializer(serializers.Serializer):
    before_due_hours = serializers.IntegerField()
    due_day = serializers.BooleanField()
    overdue_days = serializers.ListField(child=serializers.IntegerField())
    max_nudges = serializers.IntegerField()
    before_session_hours = serializers.IntegerField()


class OccurrenceSerializer(serializers.Serializer):
    response = serializers.IntegerField(source="pk")
    partner = serializers.IntegerField(source="partner_id")
    occurrence = serializers.IntegerField()
    status = ResponseStatusField()
    due_at = serializers.DateTimeField(help_text="This partner's deadline")


class AssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    couple = serializers.IntegerField(source="couple_id")
    worksheet = WorksheetRefSerializer(source="template")
    status = AssignmentStatusField()
    partner = serializers.IntegerField(
        source="only_partner_id", allow_null=True, help_text="null: every current partner"
    )
    due_date = serializers.DateField(allow_null=True)
    due_at = serializers.DateTimeField(
        help_text="The end of the due date in the practice's zone; each partner's own deadline "
        "is on their response"
    )
    recurrence = serializers.ChoiceField(choices=Assignment.Recurrence.choices)
    interval_days = serializers.IntegerField()
    repeat_until = serializers.DateTimeField(allow_null=True)
    max_occurrences = serializers.IntegerField(allow_null=True)
    reveal = serializers.ChoiceField(choices=Assignment.Reveal.choices)
    sharing = serializers.DictField(
        source="visibility_overrides",
        child=serializers.ChoiceField(choices=SHARING_CHOICES),
        help_text="The questions whose sharing differs from the worksheet's",
    )
    reminders = serializers.SerializerMethodField()
    follow_up_of = serializers.IntegerField(
        source="follow_up_of_id", allow_null=True, help_text="The response this follows up"
    )
    assigned_by = serializers.CharField(
        source="assigned_by.display_name", allow_null=True, default=None
    )
    created_at = serializers.DateTimeField()
    responses = OccurrenceSerializer(many=True)

    @extend_schema_field(ReminderPlanSerializer)
    def get_reminders(self, assignment):
        return ReminderPlanSerializer(full_plan(assignment.reminder_plan)).data


class AssignmentListSerializer(serializers.Serializer):
    results = AssignmentSerializer(many=True)


class AssignmentsMadeSerializer(serializers.Serializer):
    """What an assignment made: one, or one per partner for a safety check for both."""

    assignments = AssignmentSerializer(many=True)


class AssignmentRequestSerializer(StrictSerializer):
    """A worksheet to assign, with the assign page's choices. A choice left out takes the
    assign page's default; a repeat detail the chosen repeat does not use is ignored."""

    worksheet = serializers.SlugField(help_text="The worksheet's slug; its current version")
    partner = id_field(
        required=False, allow_null=True, help_text="One current partner; null or left out: both"
    )
    due_date = serializers.DateField(
        help_text="Due by the end of this date on each partner's own clock"
    )
    reveal = serializers.ChoiceField(choices=Assignment.Reveal.choices, required=False)
    recurrence = serializers.ChoiceField(choices=Assignment.Recurrence.choices, required=False)
    interval_days = serializers.IntegerField(required=False, help_text="every_n_days: 1–90")
    repeat_until = serializers.DateField(required=False, allow_null=True)
    max_occurrences = serializers.IntegerField(required=False, allow_null=True)
    before_due_hours = serializers.IntegerField(required=False, help_text="0 for none")
    due_day = serializers.BooleanField(required=False)
    overdue_first = serializers.IntegerField(required=False, allow_null=True)
    overdue_second = serializers.IntegerField(required=False, allow_null=True)
    max_nudges = serializers.IntegerField(required=False)
    before_session_hours = serializers.IntegerField(required=False, help_text="0 for none")
    sharing = serializers.DictField(
        child=serializers.ChoiceField(choices=SHARING_CHOICES),
        required=False,
        help_text="Question key -> private or shared, for the questions whose sharing is "
        "adjustable; the others keep the worksheet's",
    )

    # The form's own names for the API's fields; every other field has the same name.
    FORM_NAMES = {"worksheet": "template", "partner": "for_partner"}

    def validate(self, attrs):
        template = latest_templates().filter(slug=attrs["worksheet"]).first()
        if template is None:
            raise serializers.ValidationError({"worksheet": ["No worksheet has this slug."]})
        form = AssignWorksheetForm(
            self._form_data(attrs, template), couple=self.context["couple"], template=template
        )
        unknown = set(attrs.get("sharing", {})) - {item.key for item in form.adjustable_items}
        if unknown:
            raise serializers.ValidationError(
                {"sharing": {key: ["Not a question whose sharing can be set."] for key in unknown}}
            )
        if not form.is_valid():
            raise serializers.ValidationError(errors_of(form))
        return {"form": form}

    def _form_data(self, attrs, template) -> dict:
        """What the assign page would post: the API's choices, and the page's defaults for the
        choices left out (a field's initial value)."""
        form = AssignWorksheetForm(couple=self.context["couple"], template=template)
        data = {}
        for name, field in form.fields.items():
            if name.startswith("visibility__"):
                key = name.removeprefix("visibility__")
                data[name] = attrs.get("sharing", {}).get(key, field.initial)
                continue
            api_name = next((a for a, f in self.FORM_NAMES.items() if f == name), name)
            value = attrs[api_name] if api_name in self.initial_data else field.initial
            if isinstance(field, forms.BooleanField):
                if value:
                    data[name] = "on"
            elif value is not None:
                data[name] = value
        data["template"] = template.pk
        return data


def errors_of(form) -> dict:
    """The assign form's errors under the API's field names."""
    api_names = {
        form_name: api for api, form_name in AssignmentRequestSerializer.FORM_NAMES.items()
    }
    errors: dict = {}
    for name, messages in form.errors.items():
        if name.startswith("visibility__"):
            errors.setdefault("sharing", {})[name.removeprefix("visibility__")] = list(messages)
        elif name == "__all__":
            errors["non_field_errors"] = list(messages)
        else:
            errors[api_names.get(name, name)] = list(messages)
    return errors
