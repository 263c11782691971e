"""Scoring of one partner's answers. Pure: plain values in, plain values out, no database.

Scores are computed once, when a response is submitted, and stored on it.
"""

from dataclasses import asdict, dataclass, field

# A subscale is scored only when at least this share of its items has an answer; below it the
# subscale is "incomplete" rather than a score built on too little (never a silent zero).
MIN_ANSWERED_SHARE = 0.8
DISCLAIMER = (
    "This is a reflective exercise to talk over with your counselor. "
    "It is not a test and not a diagnosis."
)


@dataclass(frozen=True)
class ScaleItem:
    key: str
    minimum: int
    maximum: int
    reverse_keyed: bool = False

    def keyed_value(self, raw: int) -> int:
        """The answer as it counts toward its subscale; reverse keying mirrors the scale."""
        return self.minimum + self.maximum - raw if self.reverse_keyed else raw


@dataclass(frozen=True)
class SubscaleScore:
    key: str
    label: str
    score: float | None
    answered: int
    total: int
    maximum: int
    band: str = ""
    interpretation: str = ""

    @property
    def is_complete(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class ScoreReport:
    subscales: list[SubscaleScore] = field(default_factory=list)
    disclaimer: str = DISCLAIMER

    def as_dict(self) -> dict:
        return {"subscales": [asdict(s) for s in self.subscales], "disclaimer": self.disclaimer}


def _answer_value(item: ScaleItem, answers: dict) -> int | None:
    raw = answers.get(item.key)
    if isinstance(raw, bool) or not isinstance(raw, int):
        return None
    if not item.minimum <= raw <= item.maximum:
        return None
    return item.keyed_value(raw)


def _band_for(score: float, bands: list[dict]) -> dict:
    for band in bands:
        if score <= band["up_to"]:
            return band
    return bands[-1] if bands else {}


def score_subscale(
    key: str, spec: dict, items: dict[str, ScaleItem], answers: dict
) -> SubscaleScore:
    members = [items[item_key] for item_key in spec["items"]]
    values = [v for v in (_answer_value(item, answers) for item in members) if v is not None]
    label = spec.get("label", key)
    maximum = max((item.maximum for item in members), default=0)
    if not members or len(values) / len(members) < MIN_ANSWERED_SHARE:
        return SubscaleScore(key, label, None, len(values), len(members), maximum)
    # Prorating: the mean of the answered items, so a skipped item neither adds nor subtracts.
    score = round(sum(values) / len(values), 2)
    band = _band_for(score, spec.get("bands", []))
    return SubscaleScore(
        key,
        label,
        score,
        len(values),
        len(members),
        maximum,
        band.get("label", ""),
        band.get("text", ""),
    )


def score_answers(*, items: list[ScaleItem], answers: dict, spec: dict) -> ScoreReport:
    """Score every subscale of the template's scoring spec, in the spec's order.

    `spec["subscales"]` is a list of {"key", "label", "items", "bands"}.
    """
    by_key = {item.key: item for item in items}
    return ScoreReport(
        subscales=[
            score_subscale(subscale_spec["key"], subscale_spec, by_key, answers)
            for subscale_spec in spec.get("subscales", [])
        ]
    )
