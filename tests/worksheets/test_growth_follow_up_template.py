"""The follow-up worksheet is an ordinary library file: loaded, validated and versioned like
the others, and private by default where it asks about the other partner."""

from worksheets.follow_ups import FOLLOW_UP_SLUG, SOURCE_ITEM, SOURCE_SLUG
from worksheets.library import LIBRARY_DIR, parse_template_file
from worksheets.models import WorksheetItem


def test_the_file_validates_like_the_rest_of_the_library():
    parsed = parse_template_file(LIBRARY_DIR / f"{FOLLOW_UP_SLUG}.yaml")
    assert parsed["slug"] == FOLLOW_UP_SLUG
    assert [item["key"] for item in parsed["items"]] == ["it_happened", "felt_supported", "note"]


def test_it_loads_with_the_library_and_asks_three_short_questions(library):
    template = library.get(slug=FOLLOW_UP_SLUG)
    happened, supported, note = template.items.all()
    assert [c["value"] for c in happened.options["choices"]] == ["yes", "partly", "not_yet"]
    assert happened.required
    assert supported.kind == WorksheetItem.Kind.SCALE
    assert (supported.options["low_label"], supported.options["high_label"]) == (
        "Not backed at all",
        "Fully backed",
    )
    assert note.kind == WorksheetItem.Kind.TEXT and not note.required
    assert note.options["max_length"] == 600
    assert not template.is_safety_check


def test_how_backed_a_partner_felt_is_not_shown_to_the_other_partner_by_default(library):
    template = library.get(slug=FOLLOW_UP_SLUG)
    assert set(template.items.values_list("visibility", flat=True)) == {"private"}
    assert not any(item.is_safety_signal for item in template.items.all())


def test_it_follows_up_the_time_maps_new_thing_question(library):
    item = library.get(slug=SOURCE_SLUG).items.get(key=SOURCE_ITEM)
    assert item.kind == WorksheetItem.Kind.TEXT
    assert "new thing" in item.prompt
