"""Scoring. Pure: plain values in, plain values out, no database.

One partner's answers are scored once, when the response is submitted, and the result is
stored on it. Couple-level results (the gap between partners, how well each guessed the other,
the change since last time) are computed from those stored results, never by re-scoring.
"""

from dataclasses import asdict, dataclass, field

from worksheets.interdependence import map_figures

# A subscale is scored only when at least this share of its items has an answer; below it the
# subscale is "incomplete" rather than a score built on too little (never a silent zero).
MIN_ANSWERED_SHARE = 0.8
DISCLAIMER = (
    "This is a reflective exercise to talk over with your counselor. "
    "It is not a test and not a diagnosis."
)
# On a 1–5 scale, a difference of less than half a point between the two sides is balance.
_BALANCED_LEAN = 0.5


@dataclass(frozen=True)
class ScaleItem:
    """An item answered with a whole number from `minimum` to `maximum`.

    `about` is set on perception items: the key of the item whose answer is being guessed.
    """

    key: str
    minimum: int
    maximum: int
    reverse_keyed: bool = False
    about: str = ""

    def value_in(self, answers: dict) -> int | None:
        raw = answers.get(self.key)
        if isinstance(raw, bool) or not isinstance(raw, int):
            return None
        return raw if self.minimum <= raw <= self.maximum else None

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
class Lean:
    value: float | None
    label: str
    text: str


@dataclass(frozen=True)
class ScoreReport:
    subscales: list[SubscaleScore] = field(default_factory=list)
    # The partner's preferred balance of togetherness (0 = mostly apart, 10 = mostly together)
    # and their guess of their partner's.
    preferred_balance: int | None = None
    guessed_partner_balance: int | None = None
    lean: Lean | None = None
    # Where the partner stands on the interdependence map (worksheets.interdependence), for
    # worksheets that score both connection and autonomy.
    map: dict | None = None
    # Perception items: what this partner guessed, and on which scale.
    guesses: list[dict] = field(default_factory=list)
    # This partner's own answers to the items their partner is asked to guess.
    guessable_answers: dict = field(default_factory=dict)
    disclaimer: str = DISCLAIMER

    def as_dict(self) -> dict:
        return asdict(self)


def _band_for(score: float, bands: list[dict]) -> dict:
    for band in bands:
        if score <= band["up_to"]:
            return band
    return bands[-1] if bands else {}


def score_subscale(spec: dict, items: dict[str, ScaleItem], answers: dict) -> SubscaleScore:
    members = [items[item_key] for item_key in spec["items"]]
    values = [item.keyed_value(v) for item in members if (v := item.value_in(answers)) is not None]
    key, label = spec["key"], spec.get("label", spec["key"])
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


def lean_of(subscales: list[SubscaleScore], sides: dict) -> Lean | None:
    """Which way a partner leans: the dependence side's mean minus the independence side's."""
    if not sides:
        return None
    by_key = {s.key: s.score for s in subscales}
    means = {}
    for side in ("dependence", "independence"):
        scores = [by_key.get(name) for name in sides.get(side, [])]
        if not scores or any(score is None for score in scores):
            return Lean(None, "Not worked out", "Too few answers to tell which way you lean.")
        means[side] = sum(scores) / len(scores)
    value = round(means["dependence"] - means["independence"], 2)
    if abs(value) < _BALANCED_LEAN:
        return Lean(value, "Balanced", "You lean on your partner and on yourself about equally.")
    if value > 0:
        return Lean(
            value,
            "Leans toward closeness",
            "You tend to turn to your partner more than you stand on your own.",
        )
    return Lean(
        value,
        "Leans toward independence",
        "You tend to stand on your own more than you turn to your partner.",
    )


def score_answers(*, items: list[ScaleItem], answers: dict, spec: dict) -> ScoreReport:
    """Score one partner's answers against the template's scoring spec.

    `spec["subscales"]` is a list of {"key", "label", "items", "bands"}; `spec["balance"]`
    names the 0–10 preferred-balance item and its perception item; `spec["lean"]` lists the
    subscales on the dependence and independence sides.
    """
    by_key = {item.key: item for item in items}
    subscales = [score_subscale(sub, by_key, answers) for sub in spec.get("subscales", [])]
    balance = spec.get("balance") or {}
    guesses = [
        {"about": item.about, "guess": value, "minimum": item.minimum, "maximum": item.maximum}
        for item in items
        if item.about and (value := item.value_in(answers)) is not None
    ]
    guessed = {item.about for item in items if item.about}
    return ScoreReport(
        subscales=subscales,
        preferred_balance=_value(by_key, balance.get("item"), answers),
        guessed_partner_balance=_value(by_key, balance.get("perception"), answers),
        lean=lean_of(subscales, spec.get("lean") or {}),
        map=figures.as_dict() if (figures := map_figures([asdict(s) for s in subscales])) else None,
        guesses=guesses,
        guessable_answers={
            key: by_key[key].value_in(answers)
            for key in sorted(guessed)
            if key in by_key and by_key[key].value_in(answers) is not None
        },
    )


def _value(by_key: dict[str, ScaleItem], key: str | None, answers: dict) -> int | None:
    return by_key[key].value_in(answers) if key in by_key else None


# --- Couple-level results, from two stored reports ---------------------------------------------


@dataclass(frozen=True)
class BalanceGap:
    gap: int | None
    label: str
    text: str


def balance_gap(preferred_a: int | None, preferred_b: int | None) -> BalanceGap:
    """How far apart the partners' preferred balance of togetherness is, on 0–10.

    The gap, more than either partner's level, tells balance from distance, so it is named in
    plain words. Symmetric: the order of the partners does not matter.
    """
    if preferred_a is None or preferred_b is None:
        return BalanceGap(None, "Not known", "One of you has not answered this yet.")
    gap = abs(preferred_a - preferred_b)
    if gap <= 1:
        return BalanceGap(gap, "Close", "You want much the same mix of together and apart.")
    if gap <= 3:
        return BalanceGap(
            gap, "Some difference", "One of you wants a bit more time together than the other."
        )
    return BalanceGap(
        gap,
        "Wide gap",
        "You want quite different amounts of time together. "
        "This is a good thing to talk about with your counselor.",
    )


def guess_accuracy(guesses: list[dict], actual: dict) -> int | None:
    """How closely one partner guessed the other's answers, as a percentage.

    100 means every guess was exact; 0 means every guess was as far off as the scale allows.
    Only guesses whose answer is known count.
    """
    closeness = []
    for guess in guesses:
        real = actual.get(guess["about"])
        if real is None:
            continue
        span = guess["maximum"] - guess["minimum"]
        closeness.append(1 - abs(guess["guess"] - real) / span if span else 1)
    if not closeness:
        return None
    return round(100 * sum(closeness) / len(closeness))


@dataclass(frozen=True)
class CoupleResult:
    balance: BalanceGap
    a_guessed_b: int | None
    b_guessed_a: int | None


def compare_partners(report_a: dict, report_b: dict) -> CoupleResult:
    """Couple-level results from two stored reports (`ScoreReport.as_dict()`)."""
    return CoupleResult(
        balance=balance_gap(report_a.get("preferred_balance"), report_b.get("preferred_balance")),
        a_guessed_b=guess_accuracy(
            report_a.get("guesses", []), report_b.get("guessable_answers", {})
        ),
        b_guessed_a=guess_accuracy(
            report_b.get("guesses", []), report_a.get("guessable_answers", {})
        ),
    )


def change_since(previous: dict, current: dict) -> dict[str, float]:
    """Subscale changes since the previous occurrence of the same worksheet, by key.

    Only subscales scored both times are compared; the preferred balance is included as
    "preferred_balance" when known both times.
    """
    before = {s["key"]: s["score"] for s in previous.get("subscales", [])}
    changes = {
        s["key"]: round(s["score"] - before[s["key"]], 2)
        for s in current.get("subscales", [])
        if s["score"] is not None and before.get(s["key"]) is not None
    }
    if (
        previous.get("preferred_balance") is not None
        and current.get("preferred_balance") is not None
    ):
        changes["preferred_balance"] = current["preferred_balance"] - previous["preferred_balance"]
    return changes
