"""Per-assignment submission variants for the autograding round trip (tests/test_grading_roundtrip.py).

One module per assignment, named after it with an ``x`` in front (``x01_classification.py``),
so that each exercise's author owns one file. Each module defines:

* ``TOTAL``: the assignment's points;
* ``wrong(source_nb) -> nbformat notebook``: the solution with one plausible mistake;
* ``check_wrong(score, per_cell)``: asserts the wrong submission's partial credit (0 < score < TOTAL,
  and which cells lost their points).
"""

import importlib


def variants(assignment: str):
    """The variants module of ``assignment`` (ModuleNotFoundError if its author wrote none)."""
    return importlib.import_module(f"exercise_variants.x{assignment}")
