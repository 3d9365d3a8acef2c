"""Tests of hepcourse.uncertainty on toys with known answers: Gaussian pulls have width 1 and the
Gaussian coverages, scaled widths are detected and corrected, a calibrated toy classifier has
a small ECE and an over-confident one a large ECE that temperature scaling recovers (with the
true temperature), and bad inputs raise errors that name the problem."""

import numpy as np
import pytest
from scipy import special

from hepcourse import uncertainty

pytestmark = pytest.mark.unit


def _gaussian_toy(n=200_000, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    mu = rng.uniform(1, 100, n)
    sigma = 0.2 * np.sqrt(mu)
    return mu + scale * sigma * rng.normal(size=n), mu, sigma


def test_gaussian_levels():
    assert uncertainty.GAUSSIAN_LEVELS == pytest.approx((0.682689, 0.954500), abs=1e-6)
    assert uncertainty.gaussian_quantile(0.682689) == pytest.approx(1.0, abs=1e-5)


def test_pulls_by_hand():
    assert np.allclose(uncertainty.pulls([1.0, 2.0, 4.0], [1.0, 1.0, 2.0], [1.0, 0.5, 4.0]), [0.0, 2.0, 0.5])


def test_calibrated_toy_has_unit_pulls_and_gaussian_coverage():
    y, mu, sigma = _gaussian_toy()
    s = uncertainty.pull_summary(y, mu, sigma)
    assert s.mean == pytest.approx(0.0, abs=0.01)
    assert s.std == pytest.approx(1.0, abs=0.01) and s.width == pytest.approx(1.0, abs=0.01)
    assert (s.coverage_68, s.coverage_95) == pytest.approx(uncertainty.GAUSSIAN_LEVELS, abs=0.005)
    assert "coverage" in str(s) and set(s.as_dict()) >= {"width", "coverage_68"}
    assert uncertainty.interval_coverage(y, mu, sigma, z=1.0) == pytest.approx(0.6827, abs=0.005)
    assert uncertainty.interval_coverage(y, mu, sigma, z=[1, 2, 3])[2] == pytest.approx(0.9973, abs=0.002)


def test_over_confident_widths_are_detected_and_rescaled():
    y, mu, sigma = _gaussian_toy(scale=1.5)  # true errors 1.5 x the predicted sigma
    s = uncertainty.pull_summary(y, mu, sigma)
    assert s.width == pytest.approx(1.5, abs=0.02)
    assert s.coverage_68 == pytest.approx(special.erf(1 / 1.5 / np.sqrt(2)), abs=0.005)
    c = uncertainty.sigma_scale(y, mu, sigma)
    assert c == pytest.approx(1.5, abs=0.02)
    assert uncertainty.pull_summary(y, mu, c * sigma).width == pytest.approx(1.0, abs=0.02)


def _toy_classifier(n=200_000, temperature=1.0, seed=1):
    """Labels drawn from a known probability p = sigmoid(z); the classifier outputs sigmoid(z * temperature)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2.5, n)
    y = (rng.random(n) < special.expit(z)).astype(float)
    return y, z * temperature


def test_reliability_of_a_calibrated_toy():
    y, z = _toy_classifier()
    curve = uncertainty.reliability_curve(y, special.expit(z), n_bins=10)
    assert curve.count.sum() == len(y) and len(curve.centres) == 10
    filled = curve.count > 100
    assert np.allclose(curve.observed[filled], curve.mean_predicted[filled], atol=4 * curve.observed_err[filled].max())
    assert uncertainty.expected_calibration_error(y, special.expit(z)) < 0.01


def test_reliability_by_hand():
    curve = uncertainty.reliability_curve([0, 1, 1, 0], [0.1, 0.15, 0.9, 1.0], n_bins=2)
    assert list(curve.count) == [2, 2]  # p = 1.0 falls into the last bin
    assert curve.mean_predicted == pytest.approx([0.125, 0.95])
    assert curve.observed == pytest.approx([0.5, 0.5])
    assert curve.ece() == pytest.approx(0.5 * 0.375 + 0.5 * 0.45)
    empty = uncertainty.reliability_curve([0, 1], [0.1, 0.2], n_bins=4)
    assert np.isnan(empty.observed[3]) and empty.ece() == pytest.approx(abs(0.5 - 0.15))


def test_temperature_scaling_recovers_an_over_confident_toy():
    y, z_over = _toy_classifier(temperature=3.0)  # logits three times too large
    p_over = special.expit(z_over)
    assert uncertainty.expected_calibration_error(y, p_over) > 0.05
    t = uncertainty.fit_temperature(z_over, y)
    assert t == pytest.approx(3.0, rel=0.03)
    p_fixed = uncertainty.apply_temperature(z_over, t)
    assert uncertainty.expected_calibration_error(y, p_fixed) < 0.01
    # monotonic: the order of the outputs, hence the ROC curve, is unchanged
    assert np.array_equal(np.argsort(p_over, kind="stable"), np.argsort(p_fixed, kind="stable"))


def test_logit_inverts_the_sigmoid_and_stays_finite():
    z = np.linspace(-8, 8, 17)
    assert np.allclose(uncertainty.logit(special.expit(z)), z, atol=1e-6)
    assert np.all(np.isfinite(uncertainty.logit([0.0, 1.0])))


@pytest.mark.parametrize("call, message", [
    (lambda: uncertainty.pulls([1.0, 2.0], [1.0], [1.0, 1.0]), "differ in length"),
    (lambda: uncertainty.pulls([1.0, np.nan], [1.0, 1.0], [1.0, 1.0]), "y_true contains 1 NaN"),
    (lambda: uncertainty.pulls([1.0, 2.0], [1.0, 1.0], [1.0, -1.0]), "sigma must be positive"),
    (lambda: uncertainty.pulls(np.ones((3, 2)), np.ones(3), np.ones(3)), "must be 1-D"),
    (lambda: uncertainty.pulls([], [], []), "empty"),
    (lambda: uncertainty.interval_coverage([1.0], [1.0], [1.0], z=-1), "z must be positive"),
    (lambda: uncertainty.reliability_curve([0, 1], [0.2, 1.7]), "not logits"),
    (lambda: uncertainty.reliability_curve([0, 2], [0.2, 0.7]), "labels 0 and 1"),
    (lambda: uncertainty.reliability_curve([0, 1], [0.2, 0.7], n_bins=0), "n_bins"),
    (lambda: uncertainty.fit_temperature([0.1, 0.3], [1, 1]), "both classes"),
    (lambda: uncertainty.apply_temperature([0.1], 0.0), "temperature"),
    (lambda: uncertainty.apply_temperature([np.inf], 1.0), "NaN/inf"),
    (lambda: uncertainty.logit([1.2]), "probabilities"),
    (lambda: uncertainty.gaussian_quantile(1.0), "level"),
])
def test_bad_inputs_name_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()
