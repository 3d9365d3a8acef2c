"""Writing nbgrader source notebooks from Python: cells with their nbgrader metadata.

The exercise sources in solutions/ are written by tools/build_exercise_NN.py; these helpers
give every cell kind (solution, graded test, read-only) the metadata nbgrader expects, and
`write_source` gives cells stable ids (nbformat draws random ones), so that a rebuild changes
only what was edited.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

_SCHEMA = {"schema_version": 3, "task": False}


def md(source: str):
    """A markdown cell (surrounding blank lines dropped)."""
    return new_markdown_cell(source.strip("\n"))


def code(source: str):
    """A plain code cell (surrounding blank lines dropped)."""
    return new_code_cell(source.strip("\n"))


def solution(source: str, grade_id: str):
    """A cell the student writes: nbgrader replaces BEGIN/END SOLUTION blocks in the release."""
    cell = code(source)
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": grade_id, "locked": False, "solution": True, **_SCHEMA}
    return cell


def tests(source: str, grade_id: str, points: float):
    """A read-only graded test cell worth ``points`` (HIDDEN TESTS blocks are removed in the release)."""
    cell = code(source)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "locked": True, "points": points,
                                 "solution": False, **_SCHEMA}
    return cell


def locked(cell, grade_id: str):
    """Mark ``cell`` read-only (given code or text the student must not change)."""
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": grade_id, "locked": True, "solution": False, **_SCHEMA}
    return cell


def write_source(cells: list, assignment: str, root: Path) -> Path:
    """Write ``cells`` as solutions/<assignment>/<assignment>.ipynb under ``root``, with stable ids."""
    for number, cell in enumerate(cells):
        cell.id = cell.metadata.get("nbgrader", {}).get("grade_id", f"cell-{number:02d}")
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    out = Path(root) / "solutions" / assignment / f"{assignment}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return out
