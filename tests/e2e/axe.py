"""axe-core, from the npm registry (package.json), injected into a page under test."""

from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
# Every page's result, printed at the end of the run (see tests/conftest.py).
REPORT: list[str] = []


def check_accessibility(page, name: str) -> list[dict]:
    """Run axe on the page as it is now; print a line for the test output; return the
    serious and critical violations."""
    if not AXE.exists():
        raise AssertionError(f"axe-core is missing at {AXE}: run `npm ci` (make test does)")
    # Evaluated through the browser's debugging protocol, which the page's
    # Content-Security-Policy does not govern; a <script> tag added to the page is refused.
    page.evaluate(AXE.read_text())
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help}))"
    )
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    summary = ", ".join(f"{v['id']} ({v['impact']}, {v['nodes']})" for v in violations) or "none"
    line = f"{name}: {len(violations)} violations, {len(blocking)} serious or critical — {summary}"
    REPORT.append(line)
    print(f"axe {line}")
    return blocking
