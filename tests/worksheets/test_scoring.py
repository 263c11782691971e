from hypothesis import given
from hypothesis import strategies as st

from worksheets.scoring import DISCLAIMER, ScaleItem, score_answers

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
