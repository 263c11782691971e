"""Counselor notes on a couple."""

import datetime as dt

from django import forms

from clients.models import Couple
from therapy.models import Counselor, CounselorNote


class CounselorNoteForm(forms.Form):
    text = forms.CharField(
        label="Add a note",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only counselors of this couple see notes.",
    )


def add_note(*, couple: Couple, counselor: Counselor, text: str, now: dt.datetime) -> CounselorNote:
    return CounselorNote.objects.create(
        couple=couple, counselor=counselor, text=text.strip(), created_at=now
    )
