"""The test tiers and the notebooks' time budgets, for tests/ and lectures/ alike.

A conftest at the repository root, because pytest applies a conftest's per-test hooks only to
the tests below its folder, and the lectures are collected from lectures/.

* Every test carries exactly one tier marker (unit, integration, data, notebook, grading,
  browser; see pyproject.toml): its module's ``pytestmark``, or in a module of mixed tiers its
  own. A test with none or two is a collection error, so `make test-fast` (the unit tier) can
  never silently miss a new test. Cells of lecture notebooks (collected by nbval) are the
  notebook tier.
* A notebook's time budget is part of its test: each lecture's ``time_budget_s`` per profile
  is in the profile table (``hepcourse.config.TABLE``; a notebook outside the table may state
  it in its metadata, ``"hepcourse": {"time_budget_s": {"quick": 240}}``); its last cell
  fails, naming the notebook and its time, when the cells together took longer.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

TIERS = ("unit", "integration", "data", "notebook", "grading", "browser")


def _is_notebook_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell"


def pytest_collection_modifyitems(config, items):
    untiered = []
    last_cells = {}
    for item in items:
        if _is_notebook_cell(item):
            item.add_marker(pytest.mark.notebook)
            last_cells[Path(str(item.fspath))] = item.nodeid
            continue
        tiers = {m.name for m in item.iter_markers() if m.name in TIERS}
        if len(tiers) != 1:
            untiered.append(f"{item.nodeid}: {sorted(tiers) or 'no tier'}")
    if untiered:
        raise pytest.UsageError(
            "every test needs exactly one tier marker of " + ", ".join(TIERS)
            + " (pytestmark = pytest.mark.unit, ...):\n  " + "\n  ".join(untiered[:20]))
    config._notebook_last_cells = set(last_cells.values())
    config._notebook_seconds = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if not _is_notebook_cell(item) or call.when == "teardown":
        return
    report = outcome.get_result()
    path = Path(str(item.fspath))
    seconds = item.config._notebook_seconds
    seconds[path] = seconds.get(path, 0.0) + call.duration
    if call.when != "call" or item.nodeid not in item.config._notebook_last_cells or report.failed:
        return
    from hepcourse.config import notebook_time_budget, profile

    budget = notebook_time_budget(path)
    report.user_properties.append(("notebook_time", (path.name, seconds[path], budget)))
    if budget is not None and seconds[path] > budget:
        report.outcome = "failed"
        report.longrepr = (f"{path.name} took {seconds[path]:.0f} s in the {profile().name} profile, over its budget of "
                           f"{budget:.0f} s (time_budget_s in hepcourse.config.TABLE): make it faster or justify a new budget")


def pytest_runtest_logreport(report):
    """Collect the notebooks' times (also from pytest-xdist workers, through user_properties)."""
    for key, value in getattr(report, "user_properties", ()):
        if key == "notebook_time":
            _NOTEBOOK_TIMES.append(tuple(value))


_NOTEBOOK_TIMES: list[tuple] = []


def pytest_terminal_summary(terminalreporter):
    if _NOTEBOOK_TIMES:
        terminalreporter.section("notebook time against budget")
        for name, seconds, budget in sorted(_NOTEBOOK_TIMES):
            limit = f"{budget:.0f} s" if budget is not None else "none"
            terminalreporter.write_line(f"{name:32s} {seconds:6.1f} s   budget {limit}")
