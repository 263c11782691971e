"""The worksheet library as a counselor browses it in the dashboard."""

from django.urls import reverse

from tests.conftest import login
from worksheets.library import load_library
from worksheets.models import WorksheetTemplate


def test_the_library_lists_each_worksheet_once_with_its_purpose(client, maya, library):
    login(client, maya)
    page = client.get(reverse("admin:worksheets_worksheettemplate_changelist")).content.decode()
    for template in library:
        assert template.title.replace("&", "&amp;") in page
        assert template.purpose[:40] in page
    assert page.count("See it as a client does") == library.count()


def test_the_preview_is_the_client_page_with_nothing_to_submit(client, maya, library):
    inventory = library.get(slug="balance-inventory")
    login(client, maya)
    page = client.get(
        reverse("admin:worksheets_worksheettemplate_preview", args=[inventory.pk])
    ).content.decode()
    assert "Preview." in page
    assert "portal.css" in page  # the client's own stylesheet and template
    assert inventory.items.first().prompt in page
    assert page.count("disabled") == 2


def test_the_worksheet_page_shows_notes_grounding_and_version_history(
    client, maya, library, tmp_path
):
    inventory = library.get(slug="balance-inventory")
    login(client, maya)
    page = client.get(
        reverse("admin:worksheets_worksheettemplate_change", args=[inventory.pk])
    ).content.decode()
    assert "Monteoliva et al. 2020" in page
    assert inventory.discussion_prompts[0] in page
    assert "Version history" in page and ">v1<" in page


def test_a_new_version_appears_in_the_history_and_becomes_the_library_entry(
    client, maya, library, tmp_path
):
    import shutil

    from worksheets.library import LIBRARY_DIR

    for path in LIBRARY_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    edited = tmp_path / "weekly-checkin.yaml"
    edited.write_text(edited.read_text().replace("estimated_minutes: 2", "estimated_minutes: 3"))
    load_library(tmp_path)
    login(client, maya)
    listing = client.get(reverse("admin:worksheets_worksheettemplate_changelist")).content.decode()
    assert listing.count("Weekly check-in on closeness and space") == 1
    newest = WorksheetTemplate.objects.get(slug="weekly-checkin", version=2)
    page = client.get(
        reverse("admin:worksheets_worksheettemplate_change", args=[newest.pk])
    ).content.decode()
    assert ">v1<" in page and ">v2<" in page
