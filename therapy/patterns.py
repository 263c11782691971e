"""Couple patterns: what the two partners' recent submissions show together. Pure: stored
figures in, plain values out.

The worksheets' sources describe patterns that belong to the couple, not to either partner:
one partner setting themselves aside while the other goes it alone (which throws the
relationship off balance), both drifting toward going it alone, both setting themselves aside
(fused), a wide and growing gap in the togetherness they want, and a partner whose picture of
the other is far off and getting further. Each is found over the last few submissions and
told with its evidence, as something to explore in session, never as a diagnosis.
"""

from dataclasses import dataclass

from worksheets.interdependence import HIGH

# The submissions a pattern is read over: the latest few, so that it follows the couple now.
WINDOW = 3
# A move of half a point on a 1–5 scale over the window is a direction, not noise.
RISE = 0.5
# A gap in preferred togetherness of this much (0–10) is wide (worksheets.scoring).
WIDE_GAP = 4
# Guesses this close to the other's answers (0–100) or closer are not "far off".
FAR_OFF = 60


@dataclass(frozen=True)
class MapPoint:
    setting_aside: float | None
    going_alone: float | None


@dataclass(frozen=True)
class PartnerHistory:
    partner_id: int
    name: str
    points: list[MapPoint]  # oldest first
    # How close this partner's guesses of the other's answers were (0–100), oldest first.
    guess_accuracy: list[int]


@dataclass(frozen=True)
class Pattern:
    # Names the pattern (and the partner, where it is one partner's) for "one alert while it
    # lasts": the alert's subject.
    subject: str
    title: str
    evidence: str


def _recent(values: list) -> list:
    return [v for v in values if v is not None][-WINDOW:]


def _moving_toward(values: list[float | None]) -> bool:
    """In the over-end now, or risen by RISE over the window to the middle of the scale."""
    recent = _recent(values)
    if not recent:
        return False
    return recent[-1] > HIGH or (
        len(recent) >= 2 and recent[-1] - recent[0] >= RISE and recent[-1] >= 3
    )


def _path(values: list) -> str:
    return " → ".join(f"{v:g}" for v in _recent(values))


def couple_patterns(a: PartnerHistory, b: PartnerHistory, gaps: list[int]) -> list[Pattern]:
    """The patterns that hold now, from each partner's recent map points and guesses and the
    couple's gaps in preferred togetherness (oldest first)."""
    found = []
    aside = {p.partner_id: [m.setting_aside for m in p.points] for p in (a, b)}
    alone = {p.partner_id: [m.going_alone for m in p.points] for p in (a, b)}
    toward_aside = {pk: _moving_toward(values) for pk, values in aside.items()}
    toward_alone = {pk: _moving_toward(values) for pk, values in alone.items()}
    for first, second in ((a, b), (b, a)):
        # Opposite ways: one only toward setting themselves aside, the other only toward
        # going it alone (both ways at once is told as fused or drifting apart).
        if (
            toward_aside[first.partner_id]
            and not toward_alone[first.partner_id]
            and toward_alone[second.partner_id]
            and not toward_aside[second.partner_id]
        ):
            found.append(
                Pattern(
                    subject=f"pattern: aside and alone, {first.partner_id}",
                    title=f"{first.name} setting themselves aside while {second.name} goes it "
                    "alone",
                    evidence=f"{first.name}'s “setting oneself aside” "
                    f"{_path(aside[first.partner_id])}; {second.name}'s “going it alone” "
                    f"{_path(alone[second.partner_id])} (1–5, latest last). Each pulling "
                    "further their own way can throw the relationship off balance.",
                )
            )
    if toward_alone[a.partner_id] and toward_alone[b.partner_id]:
        found.append(
            Pattern(
                subject="pattern: drifting apart",
                title="Both moving toward going it alone",
                evidence=f"“Going it alone”: {a.name} {_path(alone[a.partner_id])}, {b.name} "
                f"{_path(alone[b.partner_id])} (1–5, latest last).",
            )
        )
    latest_aside = [_recent(aside[p.partner_id])[-1:] for p in (a, b)]
    if all(latest and latest[0] > HIGH for latest in latest_aside):
        found.append(
            Pattern(
                subject="pattern: fused",
                title="Both often setting themselves aside",
                evidence=f"“Setting oneself aside”: {a.name} {latest_aside[0][0]:g}, {b.name} "
                f"{latest_aside[1][0]:g} of 5 on the latest worksheets.",
            )
        )
    recent_gaps = _recent(gaps)
    if len(recent_gaps) >= 2 and recent_gaps[-1] >= WIDE_GAP and recent_gaps[-1] > recent_gaps[0]:
        found.append(
            Pattern(
                subject="pattern: wide and growing gap",
                title="A wide and growing gap in the togetherness they want",
                evidence=f"The gap in preferred togetherness went {_path(gaps)} (0–10).",
            )
        )
    for partner, other in ((a, b), (b, a)):
        accuracy = _recent(partner.guess_accuracy)
        if len(accuracy) >= 2 and accuracy[-1] < FAR_OFF and accuracy[-1] < accuracy[0]:
            found.append(
                Pattern(
                    subject=f"pattern: guesses off, {partner.partner_id}",
                    title=f"{partner.name}'s picture of {other.name} is far off, and further "
                    "each time",
                    evidence=f"How close {partner.name}'s guesses of {other.name}'s answers "
                    f"were: {' → '.join(f'{v}%' for v in accuracy)}.",
                )
            )
    return found
