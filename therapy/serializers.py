"""Output shapes of the counselor API. Read-only: the API changes nothing.

Times are ISO 8601 in UTC; scores are the stored ones. Every couple-level answer carries the
reminder that these are reflective exercises, not a diagnosis.
"""

from rest_framework import serializers

from therapy.brief import NOTE
from therapy.dashboard import SORTS

_when = serializers.DateTimeField().to_representation


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


def _subscale(chart) -> dict:
    return {
        "key": chart.key,
        "label": chart.label,
        "maximum": chart.maximum,
        "series": [
            {
                "partner": partner.pk,
                "points": [{"at": _when(at), "score": score} for at, score in points],
            }
            for partner, points in chart.series
        ],
    }


class CoupleScoresSerializer(serializers.Serializer):
    """A couple's scores over time: each partner's subscales on the worksheet answered most
    often, and the partners' gap in preferred balance."""

    def to_representation(self, detail):
        return {
            "id": detail.couple.pk,
            "label": detail.couple.label,
            "status": detail.couple.status,
            "partners": PartnerSerializer(detail.partners, many=True).data,
            "subscales_from": detail.charts_for,
            "subscales": [_subscale(chart) for chart in detail.subscale_charts],
            "gaps": [
                {"at": _when(point.at), "gap": point.gap, "worksheet": point.worksheet}
                for point in detail.gaps
            ],
            "open_alerts": AlertSerializer(detail.alerts, many=True).data,
            "note": NOTE,
        }


def _partner_brief(summary) -> dict:
    return {
        "id": summary.partner.pk,
        "name": summary.partner.display_name,
        "done": [
            {"worksheet": d.worksheet, "at": _when(d.submitted_at), "engagement": d.engagement}
            for d in summary.done
        ],
        "missed": [{"worksheet": title, "due_at": _when(due)} for title, due in summary.missed],
        "still_open": [
            {"worksheet": title, "due_at": _when(due)} for title, due in summary.still_open
        ],
        "scores": [
            {
                "worksheet": s.worksheet,
                "score": s.label,
                "value": s.score,
                "maximum": s.maximum,
                "change": s.change,
            }
            for s in summary.scores
        ],
        "changes": [{"score": label, "change": delta} for label, delta in summary.changes],
        "guesses": (
            {"closeness": summary.guesses.now, "before": summary.guesses.before}
            if summary.guesses
            else None
        ),
        "balance": summary.balance,
    }


class BriefSerializer(serializers.Serializer):
    """The brief for the couple's next session, as on its page."""

    def to_representation(self, brief):
        session = brief.session
        return {
            "couple": {"id": brief.couple.pk, "label": brief.couple.label},
            # First, as on the page: open safety alerts, each a partner to see alone first.
            # Like the rest of the API, they carry no answers.
            "urgent_alerts": [
                {**AlertSerializer(urgent.alert).data, "instruction": urgent.instruction}
                for urgent in brief.urgent_alerts
            ],
            "joint_work_paused": brief.joint_work_paused,
            "session": (
                {"starts_at": _when(session.starts_at), "counselor": session.counselor.display_name}
                if session
                else None
            ),
            "since": _when(brief.since),
            "is_ready": brief.is_ready,
            "partners": [_partner_brief(summary) for summary in brief.partners],
            "gap": brief.gap,
            "gap_change": brief.gap_change,
            "open_alerts": AlertSerializer(brief.alerts, many=True).data,
            "shared_texts": [
                {"partner": name, "prompt": prompt, "answer": answer}
                for name, prompt, answer in brief.shared_texts
            ],
            "patterns": [
                {"title": pattern.title, "evidence": pattern.evidence} for pattern in brief.patterns
            ],
            "prompts": [{"why": p.why, "prompt": p.text} for p in brief.prompts],
            "note": brief.note,
        }
