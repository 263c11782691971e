"""Counselor notes on a couple, and the couple page's charts."""

import datetime as dt

from django import forms
from django.utils import timezone

from clients.models import Couple
from therapy.charts import Series, line_chart
from therapy.dashboard import CoupleDetail
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


def couple_charts(detail: CoupleDetail) -> list[dict]:
    """The SVG for each chart, with the rows of its text alternative."""
    charts = []
    for chart in detail.subscale_charts:
        series = [
            Series(p.display_name, [(timezone.localtime(at), v) for at, v in points])
            for p, points in chart.series
        ]
        charts.append(
            {
                "title": chart.label,
                "svg": line_chart(
                    title=f"{chart.label}: each partner over time",
                    series=series,
                    y_min=1,
                    y_max=chart.maximum,
                    y_label="score",
                ),
                "rows": [(s.name, at, value) for s in series for at, value in s.points],
            }
        )
    gap_points = [(timezone.localtime(point.at), point.gap) for point in detail.gaps]
    charts.append(
        {
            "title": "Gap between the partners' preferred balance",
            "svg": line_chart(
                title="Gap between the partners' preferred balance, over time",
                series=[Series("Gap (0–10)", gap_points)],
                y_min=0,
                y_max=10,
                y_label="gap",
            ),
            "rows": [("Gap", at, value) for at, value in gap_points],
        }
    )
    return charts
