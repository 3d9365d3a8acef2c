"""Tests of the working-point metrics added for lecture 04 (anomaly detection): the signal
efficiency at a fixed background acceptance and the cut that gives it, on hand-computed toys,
against the ROC curve, and their input checks."""

import numpy as np
import pytest

from hepcourse import metrics

pytestmark = pytest.mark.unit

# 10 background entries at 0.0, 0.1, ..., 0.9 and 4 signal entries. The cut score >= 0.85
# keeps 1/10 background and 2/4 signal; score >= 0.95 keeps 0/10 background and 1/4 signal.
TOY_Y = np.r_[np.zeros(10), np.ones(4)]
TOY_SCORE = np.r_[np.arange(10) / 10, [0.55, 0.75, 0.85, 0.95]]


def test_signal_efficiency_at_a_resolved_working_point():
    # eps_B = 0.1: the cut at 0.85 (background 0.9 passes, signal 0.85 and 0.95 pass) -> 2/4
    assert metrics.signal_efficiency(TOY_Y, TOY_SCORE, 0.1) == pytest.approx(0.5)
    # eps_B = 0.2: background 0.8, 0.9 pass; best cut at 0.75 keeps 3 signal entries
    assert metrics.signal_efficiency(TOY_Y, TOY_SCORE, 0.2) == pytest.approx(0.75)
    assert metrics.signal_efficiency(TOY_Y, TOY_SCORE, 1.0) == pytest.approx(1.0)


def test_signal_efficiency_between_roc_points():
    # between the cuts at 0.85 (0.1, 0.5) and 0.8 (0.2, 0.5) the curve is flat: 0.5, not the chord
    # to (0.2, 0.75), which needs the next cut at 0.75
    assert metrics.signal_efficiency(TOY_Y, TOY_SCORE, 0.15) == pytest.approx(0.5)
    # ties (two background and two signal entries at score 1) are a straight segment from
    # (0, 0.5) to (0.2, 1): a random half of the tied entries passes at eps_B = 0.1
    y = np.r_[np.zeros(10), np.ones(4)]
    score = np.r_[np.zeros(8), [1.0, 1.0], [1.0, 1.0, 2.0, 2.0]]
    assert metrics.signal_efficiency(y, score, 0.1) == pytest.approx(0.75)


def test_signal_efficiency_is_the_roc_curve_read_at_fixed_background():
    rng = np.random.default_rng(3)
    y = np.r_[np.zeros(5000), np.ones(5000)]
    score = np.r_[rng.normal(0, 1, 5000), rng.normal(1.5, 1, 5000)]
    eps_s, eps_b, _ = metrics.roc_curve(y, score)
    for eb in (1e-3, 1e-2, 0.1):
        expected = eps_s[np.searchsorted(eps_b, eb, side="right") - 1]
        assert metrics.signal_efficiency(y, score, eb) == pytest.approx(expected, abs=2e-3)
    # Gaussians: eps_S = 1 - Phi(Phi^-1(1 - eps_B) - 1.5)
    from scipy.stats import norm

    assert metrics.signal_efficiency(y, score, 0.01) == pytest.approx(norm.sf(norm.isf(0.01) - 1.5), abs=0.03)


def test_inverted_score_has_low_signal_efficiency():
    y = np.r_[np.zeros(100), np.ones(100)]
    score = np.r_[np.linspace(1, 2, 100), np.linspace(0, 0.9, 100)]
    assert metrics.signal_efficiency(y, score, 0.1) == 0.0
    assert metrics.signal_efficiency(y, -score, 0.1) == 1.0


def test_threshold_keeps_the_requested_background_fraction():
    rng = np.random.default_rng(0)
    background = rng.exponential(size=20_000)
    for eb in (1e-3, 1e-2, 0.3):
        t = metrics.threshold_at_background_efficiency(background, eb)
        assert np.mean(background > t) == pytest.approx(eb, rel=0.05)
        assert t == pytest.approx(-np.log(eb), rel=0.1)  # exponential: P(x > t) = exp(-t)


def test_threshold_and_signal_efficiency_agree():
    rng = np.random.default_rng(1)
    y = np.r_[np.zeros(4000), np.ones(4000)]
    score = np.r_[rng.normal(0, 1, 4000), rng.normal(2, 1, 4000)]
    t = metrics.threshold_at_background_efficiency(score[y == 0], 0.01)
    assert np.mean(score[y == 1] > t) == pytest.approx(metrics.signal_efficiency(y, score, 0.01), abs=0.01)


@pytest.mark.parametrize("eb", [0.0, -0.1, 1.5, "0.01", None])
def test_bad_background_efficiency_is_named(eb):
    with pytest.raises(ValueError, match="background_efficiency must be a number in"):
        metrics.signal_efficiency(TOY_Y, TOY_SCORE, eb)
    with pytest.raises(ValueError, match="background_efficiency must be a number in"):
        metrics.threshold_at_background_efficiency(TOY_SCORE, eb)


def test_unresolvable_background_efficiency_says_how_many_entries_are_needed():
    with pytest.raises(ValueError, match="cannot be resolved with 10 background entries.*at least 1000"):
        metrics.signal_efficiency(TOY_Y, TOY_SCORE, 1e-3)
    with pytest.raises(ValueError, match="cannot be resolved with 14 background entries"):
        metrics.threshold_at_background_efficiency(TOY_SCORE, 1e-2)


def test_bad_scores_are_named():
    with pytest.raises(ValueError, match="score contains 1 NaN"):
        metrics.signal_efficiency(TOY_Y, np.r_[TOY_SCORE[:-1], np.nan], 0.1)
    with pytest.raises(ValueError, match="differ in length"):
        metrics.signal_efficiency(TOY_Y, TOY_SCORE[:-1], 0.1)
    with pytest.raises(ValueError, match="background_score contains 1 NaN"):
        metrics.threshold_at_background_efficiency(np.r_[TOY_SCORE, np.nan], 0.5)
    with pytest.raises(ValueError, match="background_score must be 1-D"):
        metrics.threshold_at_background_efficiency(np.ones((3, 4)), 0.5)
    with pytest.raises(ValueError, match="both classes"):
        metrics.signal_efficiency(np.zeros(14), TOY_SCORE, 0.1)
