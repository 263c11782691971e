"""The library's content rules: grounded, complete, plain-spoken, and in its own words."""

import re
from pathlib import Path

import pytest
import textstat
import yaml

from worksheets.library import LIBRARY_DIR
from worksheets.models import WorksheetItem

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT.parent / "shared" / "seeds"
MAX_GRADE = 8
Kind = WorksheetItem.Kind


def library_files():
    return sorted(LIBRARY_DIR.glob("*.yaml"))


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("’", "'"))


def eight_word_runs(text: str) -> set[tuple[str, ...]]:
    tokens = words(text)
    return {tuple(tokens[i : i + 8]) for i in range(len(tokens) - 7)}


def client_facing_text(data: dict) -> list[str]:
    """Everything a partner reads: the worksheet's own words and its results."""
    pieces = [data["purpose"], data["instructions"]]
    for item in data["items"]:
        pieces += [
            item["prompt"],
            item.get("help_text", ""),
            item.get("low_label", ""),
            item.get("high_label", ""),
            item.get("section", ""),
        ]
        pieces += [choice["label"] for choice in item.get("choices", [])]
        pieces += [category["label"] for category in item.get("categories", [])]
    for subscale in (data.get("scoring") or {}).get("subscales", {}).values():
        pieces += [subscale["label"]]
        pieces += [band["label"] + ". " + band["text"] for band in subscale.get("bands", [])]
    return [piece for piece in pieces if piece]


def test_the_library_has_at_least_six_complete_worksheets():
    files = library_files()
    assert len(files) >= 6
    for path in files:
        data = yaml.safe_load(path.read_text())
        for field in ("purpose", "instructions", "estimated_minutes", "counselor_notes"):
            assert data.get(field), f"{path.name} lacks {field}"
        # A safety check is never talked over together, so it has no joint prompts.
        assert data.get("discussion_prompts") or data.get("safety_check"), path.name
        assert data["grounding"]["constructs"] or data["grounding"]["findings"], path.name


def test_every_item_kind_is_used_in_the_library():
    used = {
        item["kind"]
        for path in library_files()
        for item in yaml.safe_load(path.read_text())["items"]
    }
    assert used == {kind.value for kind in Kind}


def test_the_balance_inventory_measures_four_subscales_and_the_preferred_balance():
    data = yaml.safe_load((LIBRARY_DIR / "balance-inventory.yaml").read_text())
    agreement = [item for item in data["items"] if item["kind"] == "agreement"]
    assert 20 <= len(agreement) <= 32
    assert set(data["scoring"]["subscales"]) == {
        "healthy_dependence",
        "healthy_independence",
        "over_dependence",
        "over_independence",
    }
    assert data["scoring"]["balance"]["perception"]
    assert any(item.get("reverse_keyed") for item in agreement)


def test_the_weekly_check_in_is_short():
    data = yaml.safe_load((LIBRARY_DIR / "weekly-checkin.yaml").read_text())
    assert len(data["items"]) <= 6
    assert data["estimated_minutes"] <= 2


@pytest.mark.parametrize("path", library_files(), ids=lambda p: p.name)
def test_client_facing_text_reads_at_grade_eight_or_lower(path):
    data = yaml.safe_load(path.read_text())
    text = ". ".join(piece.rstrip(".") for piece in client_facing_text(data))
    grade = textstat.flesch_kincaid_grade(text)
    print(f"{path.name}: reading grade {grade}")
    assert grade <= MAX_GRADE


def test_no_eight_word_run_from_the_articles_appears_in_the_library_or_its_docs():
    if not SEEDS.is_dir():
        pytest.skip(f"The source articles are not at {SEEDS}")
    seed_runs = set().union(*(eight_word_runs(p.read_text()) for p in SEEDS.glob("*.txt")))
    ours = [*library_files(), ROOT / "docs" / "worksheets.md"]
    for path in ours:
        shared = eight_word_runs(path.read_text()) & seed_runs
        assert not shared, f"{path.name} repeats: {' '.join(sorted(shared)[0])}"
