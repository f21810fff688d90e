"""The rule that keeps stage logic testable without the orchestrator is enforced, not
prose (issue 10): an import-linter contract in pyproject.toml forbids every stage-logic
module of `vid2learn_dagster` from importing dagster, the assets or the resources,
directly or through another module.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
# Orchestration builds on Dagster by design: the `app` area and the definitions module.
ORCHESTRATION = {"app", "definitions"}


def contract() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (purity,) = config["contracts"]
    return purity


def lint_imports(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_area_is_stage_logic_under_the_contract_or_orchestration():
    """A new area (or a module dropped at the top level) must be classified."""
    entries = {
        path.stem if path.suffix == ".py" else path.name
        for path in (ROOT / "vid2learn_dagster").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").is_file()
    }
    pure = {name.removeprefix("vid2learn_dagster.") for name in contract()["source_modules"]}
    assert not pure & ORCHESTRATION
    assert entries == pure | ORCHESTRATION, entries ^ (pure | ORCHESTRATION)
    assert set(contract()["forbidden_modules"]) == {"dagster", "assets", "resources"}


def test_each_area_has_the_same_name_across_logic_wiring_and_models():
    """A stage's logic, its asset and its model are found from the area name alone."""
    areas = {
        package: {p.name for p in (ROOT / package).iterdir() if (p / "__init__.py").is_file()}
        for package in ("vid2learn_dagster", "assets", "resources")
    }
    assert areas["assets"] <= areas["vid2learn_dagster"], (
        areas["assets"] - areas["vid2learn_dagster"]
    )
    assert areas["resources"] <= areas["vid2learn_dagster"], (
        areas["resources"] - areas["vid2learn_dagster"]
    )
    top_level = {
        p.name for package in ("assets", "resources") for p in (ROOT / package).glob("*.py")
    }
    assert top_level == {"__init__.py"}, top_level


def test_stage_logic_imports_no_dagster_assets_or_resources():
    done = lint_imports(ROOT / "pyproject.toml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


def test_the_contract_catches_a_module_that_imports_dagster(tmp_path):
    """The same contract with the orchestration area listed as stage logic is broken."""
    config = (ROOT / "pyproject.toml").read_text()
    broken = config.replace(
        "source_modules = [\n", 'source_modules = [\n    "vid2learn_dagster.app.sensors",\n', 1
    )
    (tmp_path / "pyproject.toml").write_text(broken)
    done = lint_imports(tmp_path / "pyproject.toml")
    assert done.returncode == 1
    assert "vid2learn_dagster.app.sensors is not allowed to import dagster" in done.stdout
