"""Per-assignment submission variants for the autograding round trip (tests/test_grading_roundtrip.py).

One module per assignment, named after it with an ``x`` in front (``x01_classification.py``),
so that each exercise's author owns one file. Each module defines:

* ``TOTAL``: the assignment's points;
* ``wrong(source_nb) -> nbformat notebook``: the solution with one plausible mistake;
* ``check_wrong(score, per_cell)``: asserts the wrong submission's partial credit (0 < score < TOTAL,
  and which cells lost their points);
* ``CARELESS``: {name: function(source_nb) -> notebook} - plausible answers that a graded
  *threshold* must reject (benchmarks/thresholds.py measures them against every limit, next to
  the reference solution over seeds).
"""

import importlib

import nbformat


def variants(assignment: str):
    """The variants module of ``assignment`` (ModuleNotFoundError if its author wrote none)."""
    return importlib.import_module(f"exercise_variants.x{assignment}")


def edit_cell(source_nb, grade_id: str, old: str, new: str):
    """The source notebook with ``old`` replaced by ``new`` in the cell ``grade_id`` (which must hold it)."""
    nb = nbformat.read(source_nb, as_version=4)
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(cells) == 1 and old in cells[0].source, f"{grade_id}: {old!r} not found in the source"
    cells[0].source = cells[0].source.replace(old, new)
    return nb
