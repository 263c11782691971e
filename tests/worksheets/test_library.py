import shutil

import pytest

from worksheets.library import LIBRARY_DIR, WorksheetFileError, load_library
from worksheets.models import WorksheetItem, WorksheetTemplate


@pytest.fixture
def library_copy(tmp_path):
    for path in LIBRARY_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_the_check_in_loads_with_its_items(db):
    load_library()
    template = WorksheetTemplate.objects.get(slug="weekly-checkin")
    assert template.version == 1
    assert template.items.count() <= 6
    assert template.items.filter(kind=WorksheetItem.Kind.TEXT).get().visibility == "private"


def test_loading_twice_changes_nothing(db):
    load_library()
    before = list(WorksheetTemplate.objects.values_list("slug", "version", "source_hash"))
    results = load_library()
    assert not any(result.created for result in results)
    assert list(WorksheetTemplate.objects.values_list("slug", "version", "source_hash")) == before


def test_a_changed_file_becomes_a_new_version_and_the_old_one_stays(db, library_copy):
    load_library(library_copy)
    path = library_copy / "weekly-checkin.yaml"
    path.write_text(path.read_text().replace("estimated_minutes: 2", "estimated_minutes: 3"))
    load_library(library_copy)
    versions = WorksheetTemplate.objects.filter(slug="weekly-checkin").order_by("version")
    assert [(t.version, t.estimated_minutes) for t in versions] == [(1, 2), (2, 3)]
    assert versions[0].items.count() == versions[1].items.count()


def test_a_malformed_item_is_rejected_naming_the_file_and_the_item(db, library_copy):
    path = library_copy / "weekly-checkin.yaml"
    path.write_text(
        path.read_text().replace(
            "kind: agreement\n    prompt: This week I made",
            "kind: slider\n    prompt: This week I made",
        )
    )
    with pytest.raises(WorksheetFileError) as error:
        load_library(library_copy)
    assert "weekly-checkin.yaml" in str(error.value)
    assert "own_time" in str(error.value)
    assert "slider" in str(error.value)
    assert not WorksheetTemplate.objects.exists()


def test_a_file_that_is_not_yaml_is_rejected_with_its_name(db, library_copy):
    (library_copy / "broken.yaml").write_text("slug: [unclosed\n")
    with pytest.raises(WorksheetFileError, match=r"broken\.yaml"):
        load_library(library_copy)


def test_the_whole_library_loads_into_a_fresh_database(db):
    results = load_library()
    assert len(results) >= 6 and all(result.created for result in results)
    inventory = WorksheetTemplate.objects.get(slug="balance-inventory")
    guess = inventory.items.get(key="guess_partner_togetherness")
    assert guess.options["about"] == "preferred_togetherness"
    assert guess.options["answer_kind"] == "scale"


@pytest.mark.parametrize(
    ("find", "replace", "message"),
    [
        (
            "about: preferred_togetherness",
            "about: no_such_item",
            "'about' must name an agreement or 0–10 scale item",
        ),
        ("max_total: 100", "max_total: 500", "max_total must be a whole number from 1 to 168"),
    ],
)
def test_broken_links_and_limits_are_named(db, library_copy, find, replace, message):
    path = library_copy / "time-map.yaml"
    assert find in path.read_text()
    path.write_text(path.read_text().replace(find, replace, 1))
    with pytest.raises(WorksheetFileError) as error:
        load_library(library_copy)
    assert str(error.value).startswith("time-map.yaml, item '")
    assert message in str(error.value)
