import datetime as dt
import re
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone

from clients.models import Couple, Partner
from clients.phones import can_take_texts, normalise_phone
from therapy.input_limits import check_service_year
from therapy.models import Practice
from therapy.timezones import time_zone_choices, time_zone_names
from worksheets.library import latest_templates
from worksheets.models import Assignment, WorksheetItem, WorksheetTemplate
from worksheets.scheduling import DEFAULT_PLAN, local_to_utc

VISIBILITY_CHOICES = [
    (WorksheetItem.Visibility.PRIVATE, "Private"),
    (WorksheetItem.Visibility.SHARED, "Shared with the partner"),
]


def _phone_in_e164(form) -> str:
    """The phone number typed, in E.164 form ("" when left empty)."""
    raw = form.cleaned_data["phone"].strip()
    return normalise_phone(raw, settings.PHONE_DEFAULT_REGION) if raw else ""


def _check_text_channel(form, cleaned: dict, *, missing: str) -> None:
    """Texts need a number that can take them; an invalid number has its own error already."""
    if cleaned.get("channel") != Partner.Channel.SMS or "phone" not in cleaned:
        return
    if not cleaned["phone"]:
        form.add_error("phone", missing)
    elif not can_take_texts(cleaned["phone"]):
        form.add_error(
            "phone",
            "This number cannot take text messages: give a mobile number, or choose e-mail.",
        )


class TimeZoneInput(forms.TextInput):
    """A text box that suggests IANA zone names as one types (a <datalist>), in place of a
    drop-down of some 600 names. The server still checks the name (clean_time_zone)."""

    template_name = "admin/widgets/time_zone.html"

    def __init__(self, attrs=None):
        super().__init__(
            {"autocomplete": "off", "spellcheck": "false", "class": "time-zone", **(attrs or {})}
        )

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        # The list is named after the input, so two partners' boxes each have their own.
        context["widget"]["attrs"]["list"] = f"{context['widget']['attrs']['id']}_names"
        context["widget"]["zones"] = time_zone_names()
        return context


def known_time_zone(typed: str) -> str:
    """The IANA name the counselor meant, forgiving case and spaces for underscores
    ("america/new york"); a ValidationError naming the problem when there is none."""
    wanted = typed.strip().replace(" ", "_").casefold()
    for name in time_zone_names():
        if name.casefold() == wanted:
            return name
    raise ValidationError(
        f"“{typed.strip()}” is not a time zone we know. Start typing the nearest large city, "
        "such as Europe/London or America/New_York, and pick it from the list."
    )


def _local_time_field(name: str, label: str, help_text: str = "") -> forms.TimeField:
    # A plain <input type="time"> in hours and minutes: the admin's time widget adds seconds,
    # a "Now" shortcut and a note about the server's clock, none of which a quiet hour needs.
    return forms.TimeField(
        label=label,
        help_text=help_text,
        # A declared field does not take the model's default by itself.
        initial=Partner._meta.get_field(name).default,
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )


class PartnerAdminForm(forms.ModelForm):
    time_zone = forms.CharField(
        label="Time zone",
        max_length=64,
        initial="UTC",
        widget=TimeZoneInput(),
        help_text="Where the partner lives: reminders follow their local time. Type a city, "
        "such as Europe/London or America/Chicago, and pick it from the list.",
    )
    quiet_hours_start = _local_time_field(
        "quiet_hours_start",
        "Quiet from", "Their local time: nothing is sent between these two times."
    )
    quiet_hours_end = _local_time_field("quiet_hours_end", "Quiet until")
    removed = forms.BooleanField(
        required=False,
        label="No longer part of this work",
        help_text="Keeps their past answers; they get no new worksheets or reminders.",
    )

    class Meta:
        model = Partner
        fields = ["display_name", "email", "time_zone", "quiet_hours_start", "quiet_hours_end"]
        # One line each: they are stored in text columns (encrypted), which the admin would
        # otherwise give a ten-line box.
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "off", "class": "vTextField"}),
            "phone": forms.TextInput(
                attrs={"type": "tel", "autocomplete": "off", "class": "vTextField"}
            ),
        }
        labels = {"display_name": "Name", "email": "E-mail address", "phone": "Mobile number"}

    def __init__(self, *args, default_time_zone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["removed"].initial = self.instance.removed_at is not None
        if self.instance.pk is None:
            # A partner being added cannot have left the work: the box is not shown, and
            # anything posted for it is ignored (a disabled field keeps its initial value).
            self.fields["removed"].widget = forms.HiddenInput()
            self.fields["removed"].disabled = True
            if default_time_zone:
                self.initial["time_zone"] = default_time_zone

    def clean_time_zone(self):
        return known_time_zone(self.cleaned_data["time_zone"])

    def clean_phone(self):
        return _phone_in_e164(self)

    def clean(self):
        cleaned = super().clean()
        _check_text_channel(self, cleaned, missing="Add a phone number to send text messages.")
        return cleaned

    def save(self, commit=True):
        removed = self.cleaned_data.get("removed")
        if removed and self.instance.removed_at is None:
            self.instance.removed_at = timezone.now()
        elif not removed:
            self.instance.removed_at = None
        return super().save(commit)


class AssignWorksheetForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=WorksheetTemplate.objects.none(), label="Worksheet", empty_label=None
    )
    for_partner = forms.ModelChoiceField(
        queryset=Partner.objects.none(),
        label="Who is it for?",
        required=False,
        blank=True,
        empty_label="Both partners",
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": "Choose both partners, or one of this couple's current partners."
        },
    )
    reveal = forms.ChoiceField(
        label="When do partners see each other's shared answers?",
        choices=Assignment.Reveal.choices,
        initial=Assignment.Reveal.AFTER_BOTH,
        widget=forms.RadioSelect,
        help_text="In session, neither partner sees the other's shared answers in the portal: "
        "you go through them together.",
    )
    # Date inputs take ISO values whatever the counselor's locale (en-gb would write 25/10/2026).
    due_date = forms.DateField(
        label="Due date",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text="Due at the end of this day, in the practice's time zone.",
    )

    recurrence = forms.ChoiceField(
        label="Repeat", choices=Assignment.Recurrence.choices, initial=Assignment.Recurrence.ONCE
    )
    interval_days = forms.IntegerField(
        label="Every how many days",
        min_value=1,
        max_value=90,
        initial=7,
        help_text="For repeating worksheets: 7 is weekly.",
    )
    repeat_until = forms.DateField(
        label="Repeat until",
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text="Optional. No occurrence is due after this day.",
    )
    max_occurrences = forms.IntegerField(
        label="At most this many times",
        required=False,
        min_value=1,
        max_value=104,
        help_text="Optional.",
    )
    before_due_hours = forms.IntegerField(
        label="Nudge this many hours before the due date",
        min_value=0,
        max_value=336,
        initial=DEFAULT_PLAN["before_due_hours"],
        help_text="0 for none.",
    )
    due_day = forms.BooleanField(
        label="Nudge on the due day", required=False, initial=DEFAULT_PLAN["due_day"]
    )
    overdue_first = forms.IntegerField(
        label="First overdue nudge, days late",
        min_value=0,
        max_value=30,
        required=False,
        initial=DEFAULT_PLAN["overdue_days"][0],
        help_text="Leave empty for none.",
    )
    overdue_second = forms.IntegerField(
        label="Second overdue nudge, days late",
        min_value=0,
        max_value=30,
        required=False,
        initial=DEFAULT_PLAN["overdue_days"][1],
        help_text="Leave empty for none.",
    )
    max_nudges = forms.IntegerField(
        label="Never more nudges than",
        min_value=0,
        max_value=5,
        initial=DEFAULT_PLAN["max_nudges"],
    )
    before_session_hours = forms.IntegerField(
        label="Nudge this many hours before the next session, if still open",
        min_value=0,
        max_value=168,
        initial=DEFAULT_PLAN["before_session_hours"],
        help_text="0 for none.",
    )

    PLAN_FIELDS = (
        "before_due_hours",
        "due_day",
        "overdue_first",
        "overdue_second",
        "max_nudges",
        "before_session_hours",
    )
    REPEAT_FIELDS = ("recurrence", "interval_days", "repeat_until", "max_occurrences")
    # Which repeat details each choice uses; the others are neither shown (assign.js) nor read.
    REPEAT_DETAILS = {
        Assignment.Recurrence.ONCE: (),
        Assignment.Recurrence.EVERY_N_DAYS: ("interval_days", "repeat_until", "max_occurrences"),
        Assignment.Recurrence.BEFORE_SESSION: ("repeat_until", "max_occurrences"),
    }
    AUDIENCE_FIELDS = ("for_partner", "reveal")

    def __init__(self, *args, couple: Couple, template=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(couple.practice.time_zone)
        self.fields["template"].queryset = latest_templates().order_by("title")
        # A partner of another couple, or one no longer in this one, is not a valid choice.
        self.fields["for_partner"].queryset = Partner.objects.current().filter(couple=couple)
        self._ignore_unused_repeat_details()
        self.adjustable_items = []
        if template is not None:
            self.fields["template"].initial = template.pk
            self.fields["for_partner"].help_text = (
                "A safety check for both partners goes to each of them separately, as work of "
                "their own: neither partner is told about the other's."
                if template.is_safety_check
                else "Work for one partner is sent to that partner only."
            )
            self._add_visibility_fields(template)

    def _ignore_unused_repeat_details(self):
        """A detail the chosen repeat does not use is ignored, whatever was posted for it: a
        disabled field keeps its initial value. With no valid choice, every detail is read."""
        if not self.is_bound:
            return
        chosen = self.data.get(self.add_prefix("recurrence"))
        used = self.REPEAT_DETAILS.get(chosen, self.REPEAT_FIELDS)
        for name in self.REPEAT_FIELDS[1:]:
            if name not in used:
                self.fields[name].disabled = True

    def repeat_details_for(self, name: str) -> str:
        """The repeat choices that use the field `name`, for assign.js to show it."""
        return " ".join(choice for choice, used in self.REPEAT_DETAILS.items() if name in used)

    def _add_visibility_fields(self, template):
        """One choice per item the counselor may re-decide; safety items are not offered."""
        for item in template.items.exclude(visibility=WorksheetItem.Visibility.NEVER):
            self.fields[f"visibility__{item.key}"] = forms.ChoiceField(
                label=item.prompt,
                choices=VISIBILITY_CHOICES,
                initial=item.visibility,
                # In a table row headed by the question (assign.html): each choice names it.
                widget=forms.RadioSelect(attrs={"aria-describedby": f"question-{item.key}"}),
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

    def clean_repeat_until(self):
        until = self.cleaned_data["repeat_until"]
        if until is not None:
            check_service_year(until)
        return until

    def clean(self):
        cleaned = super().clean()
        second, first = cleaned.get("overdue_second"), cleaned.get("overdue_first")
        if second is not None and first is not None and second <= first:
            self.add_error("overdue_second", "Make the second overdue nudge later than the first.")
        until, due = cleaned.get("repeat_until"), cleaned.get("due_date")
        if until and due and until < due:
            self.add_error("repeat_until", "Choose a day on or after the first due date.")
        return cleaned

    def _end_of_day(self, day: dt.date) -> dt.datetime:
        # End of the chosen day in the practice's zone (23:59), stored in UTC.
        return (
            dt.datetime.combine(day, dt.time(23, 59)).replace(tzinfo=self.zone).astimezone(dt.UTC)
        )

    def reminder_plan(self) -> dict:
        data = self.cleaned_data
        overdue = [
            days for days in (data["overdue_first"], data["overdue_second"]) if days is not None
        ]
        return {
            "before_due_hours": data["before_due_hours"],
            "due_day": data["due_day"],
            "overdue_days": overdue,
            "max_nudges": data["max_nudges"],
            "before_session_hours": data["before_session_hours"],
        }

    def repetition(self) -> dict:
        data = self.cleaned_data
        until = data.get("repeat_until")
        return {
            "recurrence": data["recurrence"],
            "interval_days": data["interval_days"],
            "repeat_until": self._end_of_day(until) if until else None,
            "max_occurrences": data.get("max_occurrences"),
        }

    def plan_fields(self):
        return [self[name] for name in self.PLAN_FIELDS]

    def audience_fields(self):
        return [self[name] for name in self.AUDIENCE_FIELDS]

    def repeat_fields(self):
        """Each repeat field with the choices that use it ("" for the choice itself)."""
        return [
            (self[name], self.repeat_details_for(name) if name != "recurrence" else "")
            for name in self.REPEAT_FIELDS
        ]


def chosen_template(data) -> WorksheetTemplate | None:
    """The worksheet picked on the assign page, if it is a current library version."""
    try:
        return latest_templates().get(pk=int(data.get("template", "")))
    except (ValueError, WorksheetTemplate.DoesNotExist):
        return None


class FollowUpForm(forms.Form):
    """What the counselor did about an alert, kept with it when they acknowledge it. Only an
    urgent alert requires it (therapy.alerts.acknowledge refuses one without)."""

    note = forms.CharField(
        label="What did you do to follow up?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the alert, with your name and the time, in the safety follow-ups.",
        error_messages={
            "required": "Write what you did to follow up: an urgent alert is acknowledged "
            "only with a note."
        },
    )

    def __init__(self, *args, alert, **kwargs):
        super().__init__(*args, prefix=f"alert-{alert.pk}", **kwargs)
        self.alert = alert
        self.fields["note"].required = alert.is_urgent


class ScheduleSessionForm(forms.Form):
    starts_at = forms.DateTimeField(
        label="Starts at",
        widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}),
        help_text="In the practice's time zone.",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args, practice_time_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(practice_time_zone)

    def clean_starts_at(self):
        # The browser sends a wall-clock time; read it in the practice's zone, not the server's.
        value = self.cleaned_data["starts_at"].replace(tzinfo=None)
        check_service_year(value)
        starts_at = local_to_utc(value, self.zone)
        if starts_at <= timezone.now():
            raise forms.ValidationError("Choose a time in the future.")
        return starts_at


class ContactPreferencesForm(forms.ModelForm):
    """What a partner may change about how and when they hear from us."""

    time_zone = forms.ChoiceField(choices=time_zone_choices, label="Your time zone")

    class Meta:
        model = Partner
        fields = [
            "time_zone",
            "quiet_hours_start",
            "quiet_hours_end",
            "preferred_hour",
            "channel",
            "phone",
            "reminders_enabled",
        ]
        labels = {
            "quiet_hours_start": "Quiet from",
            "quiet_hours_end": "Quiet until",
            "preferred_hour": "Best hour for reminders (0–23)",
            "channel": "Send reminders by",
            "phone": "Mobile number (for text messages)",
            "reminders_enabled": "Send me reminders",
        }
        help_texts = {
            "quiet_hours_start": "We never send anything between these times.",
            "preferred_hour": "For example 18 for six in the evening.",
        }
        widgets = {
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}),
        }

    def clean_preferred_hour(self):
        hour = self.cleaned_data["preferred_hour"]
        if not 0 <= hour <= 23:
            raise forms.ValidationError("Choose an hour from 0 to 23.")
        return hour

    def clean_phone(self):
        return _phone_in_e164(self)

    def clean(self):
        cleaned = super().clean()
        _check_text_channel(self, cleaned, missing="Add your mobile number to get text messages.")
        return cleaned


class NewLinkForm(forms.Form):
    email = forms.EmailField(
        label="Your e-mail address", error_messages={"invalid": "Please enter an e-mail address."}
    )


PHONE = re.compile(r"[0-9+()./\- ]+")
MAX_SUPPORT_CONTACTS = 20


def support_contacts_text(contacts: list[dict]) -> str:
    """The practice's support contacts as the practice page edits them, one a line."""
    lines = []
    for contact in contacts:
        parts = [contact.get("name", ""), contact.get("phone", ""), contact.get("url", "")]
        lines.append(" | ".join(parts if parts[2] else parts[:2]))
    return "\n".join(lines)


def parse_support_contact(line: str) -> dict:
    """One line "Name | phone | https://link" as a contact; the phone or the link may be left
    out, not both. "Name | https://link" is read as a link."""
    parts = [part.strip() for part in line.split("|")]
    if len(parts) > 3:
        raise ValidationError("write at most three parts: name | phone | link.")
    if len(parts) == 2 and ("://" in parts[1] or parts[1].lower().startswith("www.")):
        parts.insert(1, "")
    name, phone, url = [*parts, "", ""][:3]
    if not name:
        raise ValidationError("start with the name of the service.")
    if len(name) > 120:
        raise ValidationError("keep the name under 120 characters.")
    if not phone and not url:
        raise ValidationError("add a phone number or a link, or both.")
    if phone and (not PHONE.fullmatch(phone) or not any(c.isdigit() for c in phone)):
        raise ValidationError(
            "a phone number has digits, and otherwise only spaces and + ( ) - . /"
        )
    if len(phone) > 32:
        raise ValidationError("keep the phone number under 32 characters.")
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise ValidationError(
                "a link is a full web address starting with https:// or http://."
            ) from None
    return {"name": name, "phone": phone, "url": url}


class SupportResourcesForm(forms.ModelForm):
    """The practice's support message and contacts: shown in the portal to a partner whose
    answers raised a safety signal, and to no one else (clients/_support.html)."""

    support_contacts = forms.CharField(
        label="Support contacts",
        required=False,
        strip=False,  # a leading blank line kept, so errors count lines as the page shows them
        # Not wrapped on screen, so that "line 2" in an error is the second line one sees.
        widget=forms.Textarea(attrs={"rows": 6, "cols": 90, "wrap": "off"}),
        help_text="One a line: Name | phone | https://link. Leave out the phone or the link if "
        "there is none, but give at least one. For example: "
        "Domestic abuse helpline | 0800 200 0247 | https://example.org/help",
    )

    class Meta:
        model = Practice
        fields = ["support_message", "support_contacts"]
        labels = {"support_message": "Message"}
        help_texts = {
            "support_message": "What the partner reads first, above the contacts.",
        }
        widgets = {"support_message": forms.Textarea(attrs={"rows": 4, "cols": 90})}
        error_messages = {
            "support_message": {"required": "Write the message the partner reads first."}
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["support_contacts"] = support_contacts_text(self.instance.support_contacts)

    def clean_support_message(self):
        message = self.cleaned_data["support_message"]
        if len(message) > 2000:
            raise forms.ValidationError("Keep the message under 2000 characters.")
        return message

    def clean_support_contacts(self):
        contacts, problems = [], []
        for number, line in enumerate(self.cleaned_data["support_contacts"].splitlines(), 1):
            if not line.strip():
                continue
            try:
                contacts.append(parse_support_contact(line))
            except ValidationError as error:
                problems.append(f"Line {number} (“{line.strip()}”): {error.messages[0]}")
        if problems:
            raise forms.ValidationError(problems)
        if len(contacts) > MAX_SUPPORT_CONTACTS:
            raise forms.ValidationError(f"List at most {MAX_SUPPORT_CONTACTS} contacts.")
        return contacts


class ErasureForm(forms.Form):
    """Erasing cannot be undone: the counselor types the name to show they mean it."""

    confirm = forms.CharField(label="Type the name to confirm", max_length=200)
    reason = forms.CharField(
        label="Why",
        max_length=200,
        help_text="Kept in the erasure record, for example “asked by the partner on 2 Dec”. "
        "Do not write names or anything personal here.",
    )

    def __init__(self, *args, name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.name = name

    def clean_confirm(self):
        typed = self.cleaned_data["confirm"].strip()
        if typed != self.name:
            raise forms.ValidationError(f"Type “{self.name}” exactly to confirm.")
        return typed
