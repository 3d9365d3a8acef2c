"""Tests of hepcourse.metrics against hand-computed toy ROC curves, and of its input checks
(every bad input raises a ValueError naming the offending argument)."""

import numpy as np
import pytest

from hepcourse import metrics

pytestmark = pytest.mark.unit

# 10 background jets at scores 0.0, 0.1, ..., 0.9 and 4 signal jets. Cutting at 0.75 keeps
# 3/4 signal and 2/10 background; at 0.55 it keeps 4/4 signal and 4/10 background.
TOY_Y = np.r_[np.zeros(10), np.ones(4)]
TOY_SCORE = np.r_[np.arange(10) / 10, [0.55, 0.75, 0.85, 0.95]]


def test_roc_curve_gives_signal_and_background_efficiencies():
    eps_s, eps_b, thresholds = metrics.roc_curve(TOY_Y, TOY_SCORE)
    assert eps_s[0] == eps_b[0] == 0 and eps_s[-1] == eps_b[-1] == 1
    assert np.all(np.diff(eps_s) >= 0) and np.all(np.diff(eps_b) >= 0)
    at_075 = np.flatnonzero(thresholds == 0.75)[0]
    assert (eps_s[at_075], eps_b[at_075]) == (0.75, 0.2)


def test_auc_of_toy_perfect_and_inverted_classifiers():
    # signal-background pairs ranked correctly: 0.55 beats 6 of 10, the others 8, 9, 10
    assert metrics.auc(TOY_Y, TOY_SCORE) == pytest.approx((6 + 8 + 9 + 10) / 40)
    y = np.r_[np.zeros(50), np.ones(50)]
    assert metrics.auc(y, y) == 1.0
    assert metrics.auc(y, -y) == 0.0


@pytest.mark.parametrize(
    "signal_efficiency, expected",
    [(0.75, 1 / 0.2), (1.0, 1 / 0.4), (0.875, 1 / 0.3)],  # 0.875: halfway from (0.75, 0.2) to (1, 0.4)
)
def test_background_rejection_on_toy_roc(signal_efficiency, expected):
    assert metrics.background_rejection(TOY_Y, TOY_SCORE, signal_efficiency) == pytest.approx(expected)


def test_background_rejection_is_bounded_by_background_count_when_no_background_passes():
    y = np.r_[np.zeros(50), np.ones(20)]
    assert metrics.background_rejection(y, y, 0.3) == 50.0  # eps_B = 0 -> 1 / (1 / 50)
    assert metrics.background_rejection(TOY_Y, TOY_SCORE, 0.5) == 10.0


def test_random_classifier_rejects_one_over_signal_efficiency():
    rng = np.random.default_rng(1)
    y, score = rng.integers(0, 2, 20000), rng.random(20000)
    assert metrics.background_rejection(y, score, 0.5) == pytest.approx(2.0, rel=0.05)
    assert metrics.auc(y, score) == pytest.approx(0.5, abs=0.02)


def test_summary_keys_and_values():
    result = metrics.summary(TOY_Y, TOY_SCORE, efficiencies=(0.3, 0.5, 0.875))
    assert set(result) == {"auc", "R30", "R50", "R87.5"}
    assert result["R87.5"] == pytest.approx(1 / 0.3)
    assert result["auc"] == pytest.approx((6 + 8 + 9 + 10) / 40)  # hand-counted, as in the AUC test


def test_column_vectors_and_booleans_are_accepted():
    as_column = metrics.summary(TOY_Y.astype(bool)[:, None], TOY_SCORE[:, None])
    assert as_column == metrics.summary(TOY_Y, TOY_SCORE)


ALL_FUNCTIONS = [metrics.roc_curve, metrics.auc, metrics.background_rejection, metrics.summary]
BAD_INPUTS = [
    (TOY_Y, np.r_[TOY_SCORE[:-3], np.nan, np.inf, -np.inf], "score contains 3 NaN/inf values"),
    (np.r_[TOY_Y[:-1], np.nan], TOY_SCORE, "y_true contains 1 NaN/inf values"),
    (np.r_[TOY_Y[:-1], 2], TOY_SCORE, "y_true must hold only 0"),
    (np.zeros(14), TOY_SCORE, "y_true must contain both classes"),
    (TOY_Y, TOY_SCORE[:-1], "y_true and score differ in length"),
    (TOY_Y, np.c_[TOY_SCORE, TOY_SCORE], "score must be 1-D"),
    (TOY_Y[None, None], TOY_SCORE, "y_true must be 1-D"),
    (TOY_Y, ["a"] * 14, "score must be numeric"),
]


@pytest.mark.parametrize("function", ALL_FUNCTIONS)
@pytest.mark.parametrize("y_true, score, message", BAD_INPUTS)
def test_bad_inputs_raise_value_error_naming_the_argument(function, y_true, score, message):
    with pytest.raises(ValueError, match=message):
        function(y_true, score)


@pytest.mark.parametrize("signal_efficiency", [0, -0.1, 1.5, np.nan, "0.3", (0.3,)])
def test_signal_efficiency_outside_unit_interval_is_rejected(signal_efficiency):
    with pytest.raises(ValueError, match="signal_efficiency must be a number in"):
        metrics.background_rejection(TOY_Y, TOY_SCORE, signal_efficiency)
    with pytest.raises(ValueError, match="signal_efficiency"):
        metrics.summary(TOY_Y, TOY_SCORE, efficiencies=(0.3, signal_efficiency))
