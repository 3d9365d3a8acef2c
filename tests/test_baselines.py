"""The baselines that the lectures compare against: cut-based score, boosted trees, parameter count."""

import keras
import numpy as np
import pytest

from hepcourse.baselines import TOP_MASS_WINDOW, fit_boosted_trees, mass_window_tau32_score, n_parameters
from hepcourse.physics.jets.substructure import HLF_NAMES

pytestmark = pytest.mark.unit


def _hlf(mass, tau32):
    hlf = np.zeros((len(mass), len(HLF_NAMES)))
    hlf[:, HLF_NAMES.index("mass")] = mass
    hlf[:, HLF_NAMES.index("tau32")] = tau32
    return hlf


def test_score_orders_window_jets_by_tau32_and_puts_outside_jets_below():
    mass = np.array([175.0, 175.0, 60.0, 300.0, 175.0])
    tau32 = np.array([0.3, 0.8, 0.1, 0.2, 0.5])
    score = mass_window_tau32_score(_hlf(mass, tau32))
    inside = (mass > TOP_MASS_WINDOW[0]) & (mass < TOP_MASS_WINDOW[1])
    assert score[inside].min() > score[~inside].max(), "a jet outside the window outranks one inside"
    assert np.argsort(-score[inside]).tolist() == np.argsort(tau32[inside]).tolist()
    # every threshold between window jets is the cut "mass in window and tau32 < c"
    for c in (0.4, 0.6, 0.9):
        passed = score >= 1.0 - c
        assert np.array_equal(passed, inside & (tau32 <= c))


def test_score_rejects_bad_input():
    with pytest.raises(ValueError, match="hlf must have shape"):
        mass_window_tau32_score(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="low < high"):
        mass_window_tau32_score(_hlf([175.0], [0.5]), mass_window=(200.0, 100.0))
    with pytest.raises(ValueError, match="no column 'tau32'"):
        mass_window_tau32_score(np.zeros((2, 2)), names=("mass", "pt"))


def test_boosted_trees_choose_iterations_on_validation_and_are_deterministic():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, 3))
    y = (x[:, 0] + 0.5 * rng.normal(size=600) > 0).astype(int)
    first = fit_boosted_trees(x[:400], y[:400], x[400:], y[400:], max_iter=60, random_state=0)
    second = fit_boosted_trees(x[:400], y[:400], x[400:], y[400:], max_iter=60, random_state=0)
    assert first.val_log_loss_.shape == (60,)
    assert first.best_iteration_ == int(np.argmin(first.val_log_loss_)) + 1
    assert first.n_iter_ == first.best_iteration_
    assert np.array_equal(first.predict_proba(x[400:]), second.predict_proba(x[400:]))
    accuracy = (first.predict(x[400:]) == y[400:]).mean()
    assert accuracy > 0.8, f"the trees learnt a one-feature cut only to accuracy {accuracy:.2f}"


def test_n_parameters_counts_keras_weights_and_tree_nodes():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(3)(inputs))
    assert n_parameters(model) == 4 * 3 + 3
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(200, 2)), rng.integers(0, 2, 200)
    trees = fit_boosted_trees(x[:150], y[:150], x[150:], y[150:], max_iter=5)
    nodes = sum(len(tree.nodes) for iteration in trees._predictors for tree in iteration)
    assert n_parameters(trees) == nodes > 0
    with pytest.raises(TypeError, match="cannot count the parameters of a dict"):
        n_parameters({})
