import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from therapy.timezones import time_zone_choices
from worksheets.library import latest_templates
from worksheets.models import WorksheetItem, WorksheetTemplate

VISIBILITY_CHOICES = [
    (WorksheetItem.Visibility.PRIVATE, "Private"),
    (WorksheetItem.Visibility.SHARED, "Shared with the partner"),
]


class PartnerAdminForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=time_zone_choices, initial="UTC")


class AssignWorksheetForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=WorksheetTemplate.objects.none(), label="Worksheet", empty_label=None
    )
    due_date = forms.DateField(
        label="Due date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Due at the end of this day, in the practice's time zone.",
    )

    def __init__(self, *args, practice_time_zone: str, template=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(practice_time_zone)
        self.fields["template"].queryset = latest_templates().order_by("title")
        self.adjustable_items = []
        if template is not None:
            self.fields["template"].initial = template.pk
            self._add_visibility_fields(template)

    def _add_visibility_fields(self, template):
        """One choice per item the counselor may re-decide; safety items are not offered."""
        for item in template.items.exclude(visibility=WorksheetItem.Visibility.NEVER):
            self.fields[f"visibility__{item.key}"] = forms.ChoiceField(
                label=item.prompt,
                choices=VISIBILITY_CHOICES,
                initial=item.visibility,
                widget=forms.RadioSelect,
            )
            self.adjustable_items.append(item)

    def visibility_fields(self):
        return [self[f"visibility__{item.key}"] for item in self.adjustable_items]

    def visibility_overrides(self) -> dict[str, str]:
        """Only the items whose setting differs from the template's."""
        return {
            item.key: self.cleaned_data[f"visibility__{item.key}"]
            for item in self.adjustable_items
            if self.cleaned_data[f"visibility__{item.key}"] != item.visibility
        }

    def clean_due_date(self):
        due_date = self.cleaned_data["due_date"]
        today = timezone.now().astimezone(self.zone).date()
        if due_date < today:
            raise forms.ValidationError("Choose today or a later date.")
        if due_date > today + dt.timedelta(days=366):
            raise forms.ValidationError("Choose a date within the next year.")
        return due_date

    def due_at(self) -> dt.datetime:
        # End of the chosen day in the practice's zone (23:59), stored in UTC.
        end_of_day = dt.datetime.combine(self.cleaned_data["due_date"], dt.time(23, 59))
        return end_of_day.replace(tzinfo=self.zone).astimezone(dt.UTC)


def chosen_template(data) -> WorksheetTemplate | None:
    """The worksheet picked on the assign page, if it is a current library version."""
    try:
        return latest_templates().get(pk=int(data.get("template", "")))
    except (ValueError, WorksheetTemplate.DoesNotExist):
        return None
