"""The interdependence map. Pure: stored subscale scores in, plain values out.

The worksheets rest on one idea: leaning on a partner and keeping a life of one's own are two
separate strengths, not the two ends of one line. So each partner has two axes:
- connection: healthy dependence (confiding, asking for help, staying open to the other);
- autonomy: healthy independence (one's own friends, goals and opinions, calming oneself).
A partner can be high on both (close and distinct), low on both, or high on one. Beyond the
healthy ranges lie two over-ends, drawn as zones: setting yourself aside (toward
codependency) and going it alone (toward hyper-independence).

The map is worked out once, at submission, from the subscale scores stored then, and stored
with them; nothing here re-scores answers.
"""

from dataclasses import asdict, dataclass

CONNECTION = "healthy_dependence"
AUTONOMY = "healthy_independence"
SETTING_ASIDE = "over_dependence"
GOING_ALONE = "over_independence"

# On the 1–5 scales, the worksheets' bands: up to 2.4 is low, above 3.6 is high.
LOW = 2.4
HIGH = 3.6


@dataclass(frozen=True)
class Position:
    key: str
    label: str
    text: str


POSITIONS = {
    position.key: position
    for position in [
        Position(
            "close_and_distinct",
            "Close and distinct",
            "Leaning on each other and keeping a life of one's own, both at once.",
        ),
        Position(
            "close_less_room",
            "Close, less room of one's own",
            "Leaning on the partner readily, with less room for one's own friends, views "
            "and interests.",
        ),
        Position(
            "own_life_less_leaning",
            "Own life, leaning in less",
            "A life of one's own, with less confiding in or asking the partner for help.",
        ),
        Position(
            "neither_yet",
            "Little of either, for now",
            "Neither much leaning on the partner nor much room of one's own at the moment.",
        ),
        Position(
            "in_between",
            "Some of each",
            "Some leaning on the partner and some room of one's own.",
        ),
    ]
}

ZONES = {
    SETTING_ASIDE: "Toward setting oneself aside",
    GOING_ALONE: "Toward going it alone",
}


@dataclass(frozen=True)
class MapFigures:
    connection: float
    autonomy: float
    setting_aside: float | None
    going_alone: float | None
    position: str
    # The over-ends this partner is in (their score above HIGH), by subscale key.
    zones: list[str]

    def as_dict(self) -> dict:
        return asdict(self)


def position_of(connection: float, autonomy: float) -> Position:
    if connection > HIGH and autonomy > HIGH:
        return POSITIONS["close_and_distinct"]
    if connection <= LOW and autonomy <= LOW:
        return POSITIONS["neither_yet"]
    if connection > HIGH and autonomy <= HIGH:
        return POSITIONS["close_less_room"]
    if autonomy > HIGH and connection <= HIGH:
        return POSITIONS["own_life_less_leaning"]
    return POSITIONS["in_between"]


def map_figures(subscales: list[dict]) -> MapFigures | None:
    """The map from one submission's subscale scores (`SubscaleScore` as dicts), or None when
    the worksheet does not score both axes, or too few answers scored them."""
    scores = {s["key"]: s["score"] for s in subscales}
    connection, autonomy = scores.get(CONNECTION), scores.get(AUTONOMY)
    if connection is None or autonomy is None:
        return None
    return MapFigures(
        connection=connection,
        autonomy=autonomy,
        setting_aside=scores.get(SETTING_ASIDE),
        going_alone=scores.get(GOING_ALONE),
        position=position_of(connection, autonomy).key,
        zones=[key for key in (SETTING_ASIDE, GOING_ALONE) if (scores.get(key) or 0) > HIGH],
    )


def position_label(key: str) -> str:
    return POSITIONS[key].label if key in POSITIONS else ""


def map_summary(figures: dict) -> str:
    """The position and any over-end zone, in words: "Close and distinct; toward going it
    alone"."""
    words = [position_label(figures["position"])]
    words += [ZONES[key].lower() for key in figures.get("zones", [])]
    return "; ".join(word for word in words if word)


# The over-end zones as a partner reads them about themselves.
ZONES_FOR_PARTNER = {
    SETTING_ASIDE: "You often set your own needs and wishes aside for your partner's. "
    "Worth talking over with your counselor.",
    GOING_ALONE: "You often carry hard things on your own. Worth talking over with your "
    "counselor.",
}


def partner_map(scores: dict) -> dict | None:
    """The map of one submission as its partner reads it, from the stored scores."""
    figures = scores.get("map")
    if not figures:
        return None
    return {
        "position": POSITIONS[figures["position"]],
        "connection": figures["connection"],
        "autonomy": figures["autonomy"],
        "zones": [ZONES_FOR_PARTNER[key] for key in figures["zones"]],
    }
