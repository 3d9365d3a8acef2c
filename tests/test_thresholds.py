"""benchmarks/thresholds.py measures the limits that the exercises' test cells really apply."""

import inspect
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import thresholds  # noqa: E402

from hepcourse import selfchecks  # noqa: E402

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("name", sorted(thresholds.EXERCISES))
def test_benchmarked_limits_are_the_ones_in_the_test_cells(name):
    assert not thresholds.written_limits_problems(name)


def test_every_exercise_with_a_graded_training_is_benchmarked():
    assert set(thresholds.EXERCISES) == {p.name for p in (ROOT / "solutions").iterdir() if p.is_dir()}


def test_regressor_bias_limit_is_the_checks_default():
    limit = next(t.limit for t in thresholds.EXERCISES["02_regression"].thresholds if "response - 1|" in t.what)
    assert inspect.signature(selfchecks.check_energy_regressor).parameters["max_bias"].default == limit


def test_seed_substitution_changes_exactly_the_seed_line():
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import keras\nSEED = 0  # note\nkeras.utils.set_random_seed(SEED)")])
    assert thresholds.with_seed(nb, 3).cells[0].source.splitlines()[1] == "SEED = 3  # note"
    with pytest.raises(ValueError, match="exactly one line"):
        thresholds.with_seed(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), 1)


def test_margin_counts_towards_passing():
    at_least = thresholds.Threshold("c", "w", "x", ">=", 0.9, "")
    at_most = thresholds.Threshold("c", "w", "x", "<=", 0.1, "")
    assert at_least.margin(0.95) == pytest.approx(0.05) and at_least.passes(0.95) and not at_least.passes(0.85)
    assert at_most.margin(0.15) == pytest.approx(-0.05) and not at_most.passes(0.15) and not at_most.passes(None)
