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
            last_cells[Path(str(item.fspath))] = item
            continue
        tiers = {m.name for m in item.iter_markers() if m.name in TIERS}
        if len(tiers) != 1:
            untiered.append(f"{item.nodeid}: {sorted(tiers) or 'no tier'}")
    if untiered:
        raise pytest.UsageError(
            "every test needs exactly one tier marker of " + ", ".join(TIERS)
            + " (pytestmark = pytest.mark.unit, ...):\n  " + "\n  ".join(untiered[:20]))
    for item in last_cells.values():
        item._hepcourse_last_cell = True
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
    if call.when == "call":
        _keep_outputs(item, report)
    if call.when != "call" or not getattr(item, "_hepcourse_last_cell", False) or report.failed:
        return
    from hepcourse.config import notebook_time_budget, profile

    budget = notebook_time_budget(path)
    report.user_properties.append(("notebook_time", (path.name, seconds[path], budget)))
    if budget is not None and seconds[path] > budget:
        report.outcome = "failed"
        report.longrepr = (f"{path.name} took {seconds[path]:.0f} s in the {profile().name} profile, over its budget of "
                           f"{budget:.0f} s (time_budget_s in hepcourse.config.TABLE): make it faster or justify a new budget")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    """A notebook's kernel starts in its first cell's setup. When its outputs are kept for the
    website, it draws figures with the inline backend (PNG outputs, as in JupyterLab) instead of
    the tests' Agg, which shows nothing."""
    keep = _is_notebook_cell(item) and os.environ.get("HEPCOURSE_EXECUTED_NOTEBOOKS")
    before = os.environ.get("MPLBACKEND")
    if keep:
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        yield
    finally:
        if keep:
            os.environ["MPLBACKEND"] = before if before is not None else "Agg"


def _keep_outputs(item, report) -> None:
    """With HEPCOURSE_EXECUTED_NOTEBOOKS=DIR, write each notebook whose cells all ran without an
    error, with their outputs, to DIR (stamped with its source's hash and the profile): the course
    website (hepcourse.instructor.site, `make site`) shows these instead of executing again."""
    target = os.environ.get("HEPCOURSE_EXECUTED_NOTEBOOKS")
    if not target:
        return
    notebook = item.parent
    if report.failed or report.skipped:
        notebook._hepcourse_cell_failed = True
    item.cell.outputs = list(item.test_outputs or [])
    counts = [o.get("execution_count") for o in item.cell.outputs if o.get("execution_count")]
    item.cell.execution_count = counts[0] if counts else item.cell_num + 1
    if not getattr(item, "_hepcourse_last_cell", False) or getattr(notebook, "_hepcourse_cell_failed", False):
        return
    import nbformat

    from hepcourse.config import profile
    from hepcourse.instructor.site import EXECUTED_KEY, source_hash

    path = Path(str(item.fspath))
    nb = notebook.nb
    nb.metadata[EXECUTED_KEY] = {"source_sha256": source_hash(path), "profile": profile().name}
    Path(target).mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, Path(target) / path.name)


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
