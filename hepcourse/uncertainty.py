"""Is a predicted uncertainty right? Pulls and interval coverage for regression; reliability,
expected calibration error and temperature scaling for classification (lecture 05).

Regression: a network that predicts a mean mu and a width sigma per example is *calibrated*
when the **pulls** (y - mu) / sigma of held-out examples are distributed as N(0, 1): their width
is 1 and the central intervals mu +- z sigma contain the Gaussian fractions (68.27 % for z = 1,
95.45 % for z = 2). `pull_summary` measures both; `sigma_scale` finds the one factor that
would bring the pulls' width to 1 (the regression analogue of temperature scaling).

Classification: a classifier's output p is calibrated when, among the examples that receive
p ~ 0.8, 80 % are signal. `reliability_curve` bins the outputs and compares the mean output
with the observed signal fraction per bin; `expected_calibration_error` (ECE) is the
count-weighted mean of their absolute differences. **Temperature scaling** (Guo et al.,
arXiv:1706.04599) divides the logit by one number T fitted on a validation split
(`fit_temperature`, minimising the binary cross-entropy): T > 1 softens an over-confident
classifier, and, being monotonic, it leaves the ROC curve and AUC unchanged.

Every function checks its inputs and says which argument is wrong (shape, NaN, range).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from hepcourse.metrics import _finite_1d

__all__ = [
    "GAUSSIAN_LEVELS",
    "PullSummary",
    "ReliabilityCurve",
    "apply_temperature",
    "expected_calibration_error",
    "fit_temperature",
    "gaussian_quantile",
    "interval_coverage",
    "logit",
    "pull_summary",
    "pulls",
    "reliability_curve",
    "sigma_scale",
]

# fraction of a Gaussian within +-1 and +-2 sigma
GAUSSIAN_LEVELS = (float(special.erf(1 / np.sqrt(2))), float(special.erf(2 / np.sqrt(2))))


def _vector(values, name):
    """``values`` as a finite, non-empty 1-D float array (metrics' check, plus: not empty)."""
    array = _finite_1d(values, name)
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    return array


def _same_length(**arrays):
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"the arrays differ in length: {lengths}")


# ------------------------------------------------------------------------------- regression
def pulls(y_true, mu, sigma):
    """(y_true - mu) / sigma per example; sigma must be positive."""
    y_true, mu, sigma = _vector(y_true, "y_true"), _vector(mu, "mu"), _vector(sigma, "sigma")
    _same_length(y_true=y_true, mu=mu, sigma=sigma)
    if np.any(sigma <= 0):
        raise ValueError(f"sigma must be positive; {int(np.sum(sigma <= 0))} values are <= 0 "
                         "(a network predicting log sigma^2 gives sigma = exp(s / 2) > 0)")
    return (y_true - mu) / sigma


def interval_coverage(y_true, mu, sigma, z=(1.0, 2.0)):
    """Fraction of examples with |y_true - mu| <= z sigma, one per z: 0.683 and 0.954 when calibrated."""
    z_values = np.atleast_1d(np.asarray(z, dtype=float))
    if np.any(~np.isfinite(z_values)) or np.any(z_values <= 0):
        raise ValueError(f"z must be positive numbers of sigmas, got {z!r}")
    magnitude = np.abs(pulls(y_true, mu, sigma))
    coverage = np.array([np.mean(magnitude <= value) for value in z_values])
    return float(coverage[0]) if np.ndim(z) == 0 else coverage


@dataclass(frozen=True)
class PullSummary:
    """The pulls of n examples: their mean, standard deviation, robust width (half the 16-84 %
    interval, the standard deviation of a Gaussian without the tails' weight) and the coverage
    of the +-1 sigma and +-2 sigma intervals (Gaussian: 0.6827 and 0.9545)."""

    n: int
    mean: float
    std: float
    width: float
    coverage_68: float
    coverage_95: float

    def __str__(self):
        return (f"pulls of {self.n}: mean {self.mean:+.3f}, std {self.std:.3f}, width (16-84 %) {self.width:.3f}, "
                f"coverage {100 * self.coverage_68:.1f} % (68.3 %) / {100 * self.coverage_95:.1f} % (95.4 %)")

    def as_dict(self):
        return dict(self.__dict__)


def pull_summary(y_true, mu, sigma) -> PullSummary:
    """`PullSummary` of the pulls (y_true - mu) / sigma."""
    p = pulls(y_true, mu, sigma)
    q16, q84 = np.quantile(p, [0.15865, 0.84135])
    coverage = interval_coverage(y_true, mu, sigma, z=(1.0, 2.0))
    return PullSummary(n=int(p.size), mean=float(p.mean()), std=float(p.std()), width=float((q84 - q16) / 2),
                       coverage_68=float(coverage[0]), coverage_95=float(coverage[1]))


def sigma_scale(y_true, mu, sigma) -> float:
    """The factor c that makes the pulls (y - mu) / (c sigma) have unit root-mean-square: the
    maximum-likelihood rescaling of predicted Gaussian widths, fitted on a validation split."""
    p = pulls(y_true, mu, sigma)
    return float(np.sqrt(np.mean(p**2)))


# --------------------------------------------------------------------------- classification
def _labels_and_probabilities(y_true, prob):
    y_true, prob = _vector(y_true, "y_true"), _vector(prob, "prob")
    _same_length(y_true=y_true, prob=prob)
    if not np.all((y_true == 0) | (y_true == 1)):
        raise ValueError("y_true must hold labels 0 and 1 only")
    if np.any((prob < 0) | (prob > 1)):
        raise ValueError(f"prob must be probabilities in [0, 1]; got values from {prob.min():.3g} to {prob.max():.3g} "
                         "(pass sigmoid outputs, not logits)")
    return y_true, prob


@dataclass(frozen=True)
class ReliabilityCurve:
    """Per bin of predicted probability: the bin edges, the number of examples, their mean
    predicted probability and the observed fraction of signal (with its binomial error).
    Empty bins hold NaN."""

    edges: np.ndarray
    count: np.ndarray
    mean_predicted: np.ndarray
    observed: np.ndarray
    observed_err: np.ndarray

    @property
    def centres(self):
        return 0.5 * (self.edges[1:] + self.edges[:-1])

    def ece(self) -> float:
        """Expected calibration error: sum over bins of (count / n) |observed - mean predicted|."""
        filled = self.count > 0
        return float(np.sum(self.count[filled] * np.abs(self.observed[filled] - self.mean_predicted[filled]))
                     / self.count.sum())


def reliability_curve(y_true, prob, n_bins=10) -> ReliabilityCurve:
    """Reliability diagram data in ``n_bins`` equal-width bins of the predicted probability."""
    if not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    y_true, prob = _labels_and_probabilities(y_true, prob)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(prob, edges[1:-1]), 0, n_bins - 1)  # p = 1 falls in the last bin
    count = np.bincount(which, minlength=n_bins).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_predicted = np.bincount(which, weights=prob, minlength=n_bins) / count
        observed = np.bincount(which, weights=y_true, minlength=n_bins) / count
        observed_err = np.sqrt(observed * (1 - observed) / count)
    return ReliabilityCurve(edges, count.astype(int), mean_predicted, observed, observed_err)


def expected_calibration_error(y_true, prob, n_bins=10) -> float:
    """ECE of a binary classifier: the count-weighted mean |observed signal fraction - mean
    predicted probability| over ``n_bins`` equal-width bins of the predicted probability."""
    return reliability_curve(y_true, prob, n_bins).ece()


def logit(prob, eps=1e-7):
    """log(p / (1 - p)), with p clipped to [eps, 1 - eps] so that outputs of exactly 0 or 1 stay finite."""
    prob = np.asarray(prob, dtype=float)
    if np.any(~np.isfinite(prob)) or np.any((prob < 0) | (prob > 1)):
        raise ValueError("prob must be finite probabilities in [0, 1]")
    prob = np.clip(prob, eps, 1 - eps)
    return np.log(prob) - np.log1p(-prob)


def apply_temperature(logits, temperature):
    """sigmoid(logits / T): the temperature-scaled probabilities."""
    if not (np.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    logits = np.asarray(logits, dtype=float)
    if np.any(~np.isfinite(logits)):
        raise ValueError(f"logits contain {int(np.sum(~np.isfinite(logits)))} NaN/inf values")
    return special.expit(logits / temperature)


def fit_temperature(logits, y_true, bounds=(0.05, 20.0)) -> float:
    """The temperature T minimising the binary cross-entropy of sigmoid(logits / T) on
    ``y_true`` (use a validation split, never the test split)."""
    logits, y_true = _vector(logits, "logits"), _vector(y_true, "y_true")
    _same_length(logits=logits, y_true=y_true)
    if not np.all((y_true == 0) | (y_true == 1)):
        raise ValueError("y_true must hold labels 0 and 1 only")
    if len(np.unique(y_true)) < 2:
        raise ValueError("y_true must contain both classes to fit a temperature")
    sign = 2 * y_true - 1

    def nll(log_t):  # -log sigmoid(+-z) = log(1 + exp(-+z)) = logaddexp(0, -+z)
        return float(np.mean(np.logaddexp(0.0, -sign * logits / np.exp(log_t))))

    result = optimize.minimize_scalar(nll, bounds=np.log(bounds), method="bounded", options={"xatol": 1e-6})
    return float(np.exp(result.x))


def gaussian_quantile(level: float) -> float:
    """z such that a Gaussian holds ``level`` of its probability within +-z sigma (0.6827 -> 1)."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    return float(stats.norm.ppf(0.5 + level / 2))
