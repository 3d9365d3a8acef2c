"""Classifier metrics in HEP conventions: ROC as signal/background efficiencies, AUC, and
background rejection 1/eps_B at a fixed signal efficiency (R30, R50); calorimeter response and
resolution; and how much a tagger sculpts the background mass (distance correlation,
Jensen-Shannon divergence, R50 against 1/JSD50).

Every notebook compares taggers with the same numbers, so they are computed here once, on
top of ``sklearn.metrics`` (no ROC re-implementation), with input checks whose messages say
which argument is wrong and why.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn import metrics as _skm


def _finite_1d(values, name, hint=""):
    """``values`` as a finite 1-D float array (an ``(n, 1)`` column is raveled); ValueError otherwise."""
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
        raise ValueError(f"{name} contains {n_bad} NaN/inf values{hint}")
    return array


def _check_inputs(y_true, score, signal_efficiency=None):
    """Return ``(y_true, score)`` as validated 1-D float arrays; raise ValueError otherwise.

    Shared by every public function: both arrays must be 1-D (an ``(n, 1)`` column is
    raveled), of the same length and finite; ``y_true`` holds only 0/1 and both classes;
    ``signal_efficiency`` (when given) lies in (0, 1].
    """
    y_true = _finite_1d(y_true, "y_true", "; labels must be 0 or 1")
    score = _finite_1d(score, "score", "; a classifier output must be finite")
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


# --- Energy response and resolution (calorimeter regression, lecture 02) -------------------
# The response E_reco/E_true and the relative resolution sigma/E per bin of true energy, and
# the fit of the calorimeter resolution sigma/E = a/sqrt(E) (+) b (+) c/E (terms added in
# quadrature: stochastic, constant and noise term), on top of numpy quantiles and
# scipy.optimize.curve_fit.

from dataclasses import dataclass, field  # noqa: E402

from scipy import optimize as _optimize  # noqa: E402

RESOLUTION_TERMS = ("a", "b", "c")
RESOLUTION_METHODS = ("quantile", "gauss")


def _positive_1d(values, name, allow_zero=False):
    """``values`` as a 1-D float array that is finite and positive (or >= 0); ValueError otherwise."""
    array = _finite_1d(values, name)
    bad = array < 0 if allow_zero else array <= 0
    if bad.any():
        what = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be {what}; {int(bad.sum())} entries are not, e.g. {array[bad][:3]}")
    return array


def resolution_model(energy, a, b, c):
    """sigma/E = a/sqrt(E) (+) b (+) c/E: stochastic, constant and noise terms in quadrature.

    ``energy`` in GeV; ``a`` in sqrt(GeV), ``b`` dimensionless, ``c`` in GeV. The three effects
    are independent, so their variances add: sigma/E = sqrt(a^2/E + b^2 + c^2/E^2).
    """
    energy = np.asarray(energy, dtype=float)
    return np.sqrt(a**2 / energy + b**2 + c**2 / energy**2)


@dataclass(frozen=True)
class ResolutionFit:
    """Result of :func:`fit_resolution`: the three terms with their 1-sigma errors and the chi^2.

    A term fixed in the fit has error 0. ``fit(E)`` evaluates the fitted sigma/E.
    """

    a: float
    b: float
    c: float
    a_err: float
    b_err: float
    c_err: float
    chi2: float
    ndf: int
    fixed: tuple = ()
    at_zero: tuple = ()  # terms fitted to 0: their error is the one-sided 1-sigma upper limit

    def __call__(self, energy):
        return resolution_model(energy, self.a, self.b, self.c)

    def as_dict(self):
        return {"a": self.a, "a_err": self.a_err, "b": self.b, "b_err": self.b_err,
                "c": self.c, "c_err": self.c_err, "chi2": self.chi2, "ndf": self.ndf}

    def __str__(self):
        def term(name, digits):
            value, error = getattr(self, name), getattr(self, f"{name}_err")
            if name in self.at_zero:
                return f"[{name} < {error:.{digits}f}]"
            return f"{value:.{digits}f}({error:.{digits}f})"

        return (f"sigma/E = {term('a', 3)}/sqrt(E) (+) {term('b', 4)} (+) {term('c', 3)}/E   "
                f"chi2/ndf = {self.chi2:.1f}/{self.ndf}")


def fit_resolution(energy, sigma_over_e, err, fixed=None, p0=None):
    """Fit sigma/E = a/sqrt(E) (+) b (+) c/E to measured points; return a :class:`ResolutionFit`.

    ``energy`` (GeV), ``sigma_over_e`` and its 1-sigma uncertainty ``err`` are 1-D arrays of equal
    length (e.g. from :func:`binned_resolution`). The fit is a weighted least-squares fit
    (``curve_fit`` with ``absolute_sigma=True``, so the errors are the propagated point errors)
    with all terms >= 0; ``fixed`` (e.g. ``{"c": 0.0}``) holds terms constant. At least one point
    more than free terms is required, so that the chi^2 has a degree of freedom.
    """
    energy = _positive_1d(energy, "energy")
    sigma_over_e = _positive_1d(sigma_over_e, "sigma_over_e", allow_zero=True)
    err = _positive_1d(err, "err")
    if not len(energy) == len(sigma_over_e) == len(err):
        raise ValueError(f"energy, sigma_over_e and err differ in length: "
                         f"{len(energy)}, {len(sigma_over_e)}, {len(err)}")
    fixed = dict(fixed or {})
    unknown = set(fixed) - set(RESOLUTION_TERMS)
    if unknown:
        raise ValueError(f"fixed names unknown terms {sorted(unknown)}; the terms are {RESOLUTION_TERMS}")
    if any(not np.isfinite(v) or v < 0 for v in fixed.values()):
        raise ValueError(f"fixed terms must be finite and >= 0, got {fixed}")
    free = [t for t in RESOLUTION_TERMS if t not in fixed]
    if not free:
        raise ValueError("all three terms are fixed: nothing to fit")
    if len(energy) < len(free) + 1:
        raise ValueError(f"{len(energy)} points are too few to fit {len(free)} terms ({', '.join(free)}): "
                         f"need at least {len(free) + 1}")
    if len(np.unique(energy)) < len(free):
        raise ValueError("the energies must take at least as many distinct values as there are free terms")

    def model(e, *params):
        values = dict(fixed, **dict(zip(free, params)))
        return resolution_model(e, values["a"], values["b"], values["c"])

    if p0 is None:  # each term alone would explain the data at the lowest / highest energy
        guess = {"a": sigma_over_e[np.argmin(energy)] * np.sqrt(energy.min()) / 2,
                 "b": sigma_over_e[np.argmax(energy)] / 2, "c": sigma_over_e[np.argmin(energy)] * energy.min() / 4}
        p0 = [max(guess[t], 1e-4) for t in free]
    try:
        params, cov = _optimize.curve_fit(model, energy, sigma_over_e, p0=p0, sigma=err, absolute_sigma=True,
                                          bounds=(0.0, np.inf), max_nfev=20_000)
    except RuntimeError as exc:
        raise ValueError(f"the resolution fit did not converge: {exc}") from None
    errors = np.sqrt(np.clip(np.diag(cov), 0.0, None))

    def chi2_of(params):
        return float(np.sum(((sigma_over_e - model(energy, *params)) / err) ** 2))

    chi2 = chi2_of(params)
    values = dict(fixed, **dict(zip(free, params)))
    errs = dict({t: 0.0 for t in fixed}, **dict(zip(free, errors)))
    # a term at its bound 0 has a meaningless covariance (the model is flat in it there): quote the
    # one-sided 1-sigma upper limit instead, where the chi^2 profiled over the other terms rises by 1
    scale = {"a": np.max(sigma_over_e * np.sqrt(energy)), "b": np.max(sigma_over_e), "c": np.max(sigma_over_e * energy)}
    at_zero = tuple(t for t in free if values[t] <= 1e-6 * scale[t])
    for term in at_zero:
        others = [t for t in free if t != term]

        def excess(value, term=term, others=others):
            if not others:
                return chi2_of([value]) - chi2 - 1.0
            fixed_here = dict(fixed, **{term: value})
            profile = fit_resolution(energy, sigma_over_e, err, fixed=fixed_here,
                                     p0=[max(values[t], 1e-4) for t in others])
            return profile.chi2 - chi2 - 1.0

        upper = scale[term]
        while excess(upper) < 0 and upper < 1e3 * scale[term]:
            upper *= 4
        errs[term] = float(_optimize.brentq(excess, 0.0, upper, xtol=1e-6 * scale[term])) if excess(upper) > 0 else np.inf
        values[term] = 0.0
    return ResolutionFit(a=float(values["a"]), b=float(values["b"]), c=float(values["c"]),
                         a_err=float(errs["a"]), b_err=float(errs["b"]), c_err=float(errs["c"]),
                         chi2=chi2, ndf=len(energy) - len(free), fixed=tuple(sorted(fixed)), at_zero=at_zero)


@dataclass(frozen=True)
class BinnedResolution:
    """Response and resolution per bin of true energy (from :func:`binned_resolution`).

    ``energy`` is the median true energy of each bin (the abscissa for :func:`fit_resolution`),
    ``response`` the central value of E_reco/E_true (1 = unbiased), ``resolution`` sigma/E,
    i.e. the width of E_reco/E_true divided by the response; ``*_err`` are 1-sigma errors.
    """

    edges: np.ndarray
    energy: np.ndarray
    n: np.ndarray
    response: np.ndarray
    response_err: np.ndarray
    resolution: np.ndarray
    resolution_err: np.ndarray
    method: str = "quantile"
    extra: dict = field(default_factory=dict)

    def fit(self, **kwargs):
        """:func:`fit_resolution` on these points."""
        return fit_resolution(self.energy, self.resolution, self.resolution_err, **kwargs)

    def mean_resolution(self):
        """The mean of sigma/E over the bins: one number per method to rank regressors."""
        return float(np.mean(self.resolution))

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"E_lo": self.edges[:-1], "E_hi": self.edges[1:], "E_median": self.energy,
                             "n": self.n, "response": self.response, "response_err": self.response_err,
                             "sigma_over_E": self.resolution, "sigma_over_E_err": self.resolution_err})


def _quantile_estimates(ratio, rng, n_bootstrap):
    """(median, median_err, half 16-84% width / median, its error) with bootstrap errors."""
    def estimate(sample, axis=-1):
        q16, q50, q84 = np.quantile(sample, (0.16, 0.5, 0.84), axis=axis)
        return q50, 0.5 * (q84 - q16) / q50

    median, resolution = estimate(ratio)
    resampled = ratio[rng.integers(0, len(ratio), size=(n_bootstrap, len(ratio)))]
    boot_median, boot_resolution = estimate(resampled, axis=1)
    return median, float(np.std(boot_median)), resolution, float(np.std(boot_resolution))


def _gauss(x, norm, mu, sigma):
    return norm * np.exp(-0.5 * ((x - mu) / sigma) ** 2)


def _gauss_core_estimates(ratio, n_sigma=2.0, n_hist_bins=30):
    """Gaussian fit to the core (mu +- n_sigma sigma, iterated twice) of the E_reco/E_true histogram.

    Returns (mu, mu_err, sigma/mu, its error); tails from leakage or noise do not pull the core.
    """
    q16, mu, q84 = np.quantile(ratio, (0.16, 0.5, 0.84))
    sigma = 0.5 * (q84 - q16)
    if sigma <= 0:
        raise ValueError("E_reco/E_true has zero width in a bin: a Gaussian fit is impossible")
    cov = None
    for _ in range(2):
        lo, hi = mu - n_sigma * sigma, mu + n_sigma * sigma
        counts, edges = np.histogram(ratio, bins=n_hist_bins, range=(lo, hi))
        centres = 0.5 * (edges[1:] + edges[:-1])
        try:
            (norm, mu, sigma), cov = _optimize.curve_fit(
                _gauss, centres, counts, p0=(counts.max(), mu, sigma), sigma=np.sqrt(np.maximum(counts, 1.0)),
                absolute_sigma=True, maxfev=5000)
        except RuntimeError as exc:
            raise ValueError(f"the Gaussian core fit did not converge: {exc}") from None
        sigma = abs(sigma)
    mu_err, sigma_err = np.sqrt(np.diag(cov))[1:]
    rel = sigma / mu
    rel_err = rel * np.hypot(sigma_err / sigma, mu_err / mu)
    return float(mu), float(mu_err), float(rel), float(rel_err)


def binned_resolution(e_true, e_reco, bins=8, energy_range=None, method="quantile", min_entries=30,
                      n_bootstrap=200, seed=0):
    """Response E_reco/E_true and resolution sigma/E in bins of true energy.

    ``bins`` is a number of logarithmically spaced bins over ``energy_range`` (default: the range
    of ``e_true``) or an increasing array of bin edges in GeV. ``method="quantile"`` uses the
    median as response and half the 16-84% interval as width (robust against tails; errors from
    ``n_bootstrap`` seeded bootstrap resamples); ``method="gauss"`` fits a Gaussian to the core
    (+-2 sigma) of each bin's distribution (errors from the fit). Every bin must hold at least
    ``min_entries`` showers.
    """
    e_true = _positive_1d(e_true, "e_true")
    try:
        e_reco = np.asarray(e_reco, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"e_reco must be numeric, got {type(e_reco).__name__}") from None
    if e_reco.ndim == 2 and e_reco.shape[1] == 1:
        e_reco = e_reco.ravel()
    if e_reco.shape != e_true.shape:
        raise ValueError(f"e_reco must have the shape of e_true {e_true.shape}, got {e_reco.shape}")
    n_bad = int(np.count_nonzero(~np.isfinite(e_reco)))
    if n_bad:
        raise ValueError(f"e_reco contains {n_bad} NaN/inf values: a regressor's output must be finite")
    if method not in RESOLUTION_METHODS:
        raise ValueError(f"method must be one of {RESOLUTION_METHODS}, got {method!r}")
    if np.ndim(bins) == 0:
        if not isinstance(bins, numbers.Integral) or bins < 1:
            raise ValueError(f"bins must be a positive integer or an array of edges, got {bins!r}")
        lo, hi = energy_range if energy_range is not None else (e_true.min(), e_true.max() * (1 + 1e-9))
        if not 0 < lo < hi:
            raise ValueError(f"energy_range must satisfy 0 < low < high, got {(lo, hi)}")
        edges = np.geomspace(lo, hi, bins + 1)
    else:
        edges = _positive_1d(bins, "bins (edges)")
        if len(edges) < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError(f"bin edges must be increasing with at least two entries, got {edges}")
    which = np.digitize(e_true, edges) - 1
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(len(edges) - 1):
        selected = which == i
        n = int(selected.sum())
        if n < min_entries:
            raise ValueError(f"the bin {edges[i]:.3g}-{edges[i + 1]:.3g} GeV holds {n} showers, fewer than "
                             f"min_entries={min_entries}: use fewer bins or more showers")
        ratio = e_reco[selected] / e_true[selected]
        if method == "quantile":
            estimates = _quantile_estimates(ratio, rng, n_bootstrap)
        else:
            estimates = _gauss_core_estimates(ratio)
        rows.append((float(np.median(e_true[selected])), n, *estimates))
    energy, n, response, response_err, resolution, resolution_err = (np.array(col) for col in zip(*rows))
    return BinnedResolution(edges=edges, energy=energy, n=n.astype(int), response=response,
                            response_err=response_err, resolution=resolution, resolution_err=resolution_err,
                            method=method)


# --- Working points at a fixed background acceptance (anomaly detection, lecture 04) --------
# A search or a trigger fixes the rate of background it can afford (eps_B = 1e-2, 1e-3) and
# asks how much signal passes. Both functions read the working point off the ROC curve, so
# they agree with `roc_curve` and `background_rejection`.


def _check_background_efficiency(background_efficiency, n_background):
    if not (isinstance(background_efficiency, numbers.Real) and 0.0 < background_efficiency <= 1.0):
        raise ValueError(f"background_efficiency must be a number in (0, 1], got {background_efficiency!r}")
    if background_efficiency * n_background < 1.0:
        raise ValueError(
            f"background_efficiency = {background_efficiency:g} cannot be resolved with {n_background} background "
            f"entries (fewer than one would pass the cut): use at least {int(np.ceil(1 / background_efficiency))} "
            f"background entries or a larger efficiency")


def signal_efficiency(y_true, score, background_efficiency=1e-2):
    """Signal efficiency eps_S of the cut ``score >= t`` that keeps the fraction
    ``background_efficiency`` (eps_B) of the background.

    eps_S is interpolated linearly in eps_B on the ROC curve (at equal eps_B the highest eps_S,
    the best working point). eps_B must be resolvable: at least one background entry must pass,
    i.e. ``background_efficiency * n_background >= 1``; otherwise a ValueError says how many
    background entries are needed. With k background entries passing, eps_B itself is only
    known to about 1/sqrt(k): at eps_B = 1e-3 and 2000 background jets, k = 2.
    """
    y_true, score = _check_inputs(y_true, score)
    _check_background_efficiency(background_efficiency, int(np.count_nonzero(y_true == 0)))
    eps_b, eps_s, _ = _skm.roc_curve(y_true, score)
    # both rise along the curve, which may run vertically (several eps_s at one eps_b): on a
    # point of the curve take its best eps_s, between two points interpolate from the best
    # eps_s of the lower one to the worst of the upper one
    i = int(np.searchsorted(eps_b, background_efficiency, side="left"))  # first eps_b >= the target
    if eps_b[i] == background_efficiency:
        return float(eps_s[eps_b == background_efficiency].max())
    x0, x1, y0, y1 = eps_b[i - 1], eps_b[i], eps_s[i - 1], eps_s[i]
    return float(y0 + (y1 - y0) * (background_efficiency - x0) / (x1 - x0))


def threshold_at_background_efficiency(background_score, background_efficiency):
    """The cut t such that the fraction ``background_efficiency`` of ``background_score`` lies at
    ``score > t``: the (1 - eps_B) quantile of the background scores.

    Used to apply one working point to other samples (e.g. the jet-mass spectrum of the
    background that passes, to see whether a cut on the score sculpts it).
    """
    background_score = _finite_1d(background_score, "background_score")
    _check_background_efficiency(background_efficiency, len(background_score))
    return float(np.quantile(background_score, 1.0 - background_efficiency))


# --- Decorrelation from the jet mass (lecture 06) ---------------------------------------------
# A tagger that learns the jet mass sculpts the background mass spectrum. Two numbers measure
# how much, and the decorrelation trade-off is drawn as one against the other (as in
# Kasieczka & Shih, arXiv:2001.05310): the rejection R50 = 1/eps_B at eps_S = 0.5, and 1/JSD50,
# the inverse Jensen-Shannon divergence between the background mass spectra that pass and that
# fail the same cut. The distance correlation (Szekely, Rizzo, Bakirov, Ann. Stat. 35 (2007)
# 2769) measures the dependence itself, without binning; the keras.ops version used inside a
# loss is hepcourse.models.decorrelation.

DISTANCE_CORRELATION_MAX_N = 20_000  # the O(n^2) matrices: 2 x n^2 float64 (6.4 GB at this n)


def _pairwise_centred(values, weights):
    """The weighted double-centred distance matrix A_ij = a_ij - abar_i - abar_j + abar."""
    a = np.abs(values[:, None] - values[None, :])
    row = a @ weights
    a -= row[:, None]
    a -= row[None, :]
    a += row @ weights
    return a


def distance_correlation_squared(x, y, weights=None):
    """Squared distance correlation dCor^2(x, y) of two 1-D samples, in [0, 1] (numpy, float64).

    The V-statistic of Szekely et al. (2007), with optional per-sample weights (normalised to
    sum 1, as in arXiv:2001.05310): with a_ij = |x_i - x_j|, A its double-centred version
    A_ij = a_ij - sum_k w_k a_ik - sum_k w_k a_kj + sum_kl w_k w_l a_kl (B likewise for y),
    dCov^2(x, y) = sum_ij w_i w_j A_ij B_ij and dCor^2 = dCov^2(x, y) / sqrt(dCov^2(x, x) dCov^2(y, y)).
    It is 0 if and only if x and y are independent (for the population; a finite sample of
    independent variables gives a small positive value, of order 1/n). A constant sample has
    dCov^2(x, x) = 0, and dCor^2 is then defined as 0. Equal weights reproduce
    ``dcor.distance_correlation_sqr``; integer weights equal repeating the samples.
    Memory and time grow as n^2: at most `DISTANCE_CORRELATION_MAX_N` samples.
    """
    x = _finite_1d(x, "x")
    y = _finite_1d(y, "y")
    n = len(x)
    if len(y) != n:
        raise ValueError(f"x and y differ in length: {n} != {len(y)}")
    if n < 2:
        raise ValueError(f"the distance correlation needs at least 2 samples, got {n}")
    if n > DISTANCE_CORRELATION_MAX_N:
        raise ValueError(f"{n} samples need two {n} x {n} matrices; use at most {DISTANCE_CORRELATION_MAX_N} "
                         f"(a random subsample estimates dCor^2 well)")
    if weights is None:
        w = np.full(n, 1.0 / n)
    else:
        w = _finite_1d(weights, "weights")
        if len(w) != n:
            raise ValueError(f"weights has {len(w)} entries for {n} samples")
        if (w < 0).any() or w.sum() <= 0:
            raise ValueError("weights must be non-negative with a positive sum")
        w = w / w.sum()
    a = _pairwise_centred(x, w)
    b = _pairwise_centred(y, w)
    dcov_xy = float(np.einsum("i,ij,ij,j->", w, a, b, w))
    dvar_x = float(np.einsum("i,ij,ij,j->", w, a, a, w))
    dvar_y = float(np.einsum("i,ij,ij,j->", w, b, b, w))
    # relative to the scale of the distances, a variance at the rounding level is a constant sample
    if dvar_x <= 1e-24 * max(float(np.abs(x).max()) ** 4, 1e-300) or \
       dvar_y <= 1e-24 * max(float(np.abs(y).max()) ** 4, 1e-300):
        return 0.0
    return float(min(max(dcov_xy / np.sqrt(dvar_x * dvar_y), 0.0), 1.0))


def jensen_shannon_divergence(p, q):
    """Jensen-Shannon divergence (base 2, in [0, 1]) between two histograms of the same binning.

    JSD(P, Q) = KL(P || M) / 2 + KL(Q || M) / 2 with M = (P + Q) / 2, after normalising the
    counts to unit sum: 0 for equal shapes, 1 for shapes without common bins. Base 2 keeps it
    bounded by 1; with the natural logarithm it is ln 2 times smaller (ln 2 = 0.693), so 1/JSD
    values from elsewhere must be compared in the same base. scipy's ``jensenshannon`` returns
    the square root of this (the Jensen-Shannon distance).
    """
    p = _finite_1d(p, "p")
    q = _finite_1d(q, "q")
    if len(p) != len(q):
        raise ValueError(f"p and q must share the binning, got {len(p)} and {len(q)} bins")
    for name, h in (("p", p), ("q", q)):
        if (h < 0).any():
            raise ValueError(f"{name} has negative entries: histograms count events")
        if h.sum() <= 0:
            raise ValueError(f"{name} is empty: no events in any bin")
    from scipy.spatial.distance import jensenshannon

    return float(jensenshannon(p, q, base=2) ** 2)


def mass_sculpting(y_true, score, mass, signal_efficiency=0.5, bins=30):
    """Rejection and mass sculpting at one working point: ``{"R50", "inverse_JSD50", "threshold"}``.

    The cut ``score > threshold`` keeps the fraction ``signal_efficiency`` of the signal (the
    threshold is that quantile of the signal scores). ``R50`` is `background_rejection` at that
    efficiency (the key follows the efficiency: R30 at 0.3); ``inverse_JSD50`` is 1 / JSD
    between the background ``mass`` histograms (``bins``: a count over the background's mass
    range, or edges) of the jets that pass and that fail the cut. Large is good for both.
    1/JSD is bounded by statistics: two random halves of the same spectrum already differ, with
    JSD of order (number of bins) / (number of background jets).
    """
    y_true, score = _check_inputs(y_true, score, signal_efficiency)
    mass = _finite_1d(mass, "mass")
    if len(mass) != len(score):
        raise ValueError(f"mass and score differ in length: {len(mass)} != {len(score)}")
    threshold = float(np.quantile(score[y_true == 1], 1.0 - signal_efficiency))
    background = y_true == 0
    edges = np.histogram_bin_edges(mass[background], bins=bins)
    passing = np.histogram(mass[background & (score > threshold)], bins=edges)[0]
    failing = np.histogram(mass[background & (score <= threshold)], bins=edges)[0]
    key = f"{100 * signal_efficiency:g}"
    if passing.sum() == 0 or failing.sum() == 0:
        raise ValueError(f"at eps_S = {signal_efficiency:g} {'no' if passing.sum() == 0 else 'every'} background "
                         f"jet passes the cut inside the mass range: the JSD is undefined")
    jsd = jensen_shannon_divergence(passing, failing)
    return {f"R{key}": background_rejection(y_true, score, signal_efficiency),
            f"inverse_JSD{key}": float(1.0 / jsd) if jsd > 0 else float("inf"),
            "threshold": threshold}
