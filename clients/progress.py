"""A partner's own results over time, from the scores stored at each submission: where they
stood on the interdependence map, and each subscale of each worksheet. Only their own
responses are read (therapy.access.responses_of_partner), so nothing of the other partner's
can appear."""

import datetime as dt
from dataclasses import dataclass, field

from clients.models import Partner
from therapy.access import responses_of_partner
from worksheets.interdependence import POSITIONS


@dataclass
class SubscaleHistory:
    worksheet: str
    label: str
    maximum: int
    points: list[tuple[dt.datetime, float, str]] = field(default_factory=list)  # at, score, band


@dataclass
class Progress:
    map_points: list[tuple[dt.datetime, dict]]
    subscales: list[SubscaleHistory]
    handed_in: int

    @property
    def map_rows(self) -> list[tuple[dt.datetime, float, float, str]]:
        return [
            (at, m["connection"], m["autonomy"], POSITIONS[m["position"]].label)
            for at, m in self.map_points
        ]


def own_progress(partner: Partner) -> Progress:
    responses = (
        responses_of_partner(partner)
        .filter(status="submitted")
        .select_related("assignment__template")
        .only("scores", "submitted_at", "assignment__template__title")
        .order_by("submitted_at", "pk")
    )
    map_points, subscales, handed_in = [], {}, 0
    for response in responses:
        handed_in += 1
        if response.scores.get("map"):
            map_points.append((response.submitted_at, response.scores["map"]))
        title = response.assignment.template.title
        for subscale in response.scores.get("subscales", []):
            if subscale["score"] is None:
                continue
            history = subscales.setdefault(
                (title, subscale["key"]),
                SubscaleHistory(title, subscale["label"], subscale["maximum"]),
            )
            history.points.append((response.submitted_at, subscale["score"], subscale["band"]))
    return Progress(map_points, list(subscales.values()), handed_in)
