"""Per-assignment submissions for the autograding round trip (tests/test_grading_roundtrip.py).

One module per assignment, named after it with an ``x`` in front (``x01_classification.py``),
so that each exercise's author owns one file. Each module defines:

* ``TOTAL``: the assignment's points;
* ``CORRECT``: {name: Variant} - at least two correct answers written differently from the
  reference (another method or library, another architecture, an answer that warns or
  prints): each must get full marks in every test cell;
* ``WRONG``: {name: Variant} - at least three plausible mistakes, each losing exactly the points
  of the task it gets wrong (``loses``: {test cell grade id: points lost}) and no others;
* ``CARELESS``: {name: function(source_nb) -> notebook} - plausible answers that a graded
  *threshold* must reject (benchmarks/thresholds.py measures them against every limit, next to
  the reference solution over seeds).

A variant changes only what a student can change: the answer cells (``solution: true``) and
cells that are neither locked nor graded; tests/test_exercise_variants.py checks that.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import nbformat

MIN_CORRECT = 2
MIN_WRONG = 3


@dataclass(frozen=True)
class Variant:
    """A submission made from the source notebook, and the points it must lose per test cell."""

    make: Callable[[Path], nbformat.NotebookNode]
    why: str
    loses: Mapping[str, float] = field(default_factory=dict)  # {test cell grade id: points lost}


def variants(assignment: str):
    """The variants module of ``assignment`` (ModuleNotFoundError if its author wrote none)."""
    return importlib.import_module(f"exercise_variants.x{assignment}")


def cell(nb, grade_id: str):
    """The one cell of ``nb`` whose nbgrader grade id is ``grade_id``."""
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(cells) == 1, f"{len(cells)} cells with grade id {grade_id!r}"
    return cells[0]


def edit_cell(source_nb, grade_id: str, old: str, new: str):
    """The source notebook with ``old`` replaced by ``new`` in the cell ``grade_id`` (which must hold it)."""
    nb = nbformat.read(source_nb, as_version=4)
    target = cell(nb, grade_id)
    assert old in target.source, f"{grade_id}: {old!r} not found in the source"
    target.source = target.source.replace(old, new)
    return nb


def replaced(grade_id: str, old: str, new: str) -> Callable[[Path], nbformat.NotebookNode]:
    """A ``make`` function: the source with ``old`` replaced by ``new`` in cell ``grade_id``."""
    return lambda source_nb: edit_cell(source_nb, grade_id, old, new)


def answered(grade_id: str, source: str) -> Callable[[Path], nbformat.NotebookNode]:
    """A ``make`` function: the source with the whole answer cell ``grade_id`` written as ``source``."""
    def make(source_nb):
        nb = nbformat.read(source_nb, as_version=4)
        cell(nb, grade_id).source = source.strip("\n")
        return nb

    return make


def combined(*makes: Callable[[Path], nbformat.NotebookNode]) -> Callable[[Path], nbformat.NotebookNode]:
    """A ``make`` function applying several edits (each given the notebook the previous one made)."""
    import tempfile

    def make(source_nb):
        nb = nbformat.read(source_nb, as_version=4)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(source_nb).name
            for step in makes:
                nbformat.write(nb, path)
                nb = step(path)
        return nb

    return make
