"""The import contracts in pyproject.toml hold, and each can fail: take the dashboards (which
gather every app) out of the core's composition modules, or swap two layers, and it breaks."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", str(config)], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_the_contracts_hold():
    result = _lint(ROOT / "pyproject.toml")

    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


def test_the_core_contract_breaks_when_a_core_module_reaches_an_app(tmp_path):
    config = (ROOT / "pyproject.toml").read_text()
    config = re.sub(r'composition = \["urls", "views"\]', 'composition = ["urls"]', config)
    (tmp_path / "pyproject.toml").write_text(config)

    result = _lint(tmp_path / "pyproject.toml")

    assert result.returncode != 0
    assert "clinic.views is not allowed to import" in result.stdout


def test_the_layers_contract_breaks_when_an_app_reaches_up(tmp_path):
    # Swapping two layers makes scheduling's imports of plans upward ones.
    config = (ROOT / "pyproject.toml").read_text()
    config = config.replace('    "clinic.scheduling",\n    "plans",\n', '    "plans",\n    "clinic.scheduling",\n')
    assert '"plans",\n    "clinic.scheduling"' in config
    (tmp_path / "pyproject.toml").write_text(config)

    result = _lint(tmp_path / "pyproject.toml")

    assert result.returncode != 0
    assert "clinic.scheduling is not allowed to import plans" in result.stdout
