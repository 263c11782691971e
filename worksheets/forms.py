"""The form a partner fills in, built from the template's items.

Answers are stored as plain JSON values: agreement, 0–10 scale and perception items as whole
numbers, a single choice as its value, a multiple choice as a list of values, free text as a
string, and a time split as {category: hours}.
"""

import hashlib
from dataclasses import dataclass, field

from django import forms

from worksheets.models import WorksheetItem

Kind = WorksheetItem.Kind
# A draft keeps text even when it is over the limit, so nothing typed is lost; this bound only
# stops a post from storing an unreasonable amount.
_DRAFT_TEXT_CEILING = 20000
_PICK_ONE = {
    "required": "Please choose an answer.",
    "invalid_choice": "Please choose one of the answers shown.",
}


def _scale_choices(item: WorksheetItem) -> list[tuple[str, str]]:
    options = item.options
    if item.kind == Kind.AGREEMENT or options.get("answer_kind") == Kind.AGREEMENT:
        return [(str(n), anchor) for n, anchor in enumerate(options["anchors"], start=1)]
    labels = {0: f"0 – {options['low_label']}", 10: f"10 – {options['high_label']}"}
    return [(str(n), labels.get(n, str(n))) for n in range(11)]


def _choice_field(item, required):
    return forms.TypedChoiceField(
        choices=[(c["value"], c["label"]) for c in item.options["choices"]],
        widget=forms.RadioSelect,
        required=required,
        error_messages=_PICK_ONE,
    )


def _multiple_choice_field(item, required):
    return forms.MultipleChoiceField(
        choices=[(c["value"], c["label"]) for c in item.options["choices"]],
        widget=forms.CheckboxSelectMultiple,
        required=required,
        error_messages={
            "required": "Please tick at least one.",
            "invalid_choice": "Please choose from the answers shown.",
        },
    )


def _text_field(item, required):
    max_length = item.options["max_length"]
    return forms.CharField(
        max_length=max_length,
        required=required,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": max_length}),
        error_messages={
            "required": "Please write an answer.",
            "max_length": f"Please keep this to {max_length} characters or fewer "
            "(you have %(show_value)d).",
        },
    )


def _scale_field(item, required):
    return forms.TypedChoiceField(
        choices=_scale_choices(item),
        coerce=int,
        widget=forms.RadioSelect,
        required=required,
        error_messages=_PICK_ONE,
    )


def _hours_field(item, required):
    limit = item.options["max_total"]
    return forms.IntegerField(
        min_value=0,
        max_value=limit,
        required=required,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": limit}),
        error_messages={
            "required": "Please enter a number of hours (0 is fine).",
            "invalid": "Please enter a whole number of hours.",
            "min_value": "Hours cannot be below 0.",
            "max_value": f"Please enter at most {limit} hours.",
        },
    )


_FIELD_BUILDERS = {
    Kind.AGREEMENT: _scale_field,
    Kind.SCALE: _scale_field,
    Kind.PERCEPTION: _scale_field,
    Kind.SINGLE_CHOICE: _choice_field,
    Kind.MULTIPLE_CHOICE: _multiple_choice_field,
    Kind.TEXT: _text_field,
}


def field_name(item: WorksheetItem, category: str | None = None) -> str:
    return f"{item.key}__{category}" if category else item.key


@dataclass
class Question:
    """One item as the page shows it: its fields and any messages about it."""

    item: WorksheetItem
    number: int
    fields: list = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def is_time_split(self) -> bool:
        return self.item.kind == Kind.TIME_SPLIT

    @property
    def is_choice_list(self) -> bool:
        return self.item.kind != Kind.TEXT and not self.is_time_split


class AnswerForm(forms.Form):
    """Submission: every required item must be answered and every answer must be valid.

    With `for_draft=True` nothing is required, so whatever is valid can be kept.
    """

    def __init__(self, *args, items, for_draft=False, first_number=1, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        self.first_number = first_number
        self.item_errors: dict[str, list[str]] = {}
        for item in self.items:
            required = item.required and not for_draft
            if item.kind == Kind.TIME_SPLIT:
                for category in item.options["categories"]:
                    hours = _hours_field(item, required)
                    hours.label = category["label"]
                    self.fields[field_name(item, category["key"])] = hours
                continue
            built = _FIELD_BUILDERS[item.kind](item, required)
            built.label, built.help_text = item.prompt, item.help_text
            self.fields[item.key] = built

    def clean(self):
        cleaned = super().clean()
        for item in self.items:
            if item.kind == Kind.MULTIPLE_CHOICE:
                chosen = cleaned.get(item.key) or []
                limit = item.options["max_choices"]
                if len(chosen) > limit:
                    self.add_error(item.key, f"Please tick at most {limit}.")
            if item.kind == Kind.TIME_SPLIT:
                total = sum(self._hours(item, cleaned).values())
                limit = item.options["max_total"]
                if total > limit:
                    message = (
                        f"These add up to {total} hours; please keep the total to "
                        f"{limit} hours or fewer."
                    )
                    self.item_errors.setdefault(item.key, []).append(message)
                    self.add_error(None, message)
        return cleaned

    @staticmethod
    def _hours(item, cleaned) -> dict[str, int]:
        values = {
            c["key"]: cleaned.get(field_name(item, c["key"])) for c in item.options["categories"]
        }
        return {key: value for key, value in values.items() if value is not None}

    def answers(self) -> dict:
        """The cleaned answers, leaving out items left blank."""
        cleaned = getattr(self, "cleaned_data", {})
        answers = {}
        for item in self.items:
            if item.kind == Kind.TIME_SPLIT:
                value = self._hours(item, cleaned)
            else:
                value = cleaned.get(item.key)
            if value not in ("", None, [], {}):
                answers[item.key] = value
        return answers

    def questions(self) -> list[Question]:
        questions = []
        for number, item in enumerate(self.items, start=self.first_number):
            if item.kind == Kind.TIME_SPLIT:
                names = [field_name(item, c["key"]) for c in item.options["categories"]]
            else:
                names = [item.key]
            bound = [self[name] for name in names]
            errors = [str(e) for b in bound for e in b.errors] + self.item_errors.get(item.key, [])
            questions.append(Question(item, number, bound, errors))
        return questions

    def answered_count(self) -> int:
        answered = 0
        for question in self.questions():
            if any(b.value() not in (None, "", []) for b in question.fields):
                answered += 1
        return answered


def draft_answers(data, items) -> dict:
    """Everything worth keeping from a posted form, valid or not, for a draft."""
    form = AnswerForm(data, items=items, for_draft=True)
    form.is_valid()
    kept = form.answers()
    for item in form.items:
        raw = data.get(item.key, "")
        if item.kind == Kind.TEXT and item.key in form.errors and raw:
            kept[item.key] = raw[:_DRAFT_TEXT_CEILING]
        if item.kind == Kind.MULTIPLE_CHOICE and item.key in form.errors:
            # Too many ticks is still worth keeping: the partner will untick some.
            allowed = {c["value"] for c in item.options["choices"]}
            kept[item.key] = [value for value in data.getlist(item.key) if value in allowed]
    return kept


def initial_from_answers(answers: dict, items) -> dict:
    """Form initial values from stored answers."""
    initial = {}
    for item in items:
        value = answers.get(item.key)
        if value is None:
            continue
        if item.kind == Kind.TIME_SPLIT and isinstance(value, dict):
            initial.update({field_name(item, key): hours for key, hours in value.items()})
        elif isinstance(value, int) and not isinstance(value, bool):
            initial[item.key] = str(value)
        else:
            initial[item.key] = value
    return initial


@dataclass(frozen=True)
class Step:
    """One section of a worksheet, shown on its own page."""

    number: int
    title: str
    items: list
    # The number of its first question, counted across the whole worksheet, so that every
    # page and the review number the questions the same way.
    first_number: int = 1

    @property
    def fingerprint(self) -> str:
        """Names the questions this part showed: a post carries it back, so that answers are
        only ever saved to the part the partner saw."""
        keys = ",".join(item.key for item in self.items)
        return hashlib.sha256(keys.encode()).hexdigest()[:16]


def steps(items) -> list[Step]:
    """Consecutive items with the same section title make one step."""
    grouped: list[tuple[str, list]] = []
    for item in items:
        if grouped and grouped[-1][0] == item.section:
            grouped[-1][1].append(item)
        else:
            grouped.append((item.section, [item]))
    result, first = [], 1
    for n, (title, group) in enumerate(grouped, start=1):
        result.append(Step(n, title, group, first))
        first += len(group)
    return result


def form_data_from_answers(answers: dict, items) -> dict:
    """Stored answers as form data, to check a whole draft before it is submitted."""
    data = {}
    for name, value in initial_from_answers(answers, items).items():
        data[name] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return data
