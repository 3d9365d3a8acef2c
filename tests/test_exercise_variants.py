"""The submissions of tests/exercise_variants are well formed, before the round trip grades them.

Every exercise has at least two correct answers written differently and three plausible
mistakes; each variant changes only what a student can change (answer cells, free cells) and
changes something; each mistake states the points it loses, in the test cells of one task only
(the cells under one "## Task ..." heading), never more than a cell is worth.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

import exercise_variants

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())


def _source(assignment: str) -> Path:
    return ROOT / "solutions" / assignment / f"{assignment}.ipynb"


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def test_cells_by_task(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Exercise"),
                nbformat.v4.new_markdown_cell("## Task 1a: one (2 points)"),
                nbformat.v4.new_code_cell("", metadata={"nbgrader": {"grade": True, "grade_id": "t1", "points": 2}}),
                nbformat.v4.new_markdown_cell("## Task 1b: two (1 point)"),
                nbformat.v4.new_code_cell("", metadata={"nbgrader": {"grade": True, "grade_id": "t2", "points": 1}}),
                nbformat.v4.new_code_cell("", metadata={"nbgrader": {"grade": True, "grade_id": "t3", "points": 1}})]
    assert _tasks(nb) == {"t1": "Task 1a: one (2 points)", "t2": "Task 1b: two (1 point)",
                          "t3": "Task 1b: two (1 point)"}


def _tasks(nb) -> dict[str, str]:
    """{graded test cell id: the "## Task ..." heading it stands under}."""
    heading, out = None, {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("## "):
                    heading = line[3:].strip()
        elif _meta(cell).get("grade") and not _meta(cell).get("solution"):
            out[_meta(cell)["grade_id"]] = heading
    return out


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_exercise_has_enough_variants(assignment):
    module = exercise_variants.variants(assignment)
    nb = nbformat.read(_source(assignment), as_version=4)
    points = sum(_meta(c).get("points", 0) for c in nb.cells if _meta(c).get("grade"))
    assert module.TOTAL == points, f"TOTAL = {module.TOTAL}, the source's cells hold {points} points"
    assert len(module.CORRECT) >= exercise_variants.MIN_CORRECT, "too few correct-but-different answers"
    assert len(module.WRONG) >= exercise_variants.MIN_WRONG, "too few plausible mistakes"
    for name, variant in {**module.CORRECT, **module.WRONG}.items():
        assert variant.why.strip(), f"{name}: say what the variant does and why a student might write it"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_mistake_loses_only_its_own_task(assignment):
    module = exercise_variants.variants(assignment)
    nb = nbformat.read(_source(assignment), as_version=4)
    worth = {_meta(c)["grade_id"]: _meta(c)["points"] for c in nb.cells
             if _meta(c).get("grade") and not _meta(c).get("solution")}
    tasks = _tasks(nb)
    for name, variant in module.CORRECT.items():
        assert not variant.loses, f"correct variant {name!r} states lost points"
    for name, variant in module.WRONG.items():
        assert variant.loses, f"wrong variant {name!r} loses nothing: it is not a mistake the tests catch"
        unknown = set(variant.loses) - set(worth)
        assert not unknown, f"{name}: {sorted(unknown)} are not graded test cells"
        for grade_id, lost in variant.loses.items():
            assert 0 < lost <= worth[grade_id], f"{name}: loses {lost} of {grade_id}'s {worth[grade_id]} points"
        headings = {tasks[g] for g in variant.loses}
        assert len(headings) == 1, f"{name} loses points in more than one task: {sorted(headings)}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_variants_change_only_what_a_student_can_change(assignment):
    module = exercise_variants.variants(assignment)
    source = nbformat.read(_source(assignment), as_version=4)
    for name, variant in {**module.CORRECT, **module.WRONG}.items():
        nb = variant.make(_source(assignment))
        assert len(nb.cells) == len(source.cells), f"{name}: cells added or removed"
        changed = []
        for before, after in zip(source.cells, nb.cells):
            assert _meta(before) == _meta(after), f"{name}: nbgrader metadata changed"
            if before.source != after.source:
                meta = _meta(before)
                assert meta.get("solution") or not (meta.get("locked") or meta.get("grade")), (
                    f"{name}: changes the read-only cell {meta.get('grade_id')!r}, which the grader restores")
                changed.append(meta.get("grade_id"))
        assert changed, f"{name}: the variant is the reference solution unchanged"
