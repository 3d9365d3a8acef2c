"""Tests of the resolution toolkit in hepcourse.metrics: the binned response/resolution and the
fit of sigma/E = a/sqrt(E) (+) b (+) c/E recover known terms from synthetic Gaussian smearing,
and bad inputs raise a ValueError naming the problem."""

import numpy as np
import pytest

from hepcourse import metrics

pytestmark = pytest.mark.unit

A, B, C = 0.12, 0.01, 0.25  # sqrt(GeV), 1, GeV
ENERGIES = np.geomspace(1.0, 100.0, 12)


def smeared_showers(n_per_energy=4000, response=1.0, seed=0):
    """Showers at fixed energies, reconstructed with Gaussian sigma/E = A/sqrt(E) (+) B (+) C/E."""
    rng = np.random.default_rng(seed)
    e_true = np.repeat(ENERGIES, n_per_energy)
    sigma = metrics.resolution_model(e_true, A, B, C)
    return e_true, e_true * response * (1 + sigma * rng.normal(size=e_true.size))


def test_resolution_model_adds_terms_in_quadrature():
    assert metrics.resolution_model(4.0, 0.2, 0.0, 0.0) == pytest.approx(0.1)
    assert metrics.resolution_model(2.0, 0.0, 0.0, 0.5) == pytest.approx(0.25)
    assert metrics.resolution_model(1e8, 0.1, 0.02, 0.3) == pytest.approx(0.02, rel=1e-4)
    assert metrics.resolution_model(1.0, 0.3, 0.4, 0.0) == pytest.approx(0.5)  # 0.3 (+) 0.4, not 0.7


def test_fit_recovers_known_terms_from_exact_points():
    sigma = metrics.resolution_model(ENERGIES, A, B, C)
    fit = metrics.fit_resolution(ENERGIES, sigma, 0.01 * sigma)
    assert (fit.a, fit.b, fit.c) == pytest.approx((A, B, C), rel=1e-4)
    assert fit.chi2 == pytest.approx(0, abs=1e-6) and fit.ndf == len(ENERGIES) - 3
    assert fit(10.0) == pytest.approx(metrics.resolution_model(10.0, A, B, C))


@pytest.mark.parametrize("method", metrics.RESOLUTION_METHODS)
def test_binned_resolution_and_fit_recover_smearing(method):
    e_true, e_reco = smeared_showers(response=0.97)
    edges = np.sqrt(ENERGIES[1:] * ENERGIES[:-1])
    edges = np.r_[ENERGIES[0] * 0.9, edges, ENERGIES[-1] * 1.1]  # one bin per energy
    binned = metrics.binned_resolution(e_true, e_reco, bins=edges, method=method)
    assert np.allclose(binned.energy, ENERGIES)
    assert np.all(np.abs(binned.response - 0.97) < 4 * binned.response_err + 1e-9)
    pulls = (binned.resolution - metrics.resolution_model(ENERGIES, A, B, C)) / binned.resolution_err
    assert np.all(np.abs(pulls) < 4), f"resolution pulls {np.round(pulls, 1)}"
    fit = binned.fit()
    for name, truth in zip(("a", "b", "c"), (A, B, C)):
        value, error = getattr(fit, name), getattr(fit, f"{name}_err")
        assert 0 < error < 0.3 * truth, f"{name}: error {error} is not a useful measurement of {truth}"
        assert abs(value - truth) < 4 * error, f"{name} = {value:.4f} +- {error:.4f}, generated {truth}"
    assert fit.chi2 / fit.ndf < 3


def test_fit_rejects_a_linear_sum_of_terms():
    """Points made with the terms added linearly are not described by the quadrature model."""
    linear = A / np.sqrt(ENERGIES) + B + C / ENERGIES
    fit = metrics.fit_resolution(ENERGIES, linear, 0.002 * linear)
    assert fit.chi2 / fit.ndf > 10


def test_fixed_terms_and_log_spaced_bins():
    e_true = np.exp(np.random.default_rng(3).uniform(0, np.log(100), 20_000))
    rng = np.random.default_rng(4)
    e_reco = e_true * (1 + metrics.resolution_model(e_true, A, B, 0.0) * rng.normal(size=e_true.size))
    binned = metrics.binned_resolution(e_true, e_reco, bins=6)
    assert len(binned.energy) == 6 and binned.n.sum() == e_true.size
    assert binned.edges[0] == pytest.approx(e_true.min())
    fit = binned.fit(fixed={"c": 0.0})
    assert fit.c == 0.0 and fit.c_err == 0.0 and fit.ndf == 4 and fit.fixed == ("c",)
    assert abs(fit.a - A) < 0.1 * A
    assert set(binned.to_frame().columns) >= {"E_median", "response", "sigma_over_E", "sigma_over_E_err"}
    assert binned.mean_resolution() == pytest.approx(binned.resolution.mean())


@pytest.mark.parametrize("energy, sigma, err, message", [
    ([1, 2, np.nan, 8, 16], [0.1] * 5, [0.01] * 5, "energy contains 1 NaN"),
    ([1, -2, 4, 8, 16], [0.1] * 5, [0.01] * 5, "energy must be positive"),
    ([1, 2, 4, 8, 16], [0.1, 0.1, -0.1, 0.1, 0.1], [0.01] * 5, "sigma_over_e must be non-negative"),
    ([1, 2, 4, 8, 16], [0.1] * 5, [0.01, 0, 0.01, 0.01, 0.01], "err must be positive"),
    ([1, 2, 4, 8, 16], [0.1] * 4, [0.01] * 5, "differ in length"),
    ([1, 2, 4], [0.1] * 3, [0.01] * 3, "too few"),
    ([[1, 2], [4, 8]], [0.1] * 4, [0.01] * 4, "must be 1-D"),
])
def test_fit_resolution_bad_input(energy, sigma, err, message):
    with pytest.raises(ValueError, match=message):
        metrics.fit_resolution(energy, sigma, err)


def test_fit_resolution_bad_fixed_terms():
    sigma = metrics.resolution_model(ENERGIES, A, B, C)
    with pytest.raises(ValueError, match="unknown terms"):
        metrics.fit_resolution(ENERGIES, sigma, 0.01 * sigma, fixed={"d": 0.0})
    with pytest.raises(ValueError, match="nothing to fit"):
        metrics.fit_resolution(ENERGIES, sigma, 0.01 * sigma, fixed={"a": 0, "b": 0, "c": 0})


def test_binned_resolution_bad_input():
    e_true, e_reco = smeared_showers(n_per_energy=50)
    with pytest.raises(ValueError, match="e_reco must have the shape"):
        metrics.binned_resolution(e_true, e_reco[:-1])
    with pytest.raises(ValueError, match="e_reco contains 1 NaN"):
        metrics.binned_resolution(e_true, np.where(np.arange(e_true.size) == 3, np.nan, e_reco))
    with pytest.raises(ValueError, match="e_true must be positive"):
        metrics.binned_resolution(-e_true, e_reco)
    with pytest.raises(ValueError, match="fewer than min_entries"):
        metrics.binned_resolution(e_true, e_reco, bins=200)
    with pytest.raises(ValueError, match="method must be one of"):
        metrics.binned_resolution(e_true, e_reco, method="mean")
    with pytest.raises(ValueError, match="increasing"):
        metrics.binned_resolution(e_true, e_reco, bins=[10.0, 5.0, 20.0])


# --- the self-checks of exercise 02 (hepcourse.selfchecks) and the resolution plots -------------

from hepcourse import plotting, selfchecks  # noqa: E402


def test_check_resolution_model_accepts_quadrature_and_explains_a_linear_sum():
    selfchecks.check_resolution_model(metrics.resolution_model)
    with pytest.raises(selfchecks.CheckFailed, match="that is the linear sum"):
        selfchecks.check_resolution_model(lambda e, a, b, c: a / np.sqrt(e) + b + c / e)
    with pytest.raises(selfchecks.CheckFailed, match="stochastic term"):
        selfchecks.check_resolution_model(lambda e, a, b, c: np.sqrt((a / e) ** 2 + b**2 + (c / e) ** 2))
    with pytest.raises(selfchecks.CheckFailed, match="use np.sqrt"):
        import math

        selfchecks.check_resolution_model(lambda e, a, b, c: math.sqrt(a**2 / e + b**2 + c**2 / e**2))


def test_check_resolution_fit():
    sigma = metrics.resolution_model(ENERGIES, A, B, C)
    err = 0.02 * sigma
    selfchecks.check_resolution_fit((A, B, C), (0.01, 0.001, 0.01), ENERGIES, sigma, err, metrics.resolution_model)
    with pytest.raises(selfchecks.CheckFailed, match="must be >= 0"):
        selfchecks.check_resolution_fit((-A, B, C), (0.01, 0.001, 0.01), ENERGIES, sigma, err, metrics.resolution_model)
    with pytest.raises(selfchecks.CheckFailed, match="errors must be finite and positive"):
        selfchecks.check_resolution_fit((A, B, C), (0.01, np.nan, 0.01), ENERGIES, sigma, err, metrics.resolution_model)
    with pytest.raises(selfchecks.CheckFailed, match="misses the points"):
        selfchecks.check_resolution_fit((2 * A, B, C), (0.01, 0.001, 0.01), ENERGIES, sigma, err, metrics.resolution_model)


def test_check_energy_regressor():
    e_true, e_reco = smeared_showers(n_per_energy=300)
    value = selfchecks.check_energy_regressor(e_true, e_reco, target=1.0)
    assert 0 < value < 0.2
    with pytest.raises(selfchecks.CheckFailed, match="target"):
        selfchecks.check_energy_regressor(e_true, e_reco, target=value)  # equal is not better
    with pytest.raises(selfchecks.CheckFailed, match="is biased"):
        selfchecks.check_energy_regressor(e_true, 0.02 * e_reco, target=1.0)  # the visible energy, uncalibrated
    with pytest.raises(selfchecks.CheckFailed, match="NaN"):
        selfchecks.check_energy_regressor(e_true, np.where(e_reco > 50, np.nan, e_reco), target=1.0)
    with pytest.raises(selfchecks.CheckFailed, match="one energy per shower"):
        selfchecks.check_energy_regressor(e_true, e_reco[:-1], target=1.0)


def test_resolution_plots_and_their_input_checks():
    e_true, e_reco = smeared_showers(n_per_energy=200)
    binned = metrics.binned_resolution(e_true, e_reco, bins=6)
    response_ax, resolution_ax = plotting.resolution_curves({"toy": (binned, binned.fit()), "points only": binned})
    assert len(resolution_ax.get_legend().get_texts()) == 2
    with pytest.raises(ValueError, match="BinnedResolution"):
        plotting.resolution_curves({"toy": e_reco})
    shower = np.zeros((5, 7, 7))
    shower[:, 3, 3] = 1.0
    assert len(plotting.shower_layers(shower, layers=[0, 4], cell_size_mm=6.0)) == 2
    with pytest.raises(ValueError, match="layers must be indices"):
        plotting.shower_layers(shower, layers=[5])
    with pytest.raises(ValueError, match="hold no energy"):
        plotting.shower_layers(np.zeros((5, 7, 7)), layers=[0])
