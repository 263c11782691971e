"""Discussion prompts for the next session, chosen by what changed since the last one. Pure:
the brief's figures in, prompts out.

What moved comes first: the couple patterns that hold now, a partner's clear move on the
interdependence map, a change in the gap between the togetherness they want. The worksheets'
own prompts fill the rest, one per worksheet done, so a quiet fortnight still has something to
open with. The wording invites both partners to talk; it never tells them what they are.
"""

from dataclasses import dataclass

from therapy.patterns import RISE

MOST = 6
# A change in the 0–10 gap this large is worth asking about.
GAP_MOVE = 2


@dataclass(frozen=True)
class Prompt:
    why: str  # what the prompt follows from, for the counselor
    text: str


@dataclass(frozen=True)
class MapMove:
    """One partner's move on one map axis since the last session (1–5 scales)."""

    name: str
    other: str
    axis: str  # "connection", "autonomy", "setting_aside" or "going_alone"
    change: float


# (axis, direction) -> (why, prompt); {name} moved, {other} is the partner.
_MOVES = {
    ("connection", -1): (
        "{name} leaned on {other} less",
        "{name}, what made reaching out to {other} harder lately, and what would make it easier?",
    ),
    ("connection", 1): (
        "{name} leaned on {other} more",
        "{name}, what made it easier to turn to {other} lately? How did {other} take it?",
    ),
    ("autonomy", -1): (
        "{name} had less room of their own",
        "{name}, what got squeezed out of your own life lately, and what would bring it back?",
    ),
    ("autonomy", 1): (
        "{name} made more room of their own",
        "{name} has made more room for a life of their own. {other}, how has that been for "
        "you, and how could you back it?",
    ),
    ("setting_aside", 1): (
        "{name} set their own needs aside more",
        "{name}, which of your own needs would you most like {other} to hear this week?",
    ),
    ("going_alone", 1): (
        "{name} went it alone more",
        "{name}, when did you last handle something on your own that {other} could have "
        "helped with? What would make asking feel safe?",
    ),
}

# Pattern subjects (therapy.patterns) start with these; the prompt for each.
_PATTERNS = {
    "pattern: aside and alone": (
        "When one of you puts your own needs on hold and the other handles things alone, what "
        "is each of you protecting? What would a small step toward the middle look like?"
    ),
    "pattern: drifting apart": (
        "What used to bring you back to each other after time apart, and what gets in the way "
        "of it now?"
    ),
    "pattern: fused": (
        "What is one friendship, interest or opinion each of you would like to keep as your "
        "own, and how could the other back it?"
    ),
    "pattern: wide and growing gap": (
        "You want different amounts of time together. What does time together give each of "
        "you, and what does time apart give?"
    ),
    "pattern: guesses off": (
        "Each of you says what you think the other wants from time together; then the other "
        "says it in their own words. What surprised you?"
    ),
}


def choose_prompts(
    *,
    patterns: list,
    moves: list[MapMove],
    gap_change: int | None,
    worksheet_prompts: list[tuple[str, list[str]]],
) -> list[Prompt]:
    """Up to MOST prompts: what changed first, then each worksheet's own first prompt."""
    chosen: list[Prompt] = []
    for pattern in patterns:
        for prefix, text in _PATTERNS.items():
            if pattern.subject.startswith(prefix):
                chosen.append(Prompt(pattern.title, text))
    for move in sorted(moves, key=lambda m: -abs(m.change)):
        found = _MOVES.get((move.axis, 1 if move.change > 0 else -1))
        if found and abs(move.change) >= RISE:
            why, text = found
            names = {"name": move.name, "other": move.other}
            chosen.append(Prompt(f"{why.format(**names)} ({move.change:+g})", text.format(**names)))
    gap_pattern = any(p.subject.startswith("pattern: wide and growing gap") for p in patterns)
    if gap_change is not None and abs(gap_change) >= GAP_MOVE and not gap_pattern:
        if gap_change > 0:
            chosen.append(
                Prompt(
                    f"The gap in preferred togetherness widened ({gap_change:+d})",
                    "What has pulled your wishes for time together further apart lately?",
                )
            )
        else:
            chosen.append(
                Prompt(
                    f"The gap in preferred togetherness narrowed ({gap_change:+d})",
                    "The togetherness you each want came closer. What helped?",
                )
            )
    chosen = _unique(chosen)[: MOST - min(len(worksheet_prompts), 2)]
    # The worksheets' own prompts, one per worksheet, then a second each while there is room.
    for rank in range(2):
        for title, prompts in worksheet_prompts:
            if rank < len(prompts) and len(chosen) < MOST:
                chosen.append(Prompt(title, prompts[rank]))
    return _unique(chosen)


def _unique(prompts: list[Prompt]) -> list[Prompt]:
    seen, kept = set(), []
    for prompt in prompts:
        if prompt.text not in seen:
            seen.add(prompt.text)
            kept.append(prompt)
    return kept
