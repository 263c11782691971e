"""The lock files hold every dependency, transitive ones included, pinned and hashed; they agree
with pyproject.toml and with each other, and both the Makefile and the image install them
with hashes required. (`make lock` writes them again; `make audit` checks them for advisories.)"""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(name: str) -> dict[str, tuple[str, int]]:
    """Package name -> (version, number of hashes)."""
    entries: dict[str, tuple[str, int]] = {}
    current = None
    for line in (ROOT / name).read_text().splitlines():
        if match := ENTRY.match(line):
            current = normalized(match[1])
            entries[current] = (match[2], 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = entries[current]
            entries[current] = (version, hashes + 1)
    return entries


def pins(requirements: list[str]) -> dict[str, str]:
    found = {}
    for requirement in requirements:
        name, version = requirement.split("==")
        found[normalized(name.split("[")[0])] = version
    return found


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = read_lock("requirements.lock")
DEV = read_lock("requirements-dev.lock")


def test_every_locked_package_is_pinned_with_hashes():
    for lock in (RUNTIME, DEV):
        assert lock, "empty lock file"
        assert [name for name, (_, hashes) in lock.items() if hashes == 0] == []


def test_the_locks_hold_exactly_the_versions_pyproject_asks_for():
    runtime = pins(PROJECT["dependencies"])
    dev = pins(PROJECT["optional-dependencies"]["dev"])
    assert {name: RUNTIME.get(name, ("missing",))[0] for name in runtime} == runtime
    assert {name: DEV.get(name, ("missing",))[0] for name in runtime | dev} == runtime | dev


def test_production_runs_the_versions_the_tests_ran():
    differing = {
        name: (version, DEV.get(name, ("missing",))[0])
        for name, (version, _) in RUNTIME.items()
        if DEV.get(name, ("missing",))[0] != version
    }
    assert differing == {}


def test_make_and_the_image_install_the_locks_with_hashes_required():
    makefile = (ROOT / "Makefile").read_text()
    assert "LOCK := requirements-dev.lock" in makefile
    assert "pip install --quiet --require-hashes -r $(LOCK)" in makefile
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes -r requirements.lock" in dockerfile
    # pip itself comes first, pinned and hashed, in both.
    assert makefile.index("-r $(PIP_LOCK)") < makefile.index("-r $(LOCK)")
    assert dockerfile.index("-r requirements-pip.lock") < dockerfile.index("-r requirements.lock")
    assert read_lock("requirements-pip.lock").keys() == {"pip"}
