"""The server-drawn charts: nothing that looks like a trend where there is none, and the same
axis labels on every chart."""

import datetime as dt
import re

from django.utils import timezone

from therapy.charts import LEFT, RIGHT, WIDTH, Series, line_chart

DAY = timezone.make_aware(dt.datetime(2026, 11, 2, 18, 0))


def xs(svg: str) -> list[float]:
    return [float(x) for x in re.findall(r'<circle cx="([0-9.]+)"', svg)]


def test_one_submission_each_a_day_apart_does_not_span_the_chart():
    svg = line_chart(
        title="Leaning on your partner",
        series=[Series("Sam", [(DAY, 4)]), Series("Alex", [(DAY + dt.timedelta(days=1), 2)])],
        y_min=1,
        y_max=5,
        y_label="score",
    )
    first, second = xs(svg)
    plot = WIDTH - LEFT - RIGHT
    assert second - first < plot / 10  # a day apart, drawn close together
    assert LEFT + plot * 0.3 < first < LEFT + plot * 0.7  # in the middle, not at an edge


def test_a_single_day_has_one_date_label_and_labels_read_alike():
    svg = line_chart(
        title="Leaning on your partner",
        series=[Series("Sam", [(DAY, 4)]), Series("Alex", [(DAY + dt.timedelta(hours=2), 2)])],
        y_min=1,
        y_max=5,
        y_label="score",
    )
    assert svg.count("Nov 2") == 1  # SHORT_DATE_FORMAT, in US English by default
    ticks = re.findall(r'text-anchor="end" fill="#333">([^<]+)</text>', svg)
    assert ticks == ["1", "3", "5"]
