from hypothesis import given
from hypothesis import strategies as st

from worksheets.scoring import (
    DISCLAIMER,
    ScaleItem,
    balance_gap,
    change_since,
    compare_partners,
    guess_accuracy,
    lean_of,
    score_answers,
    score_subscale,
)

ITEMS = [
    ScaleItem("a", 1, 5),
    ScaleItem("b", 1, 5),
    ScaleItem("c", 1, 5),
    ScaleItem("d", 1, 5),
    ScaleItem("e", 1, 5, reverse_keyed=True),
]
SPEC = {
    "subscales": [
        {
            "key": "closeness",
            "label": "Closeness",
            "items": ["a", "b", "c", "d", "e"],
            "bands": [
                {"up_to": 2, "label": "Low", "text": "low"},
                {"up_to": 3.5, "label": "Middle", "text": "middle"},
                {"up_to": 5, "label": "High", "text": "high"},
            ],
        }
    ]
}


def closeness(answers):
    return score_answers(items=ITEMS, answers=answers, spec=SPEC).subscales[0]


def test_a_reverse_keyed_item_counts_mirrored():
    result = closeness({"a": 5, "b": 5, "c": 5, "d": 5, "e": 1})
    assert result.score == 5
    assert result.band == "High"


def test_a_subscale_with_one_of_five_items_missing_is_scored_from_the_rest():
    result = closeness({"a": 4, "b": 4, "c": 2, "d": 2})
    assert (result.score, result.answered, result.total) == (3, 4, 5)


def test_a_subscale_below_eighty_percent_answered_is_incomplete_not_zero():
    result = closeness({"a": 4, "b": 4, "c": 2})
    assert result.score is None
    assert not result.is_complete


def test_out_of_range_and_non_numeric_answers_do_not_count():
    result = closeness({"a": 9, "b": "4", "c": True, "d": 3, "e": 3})
    assert result.score is None
    assert result.answered == 2


def test_every_report_carries_the_not_a_diagnosis_note():
    report = score_answers(items=ITEMS, answers={}, spec=SPEC)
    assert "not a diagnosis" in report.as_dict()["disclaimer"]
    assert report.disclaimer == DISCLAIMER


answer_maps = st.dictionaries(
    st.sampled_from(["a", "b", "c", "d", "e"]), st.integers(min_value=1, max_value=5)
)


@given(answer_maps)
def test_scores_stay_within_the_scale(answers):
    result = closeness(answers)
    assert result.score is None or 1 <= result.score <= 5


@given(answer_maps)
def test_a_score_exists_exactly_when_at_least_four_of_five_items_are_answered(answers):
    assert closeness(answers).is_complete == (len(answers) >= 4)


@given(st.integers(1, 5))
def test_reverse_keying_mirrors_the_scale(value):
    assert ScaleItem("x", 1, 5, reverse_keyed=True).keyed_value(value) == 6 - value


# --- Couple-level results and the lean --------------------------------------------------------


balances = st.one_of(st.none(), st.integers(0, 10))


@given(balances, balances)
def test_the_partner_gap_is_symmetric_and_within_the_scale(a, b):
    assert balance_gap(a, b) == balance_gap(b, a)
    gap = balance_gap(a, b).gap
    assert gap is None or 0 <= gap <= 10


def test_a_wide_gap_is_named_in_plain_words():
    result = balance_gap(2, 9)
    assert (result.gap, result.label) == (7, "Wide gap")
    assert "talk about" in result.text


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=1, max_size=6))
def test_guess_accuracy_is_a_percentage_and_exact_guesses_score_100(pairs):
    guesses = [
        {"about": f"q{i}", "guess": g, "minimum": 1, "maximum": 5} for i, (g, _) in enumerate(pairs)
    ]
    actual = {f"q{i}": real for i, (_, real) in enumerate(pairs)}
    accuracy = guess_accuracy(guesses, actual)
    assert 0 <= accuracy <= 100
    exact = {f"q{i}": g for i, (g, _) in enumerate(pairs)}
    assert guess_accuracy(guesses, exact) == 100


def test_a_guess_about_an_unanswered_item_does_not_count():
    guesses = [{"about": "q", "guess": 3, "minimum": 0, "maximum": 10}]
    assert guess_accuracy(guesses, {}) is None


def test_comparing_partners_uses_only_their_stored_reports():
    a = {
        "preferred_balance": 8,
        "guesses": [{"about": "pref", "guess": 4, "minimum": 0, "maximum": 10}],
        "guessable_answers": {"pref": 8},
    }
    b = {
        "preferred_balance": 3,
        "guesses": [{"about": "pref", "guess": 8, "minimum": 0, "maximum": 10}],
        "guessable_answers": {"pref": 3},
    }
    result = compare_partners(a, b)
    assert result.balance.gap == 5
    assert (result.a_guessed_b, result.b_guessed_a) == (90, 100)


SIDES = {"dependence": ["dep"], "independence": ["ind"]}


def subscale(key, score):
    return score_subscale(
        {"key": key, "items": ["x"]}, {"x": ScaleItem("x", 1, 5)}, {"x": score} if score else {}
    )


@given(st.integers(1, 5), st.integers(1, 5))
def test_the_lean_is_the_difference_of_the_two_sides(dep, ind):
    lean = lean_of([subscale("dep", dep), subscale("ind", ind)], SIDES)
    assert lean.value == dep - ind
    assert lean.label == (
        "Balanced"
        if dep == ind
        else "Leans toward closeness"
        if dep > ind
        else "Leans toward independence"
    )


def test_the_lean_is_not_guessed_from_an_incomplete_subscale():
    lean = lean_of([subscale("dep", 4), subscale("ind", None)], SIDES)
    assert lean.value is None and lean.label == "Not worked out"


@given(answer_maps)
def test_prorating_never_invents_answers(answers):
    result = closeness(answers)
    assert result.answered == len(answers)
    if result.is_complete:
        keyed = [6 - v if k == "e" else v for k, v in answers.items()]
        assert result.score == round(sum(keyed) / len(keyed), 2)


def test_change_since_last_time_compares_scored_subscales_only():
    before = {
        "subscales": [{"key": "a", "score": 2.5}, {"key": "b", "score": None}],
        "preferred_balance": 4,
    }
    after = {
        "subscales": [{"key": "a", "score": 3.0}, {"key": "b", "score": 4.0}],
        "preferred_balance": 6,
    }
    assert change_since(before, after) == {"a": 0.5, "preferred_balance": 2}
