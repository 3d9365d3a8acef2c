"""Tests of the GAN validation (hepcourse.physics.calorimeter.shower_validation) on toy showers with a known
response and shape: the response table, the distances (zero for the same sample, large for a
shifted one), and the classifier tests on observables and on cells (about 0.5 for two samples
of one distribution, near 1 for a visibly different generator)."""

import matplotlib
import numpy as np
import pytest

from hepcourse import plotting
from hepcourse.physics.calorimeter import shower_validation as sv
from hepcourse.physics.calorimeter import GEOMETRY

pytestmark = pytest.mark.unit

matplotlib.use("Agg")
SHAPE = (GEOMETRY.n_layers, GEOMETRY.n_cells, GEOMETRY.n_cells)


def toy_showers(n, seed=0, depth=6.0, scale=0.02, resolution=0.15):
    """Showers with a Gaussian-in-depth, exponential-in-radius shape and response ~ scale."""
    rng = np.random.default_rng(seed)
    energies = np.exp(rng.uniform(0, np.log(100), n))
    layer = np.arange(SHAPE[0])
    c = GEOMETRY.cell_centres_mm()
    r = np.hypot(c[None, :], c[:, None])
    lateral = np.exp(-r / 8.0)
    depth_each = depth + rng.normal(0, 1.0, n)
    longitudinal = np.exp(-0.5 * ((layer[None, :] - depth_each[:, None]) / 3.0) ** 2)
    shape = longitudinal[:, :, None, None] * lateral[None, None]
    shape /= shape.sum(axis=(1, 2, 3), keepdims=True)
    total = energies * scale * (1 + resolution / np.sqrt(energies) * rng.normal(size=n))
    showers = shape * np.clip(total, 0, None)[:, None, None, None]
    showers *= rng.uniform(0.7, 1.3, showers.shape)  # cell fluctuations
    showers[showers < 1e-4] = 0
    return showers.astype("float32"), energies


def test_response_and_table():
    X, E = toy_showers(4000)
    r = sv.response(X, E)
    assert r.shape == (4000,) and np.allclose(r, X.sum(axis=(1, 2, 3)) / E, rtol=1e-5)
    assert 0.01 < np.mean(r) < 0.021  # the toy's 2 % response, less the cells below threshold
    table = sv.response_vs_energy(X, E, edges=[1, 10, 100])
    assert table["n"].sum() == 4000
    # the toy's relative width falls like 0.15/sqrt(E): larger in the low-energy bin
    assert table["width"][0] > 2 * table["width"][1]
    with pytest.raises(ValueError, match="holds 0 showers"):
        sv.response_vs_energy(X, E, edges=[100, 200, 300])


def test_observables_and_distances():
    X, E = toy_showers(1500, seed=1)
    obs = sv.observables(X, E)
    assert {"response", "depth [X0]", "lateral width [mm]", "containment in R_M", "occupancy"} <= set(obs)
    assert all(v.shape == (1500,) for v in obs.values())
    fractions = np.sum([obs[f"layer {k} fraction"] for k in range(SHAPE[0])], axis=0)
    assert np.allclose(fractions, 1.0)
    same = sv.wasserstein_distances(obs, obs)
    assert max(same.values()) == 0
    other = sv.observables(*toy_showers(1500, seed=2))
    deeper = sv.observables(*toy_showers(1500, seed=3, depth=10.0))
    assert sv.wasserstein_distances(obs, deeper)["depth [X0]"] > 5 * sv.wasserstein_distances(obs, other)["depth [X0]"]


def test_classifier_auc_separates_only_different_generators():
    sim = toy_showers(1500, seed=4)
    same = toy_showers(1500, seed=5)
    wrong = toy_showers(1500, seed=6, depth=8.0, scale=0.025)
    obs_sim, obs_same, obs_wrong = (sv.observables(*s) for s in (sim, same, wrong))
    auc_same = sv.classifier_auc(obs_sim, obs_same, sim[1], same[1])
    auc_wrong = sv.classifier_auc(obs_sim, obs_wrong, sim[1], wrong[1])
    assert 0.4 < auc_same < 0.6
    assert auc_wrong > 0.95


def test_cell_classifier_auc_separates_only_different_generators():
    """The low-level (cell) classifier: ~0.5 for one distribution, high for a visibly wider shower."""
    sim = toy_showers(800, seed=7)
    same = toy_showers(800, seed=8)
    wrong = toy_showers(800, seed=9, depth=10.0, scale=0.03)
    assert 0.4 < sv.cell_classifier_auc(sim[0], same[0], sim[1], same[1]) < 0.6
    assert sv.cell_classifier_auc(sim[0], wrong[0], sim[1], wrong[1]) > 0.9
    with pytest.raises(ValueError, match="shape"):
        sv.cell_classifier_auc(sim[0][:, :5], same[0], sim[1], same[1])
    bad = same[0].copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        sv.cell_classifier_auc(sim[0], bad, sim[1], same[1])


def test_bad_inputs_are_named():
    X, E = toy_showers(10)
    with pytest.raises(ValueError, match="shape"):
        sv.response(X[:, :5], E)
    with pytest.raises(ValueError, match="energies"):
        sv.response(X, E[:5])
    X[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        sv.observables(X, E)


def test_validation_plots_draw():
    X, E = toy_showers(600, seed=7)
    Y, F = toy_showers(600, seed=8)
    axes = plotting.shower_response(sv.response_vs_energy(X, E, [1, 10, 100]), sv.response_vs_energy(Y, F, [1, 10, 100]))
    assert len(axes[0].lines) + len(axes[0].collections) > 0
    ax = plotting.shower_profiles({"a": (X.sum(axis=(2, 3)).mean(0), None)}, np.arange(SHAPE[0]))
    assert ax.get_yscale() == "log"
    obs = sv.observables(X, E)
    names = ["response", "occupancy"]
    panels = plotting.observable_comparison({"sim": obs, "gen": sv.observables(Y, F)}, names,
                                            distances=sv.wasserstein_distances(obs, sv.observables(Y, F)))
    assert "W1/std" in panels[0].get_title()
    with pytest.raises(ValueError, match="points"):
        plotting.shower_profiles({"a": (np.ones(3), None)}, np.arange(SHAPE[0]))


def test_shower_library_scales_stored_showers_from_the_right_bin():
    from hepcourse.physics.calorimeter.shower_library import ShowerLibrary

    X, E = toy_showers(400, seed=9)
    library = ShowerLibrary(X, E, n_bins=4)
    wanted = np.array([1.5, 20.0, 90.0, 90.0])
    out = library.sample(wanted, seed=1)
    assert out.shape == (4, *SHAPE)
    assert np.array_equal(out, library.sample(wanted, seed=1))
    # each output is a stored shower times E / E_stored, with E_stored in the same energy bin
    for shower, energy in zip(out, wanted):
        ratios = shower.sum() / X.sum(axis=(1, 2, 3))
        match = np.flatnonzero(np.isclose(ratios, energy / E, rtol=1e-4))
        assert match.size, "the library shower is not a scaled stored shower"
        k = int(np.clip(np.digitize(energy, library.edges) - 1, 0, len(library.edges) - 2))
        assert np.any((library.edges[k] <= E[match]) & (E[match] < library.edges[k + 1]))
    with pytest.raises(ValueError, match="bins"):
        ShowerLibrary(X[:3], E[:3], n_bins=10)
    with pytest.raises(ValueError, match="positive"):
        library.sample([-1.0])
