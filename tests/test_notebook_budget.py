"""A lecture past its time budget fails, with a message that names it and its time."""

from pathlib import Path

import nbformat
import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"  # the tiers and budgets


def _notebook(path: Path, budget_s: float) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import time\ntime.sleep(1.5)"),
                                         nbformat.v4.new_code_cell("x = 1")])
    nb.metadata["hepcourse"] = {"time_budget_s": {"quick": budget_s}}
    nbformat.write(nb, path)


@pytest.mark.parametrize("budget, outcome", [(0.5, "failed"), (120, "passed")])
@pytest.mark.notebook
def test_notebook_over_its_budget_fails_naming_it(pytester, monkeypatch, budget, outcome):
    monkeypatch.setenv("HEPCOURSE_PROFILE", "quick")
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makeini("[pytest]\nmarkers =\n    unit: u\n    integration: i\n    data: d\n    notebook: n\n    grading: g\n    browser: b\n")
    _notebook(pytester.path / "slow_lecture.ipynb", budget)
    result = pytester.runpytest_subprocess("--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
                                           "-p", "no:xdist", "slow_lecture.ipynb")
    counts = result.parseoutcomes()
    if outcome == "failed":
        assert counts.get("failed") == 1 and counts.get("passed") == 1, result.stdout.str()
        result.stdout.fnmatch_lines(["*slow_lecture.ipynb took * s in the quick profile, over its budget of 0 s*"])
    else:
        assert counts.get("passed") == 2 and not counts.get("failed"), result.stdout.str()


@pytest.mark.unit
def test_a_test_without_a_tier_is_refused(pytester):
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makeini("[pytest]\nmarkers =\n    unit: u\n    integration: i\n    data: d\n    notebook: n\n    grading: g\n    browser: b\n")
    pytester.makepyfile(test_untiered="def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*every test needs exactly one tier marker*", "*test_untiered.py::test_nothing: no tier"])
