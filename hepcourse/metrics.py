"""Classifier metrics in HEP conventions: ROC as signal/background efficiencies, AUC, and
background rejection 1/eps_B at a fixed signal efficiency (R30, R50).

Every notebook compares taggers with the same numbers, so they are computed here once, on
top of ``sklearn.metrics`` (no ROC re-implementation), with input checks whose messages say
which argument is wrong and why.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn import metrics as _skm


def _check_inputs(y_true, score, signal_efficiency=None):
    """Return ``(y_true, score)`` as validated 1-D float arrays; raise ValueError otherwise.

    Shared by every public function: both arrays must be 1-D (an ``(n, 1)`` column is
    raveled), of the same length and finite; ``y_true`` holds only 0/1 and both classes;
    ``signal_efficiency`` (when given) lies in (0, 1].
    """
    arrays = {}
    for name, values in (("y_true", y_true), ("score", score)):
        try:
            array = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be numeric, got {type(values).__name__}") from None
        if array.ndim == 2 and array.shape[1] == 1:
            array = array.ravel()
        if array.ndim != 1:
            raise ValueError(f"{name} must be 1-D (or an (n, 1) column), got shape {array.shape}")
        n_bad = int(np.count_nonzero(~np.isfinite(array)))
        if n_bad:
            what = "labels must be 0 or 1" if name == "y_true" else "a classifier output must be finite"
            raise ValueError(f"{name} contains {n_bad} NaN/inf values; {what}")
        arrays[name] = array
    y_true, score = arrays["y_true"], arrays["score"]
    if len(y_true) != len(score):
        raise ValueError(f"y_true and score differ in length: {len(y_true)} != {len(score)}")
    not_binary = ~np.isin(y_true, (0.0, 1.0))
    if not_binary.any():
        raise ValueError(
            f"y_true must hold only 0 (background) and 1 (signal); found "
            f"{int(not_binary.sum())} other values, e.g. {np.unique(y_true[not_binary])[:3]}"
        )
    n_signal = int(y_true.sum())
    if n_signal == 0 or n_signal == len(y_true):
        raise ValueError(
            f"y_true must contain both classes; got {n_signal} signal and "
            f"{len(y_true) - n_signal} background entries"
        )
    if signal_efficiency is not None and not (
        isinstance(signal_efficiency, numbers.Real) and 0.0 < signal_efficiency <= 1.0
    ):
        raise ValueError(f"signal_efficiency must be a number in (0, 1], got {signal_efficiency!r}")
    return y_true, score


def roc_curve(y_true, score):
    """Return ``(eps_s, eps_b, thresholds)``: signal and background efficiencies of the cut
    ``score >= threshold`` (sklearn's tpr and fpr), ordered by increasing efficiency."""
    y_true, score = _check_inputs(y_true, score)
    eps_b, eps_s, thresholds = _skm.roc_curve(y_true, score)
    return eps_s, eps_b, thresholds


def auc(y_true, score):
    """Area under the ROC curve (1.0: perfect separation, 0.5: random guessing)."""
    y_true, score = _check_inputs(y_true, score)
    return float(_skm.roc_auc_score(y_true, score))


def background_rejection(y_true, score, signal_efficiency=0.3):
    """Background rejection 1/eps_B at the given signal efficiency eps_S.

    eps_B is interpolated linearly in eps_S on the ROC curve (at equal eps_S the lowest eps_B,
    i.e. the best working point, is used). With ``n_background`` background jets, efficiencies
    below ``1 / n_background`` cannot be resolved: eps_B is floored there, so the result is
    bounded by ``n_background`` instead of being infinite when no background passes the cut.
    A returned value equal to ``n_background`` therefore means "at least n_background".
    """
    y_true, score = _check_inputs(y_true, score, signal_efficiency)
    eps_b, eps_s, _ = _skm.roc_curve(y_true, score)
    eps_s, first = np.unique(eps_s, return_index=True)  # eps_b rises along the curve
    eps_b_at = np.interp(signal_efficiency, eps_s, eps_b[first])
    n_background = np.count_nonzero(y_true == 0)
    return float(1.0 / max(eps_b_at, 1.0 / n_background))


def summary(y_true, score, efficiencies=(0.3, 0.5)):
    """Return ``{"auc": ..., "R30": ..., "R50": ...}``: AUC and 1/eps_B at each signal
    efficiency (the key is R followed by the efficiency in percent)."""
    result = {"auc": auc(y_true, score)}
    for efficiency in efficiencies:
        result[f"R{100 * efficiency:g}"] = background_rejection(y_true, score, efficiency)
    return result
