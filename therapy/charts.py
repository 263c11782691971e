"""Line charts drawn on the server as SVG: no network, no script, legible when printed.

Each chart comes with a text table in the page for screen readers and for exact values.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from therapy.dashboard import CoupleDetail
from worksheets.interdependence import HIGH, LOW, map_summary

# Two colours that stay apart for the common colour-vision deficiencies, and a dash pattern
# so the lines differ without colour too.
STYLES = [("#1f5f8b", ""), ("#c4571b", "6 4")]
WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 16, 36


@dataclass(frozen=True)
class Series:
    name: str
    points: list[tuple[dt.datetime, float]]


def _n(value: float) -> str:
    return f"{value:.1f}"


# Points less than this far apart are not spread across the whole chart, where two partners'
# single submissions a day apart would sit at opposite edges and look like a trend.
MIN_SPAN = dt.timedelta(weeks=4)


def _x_scale(points: list[dt.datetime]):
    start, end = min(points), max(points)
    pad = max(MIN_SPAN - (end - start), dt.timedelta(0)) / 2
    left, right = start - pad, end + pad
    span = (right - left).total_seconds()
    width = WIDTH - LEFT - RIGHT

    def x(moment: dt.datetime) -> float:
        return LEFT + width * (moment - left).total_seconds() / span

    return x, start, end


def line_chart(
    *, title: str, series: list[Series], y_min: float, y_max: float, y_label: str
) -> SafeString:
    """An SVG line chart of up to two series against time, or a note when there is no data."""
    moments = [moment for s in series for moment, _ in s.points]
    if not moments:
        return format_html('<p class="chart-empty">{}: nothing to chart yet.</p>', title)
    x, start, end = _x_scale(moments)
    height = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + height * (1 - (value - y_min) / (y_max - y_min))

    ticks = sorted({y_min, (y_min + y_max) / 2, y_max})
    grid = format_html_join(
        "",
        (
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#d9d9d9"/>'
            '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#333">{}</text>'
        ),
        ((LEFT, WIDTH - RIGHT, y(t), y(t), LEFT - 6, y(t) + 4, f"{t:g}") for t in ticks),
    )
    lines = []
    for (colour, dash), item in zip(STYLES, series, strict=False):
        coords = " ".join(f"{x(m):.1f},{y(v):.1f}" for m, v in item.points)
        dots = format_html_join(
            "",
            '<circle cx="{}" cy="{}" r="3.5" fill="{}"/>',
            ((x(m), y(v), colour) for m, v in item.points),
        )
        lines.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5" '
                'stroke-dasharray="{}"/>{}',
                coords,
                colour,
                dash,
                dots,
            )
        )
    legend = format_html_join(
        "",
        (
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="2.5" '
            'stroke-dasharray="{}"/><text x="{}" y="{}" font-size="12" fill="#222">{}</text>'
        ),
        (
            (
                LEFT + 150 * i,
                LEFT + 150 * i + 24,
                HEIGHT - 8,
                HEIGHT - 8,
                colour,
                dash,
                LEFT + 150 * i + 30,
                HEIGHT - 4,
                item.name,
            )
            for i, ((colour, dash), item) in enumerate(zip(STYLES, series, strict=False))
        ),
    )
    # The first and the last day, under their points; one label when they are the same day.
    days = [start] if start.date() == end.date() else [start, end]
    dates = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="11" fill="#333" text-anchor="middle">{}</text>',
        ((_n(x(day)), HEIGHT - BOTTOM + 14, date_format(day, "SHORT_DATE_FORMAT")) for day in days),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'aria-label="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>'
        '<text x="{}" y="{}" font-size="11" fill="#333" transform="rotate(-90 {} {})">{}</text>'
        "{}{}{}{}</svg>",
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        title,
        title,
        12,
        TOP + height / 2,
        12,
        TOP + height / 2,
        y_label,
        grid,
        format_html_join("", "{}", ((line,) for line in lines)),
        dates,
        legend,
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


# The interdependence map: autonomy across, connection up, both on the worksheets' 1–5 scales.
MAP_SIZE, MAP_PAD = 360, 48


def map_chart(paths: list) -> SafeString:
    """Both partners' paths on the interdependence map (worksheets.interdependence), oldest to
    latest, with the over-end zones drawn in their corners: setting oneself aside (much
    leaning in, little room of one's own) and going it alone (the reverse)."""
    if not any(points for _, points in paths):
        return format_html(
            '<p class="chart-empty">{}</p>',
            "The map needs a worksheet that scores both leaning on the partner and room of "
            "one's own (the weekly check-in or the balance inventory).",
        )
    span = MAP_SIZE - 2 * MAP_PAD

    def x(score: float) -> float:
        return MAP_PAD + span * (score - 1) / 4

    def y(score: float) -> float:
        return MAP_PAD + span * (1 - (score - 1) / 4)

    low, high = x(LOW), x(HIGH)
    frame = format_html(
        # The over-end zones, then the healthy "close and distinct" corner.
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#fbe3d6"/>'
        '<text x="{}" y="{}" font-size="11" fill="#7a2e0b"><tspan>toward setting</tspan>'
        '<tspan x="{}" dy="13">oneself aside</tspan></text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#dde9f3"/>'
        '<text x="{}" y="{}" font-size="11" fill="#123c58" text-anchor="end">'
        '<tspan>toward going</tspan><tspan x="{}" dy="13">it alone</tspan></text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#e4f1e1"/>'
        '<text x="{}" y="{}" font-size="11" fill="#1f4d1a" text-anchor="end">'
        '<tspan>close and</tspan><tspan x="{}" dy="13">distinct</tspan></text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#888"/>'
        '<text x="{}" y="{}" font-size="12" fill="#222" text-anchor="middle">'
        "room of one's own (autonomy) →</text>"
        '<text x="{}" y="{}" font-size="12" fill="#222" text-anchor="middle" '
        'transform="rotate(-90 {} {})">leaning on the partner (connection) →</text>'
        '<text x="{}" y="{}" font-size="11" fill="#333" text-anchor="middle">1</text>'
        '<text x="{}" y="{}" font-size="11" fill="#333" text-anchor="middle">5</text>'
        '<text x="{}" y="{}" font-size="11" fill="#333" text-anchor="end">1</text>'
        '<text x="{}" y="{}" font-size="11" fill="#333" text-anchor="end">5</text>',
        MAP_PAD, MAP_PAD, low - MAP_PAD, y(HIGH) - MAP_PAD,
        MAP_PAD + 4, MAP_PAD + 14, MAP_PAD + 4,
        high, y(LOW), MAP_SIZE - MAP_PAD - high, MAP_SIZE - MAP_PAD - y(LOW),
        MAP_SIZE - MAP_PAD - 4, MAP_SIZE - MAP_PAD - 19, MAP_SIZE - MAP_PAD - 4,
        high, MAP_PAD, MAP_SIZE - MAP_PAD - high, y(HIGH) - MAP_PAD,
        MAP_SIZE - MAP_PAD - 4, MAP_PAD + 14, MAP_SIZE - MAP_PAD - 4,
        MAP_PAD, MAP_PAD, span, span,
        MAP_SIZE / 2, MAP_SIZE - 12,
        16, MAP_SIZE / 2, 16, MAP_SIZE / 2,
        x(1), MAP_SIZE - MAP_PAD + 14, x(5), MAP_SIZE - MAP_PAD + 14,
        MAP_PAD - 6, y(1) + 4, MAP_PAD - 6, y(5) + 4,
    )
    drawn = []
    for (colour, dash), (partner, points) in zip(STYLES, paths, strict=False):
        if not points:
            continue
        coords = [(x(m["autonomy"]), y(m["connection"])) for _, m in points]
        dots = format_html_join(
            "", '<circle cx="{}" cy="{}" r="3" fill="{}"/>',
            ((_n(cx), _n(cy), colour) for cx, cy in coords[:-1]),
        )
        last_x, last_y = coords[-1]
        drawn.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2" '
                'stroke-dasharray="{}"/>{}'
                '<circle cx="{}" cy="{}" r="6" fill="{}" stroke="#fff" stroke-width="2"/>'
                '<text x="{}" y="{}" font-size="12" fill="#222" text-anchor="{}">{}</text>',
                " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords),
                colour, dash, dots,
                _n(last_x), _n(last_y), colour,
                # The name on the side of the dot with room for it, so it is never cut off.
                *((_n(last_x + 9), _n(last_y - 8), "start") if last_x < MAP_SIZE / 2
                  else (_n(last_x - 9), _n(last_y - 8), "end")),
                partner.display_name,
            )
        )
    title = "Interdependence map: each partner's path, the large dot the latest"
    return format_html(
        '<svg class="chart map" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'aria-label="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}{}</svg>',
        MAP_SIZE, MAP_SIZE, MAP_SIZE, MAP_SIZE, title, title, frame,
        format_html_join("", "{}", ((path,) for path in drawn)),
    )


def map_rows(paths: list) -> list[tuple]:
    """The text alternative of the map: who, when, the two axes and the position in words."""
    return [
        (
            partner.display_name,
            timezone.localtime(at),
            figures["connection"],
            figures["autonomy"],
            map_summary(figures),
        )
        for partner, points in paths
        for at, figures in points
    ]


def map_context(paths: list, *, table_paths: list | None = None) -> dict:
    """What admin/clients/couple/_map.html draws: the map and the rows of its table (of
    `table_paths`, when only part of the paths is to be listed)."""
    return {
        "map_svg": map_chart(paths),
        "map_rows": map_rows(paths if table_paths is None else table_paths),
    }
