"""Adding and changing couples and their partners, by the dashboard's rules.

A partner's details are checked by the dashboard's own form (clients.forms.PartnerAdminForm:
an IANA time zone, quiet hours in local hours and minutes, an E.164 phone number, a phone that
takes texts for the text channel, "no longer part of this work" to remove a partner), and a
couple's by the form the dashboard builds from the model. The API fills the forms from its
JSON and calls the functions here, as the dashboard's couple pages do.
"""

import datetime as dt

from django import forms
from django.db import transaction

from clients.forms import PartnerAdminForm
from clients.models import Couple, Partner
from therapy.models import Counselor, Practice
from worksheets.reminders import reschedule_partner

# A couple has one or two partners, a removed one included: they keep their past answers.
MOST_PARTNERS = 2
COUPLE_FIELDS = ["label", "status", "individual_work_only"]
PARTNER_FIELDS = [
    "display_name",
    "email",
    "time_zone",
    "quiet_hours_start",
    "quiet_hours_end",
    "preferred_hour",
    "channel",
    "phone",
    "reminders_enabled",
]
# A change to any of these plans the partner's pending reminders again.
REMINDER_TIMING_FIELDS = {
    "time_zone",
    "quiet_hours_start",
    "quiet_hours_end",
    "preferred_hour",
    "channel",
}

CoupleForm = forms.modelform_factory(Couple, fields=COUPLE_FIELDS)
PartnerForm = forms.modelform_factory(Partner, form=PartnerAdminForm, fields=PARTNER_FIELDS)


OTHER_PRACTICE = "Choose counselors of the couple's practice."


class CoupleError(ValueError):
    """A change the rules refuse; `field` names what it is about."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


def check_counselors(*, practice: Practice, counselors: list[Counselor]) -> None:
    """A couple's counselors are counselors of its practice, and it has at least one."""
    if not counselors:
        raise CoupleError("Choose at least one counselor.", field="counselors")
    if any(counselor.practice_id != practice.pk for counselor in counselors):
        raise CoupleError(OTHER_PRACTICE, field="counselors")


@transaction.atomic
def create_couple(
    *,
    practice: Practice,
    couple_form: forms.ModelForm,
    partner_forms: list[forms.ModelForm],
    counselors: list[Counselor],
) -> Couple:
    """A couple of `practice` with its partners, from valid forms."""
    check_counselors(practice=practice, counselors=counselors)
    if not 1 <= len(partner_forms) <= MOST_PARTNERS:
        raise CoupleError(f"Give one or {MOST_PARTNERS} partners.", field="partners")
    couple = couple_form.save(commit=False)
    couple.practice = practice
    couple.save()
    couple.counselors.set(counselors)
    for form in partner_forms:
        form.instance.couple = couple
        form.save()
    return couple


@transaction.atomic
def update_couple(
    *, couple_form: forms.ModelForm, counselors: list[Counselor] | None = None
) -> Couple:
    """Save a couple's changed details (and counselors, when given) from a valid form."""
    couple = couple_form.save()
    if counselors is not None:
        check_counselors(practice=couple.practice, counselors=counselors)
        couple.counselors.set(counselors)
    return couple


@transaction.atomic
def add_partner(*, couple: Couple, partner_form: forms.ModelForm) -> Partner:
    """A second partner for the couple, from a valid form."""
    if Partner.objects.filter(couple=couple).select_for_update().count() >= MOST_PARTNERS:
        raise CoupleError(f"A couple has at most {MOST_PARTNERS} partners.", field="partners")
    partner_form.instance.couple = couple
    return partner_form.save()


@transaction.atomic
def update_partner(*, partner_form: forms.ModelForm, now: dt.datetime) -> Partner:
    """Save a partner's changed details from a valid form. New times for the reminders not
    sent yet when their zone, quiet hours, hour or channel changed; what went out stays."""
    moved = bool(REMINDER_TIMING_FIELDS & set(partner_form.changed_data))
    partner = partner_form.save()
    if moved:
        reschedule_partner(partner=partner, now=now)
    return partner
