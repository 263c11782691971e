"""The form a partner fills in, built from the template's items."""

from django import forms

from worksheets.models import WorksheetItem

# A draft keeps text even when it is over the limit, so nothing typed is lost; this bound only
# stops a post from storing an unreasonable amount.
_DRAFT_TEXT_CEILING = 20000


def _field_for(item: WorksheetItem, *, required: bool) -> forms.Field:
    if item.kind == WorksheetItem.Kind.AGREEMENT:
        anchors = item.options["anchors"]
        return forms.TypedChoiceField(
            label=item.prompt,
            help_text=item.help_text,
            choices=[(str(n), anchor) for n, anchor in enumerate(anchors, start=1)],
            coerce=int,
            widget=forms.RadioSelect,
            required=required,
            error_messages={"required": "Please choose an answer."},
        )
    max_length = item.options["max_length"]
    return forms.CharField(
        label=item.prompt,
        help_text=item.help_text,
        max_length=max_length,
        required=required,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": max_length}),
        error_messages={
            "required": "Please write an answer.",
            "max_length": f"Please keep this to {max_length} characters or fewer "
            "(you have %(show_value)d).",
        },
    )


class AnswerForm(forms.Form):
    """Submission: every required item must be answered and every answer must be valid."""

    def __init__(self, *args, items, for_draft=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            required = item.required and not for_draft
            self.fields[item.key] = _field_for(item, required=required)

    def answers(self) -> dict:
        """The cleaned answers, leaving out items left blank."""
        return {key: value for key, value in self.cleaned_data.items() if value not in ("", None)}


def draft_answers(data, items) -> dict:
    """Everything worth keeping from a posted form, valid or not, for a draft."""
    form = AnswerForm(data, items=items, for_draft=True)
    form.is_valid()
    kept = {
        key: value
        for key, value in getattr(form, "cleaned_data", {}).items()
        if value not in ("", None)
    }
    for item in form.items:
        raw = data.get(item.key, "")
        if item.key in form.errors and item.kind == WorksheetItem.Kind.TEXT and raw:
            kept[item.key] = raw[:_DRAFT_TEXT_CEILING]
    return kept


def initial_from_answers(answers: dict) -> dict:
    return {key: str(value) if isinstance(value, int) else value for key, value in answers.items()}
