import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from therapy.timezones import time_zone_choices
from worksheets.library import latest_templates
from worksheets.models import WorksheetTemplate


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

    def __init__(self, *args, practice_time_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(practice_time_zone)
        self.fields["template"].queryset = latest_templates().order_by("title")

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
