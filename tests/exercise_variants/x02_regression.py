"""Exercise 02: submissions graded by the round trip (tests/test_grading_roundtrip.py).

Correct answers written differently keep all 8 points: the fit done with
scipy.optimize.least_squares (errors from its Jacobian) in a function that warns and writes to
stderr, a hand-written minimisation of chi2 with errors from its Hessian, and a regressor of
another architecture and loss. Each plausible mistake loses exactly its own task's points:
the terms added linearly (Task 1a), the variances returned as errors or the errors rescaled by
curve_fit's default absolute_sigma=False (Task 1b: the toy points lie on the curve, so those
errors are 0), k fitted by absolute instead of relative least squares (Task 2) and a network
trained to predict log E (Task 3b).

The regressor variant was measured like the reference (benchmarks/thresholds.py's execute, seeds
0-4, 2 threads): mean sigma/E on the test showers 0.81-0.82 of the calibrated sum's (limit 0.90;
the reference gives 0.80-0.83). A tanh network on log layer energies with batch normalisation
reached only 0.94 on seed 1: not every architecture meets the 2-point target reliably.
"""

from exercise_variants import Variant, answered, combined, replaced

TOTAL = 8

_QUADRATURE = "return np.sqrt((a / np.sqrt(E)) ** 2 + b**2 + (c / E) ** 2)"
_FIT_ERRORS = "return terms, np.sqrt(np.diag(cov))"
_ABSOLUTE_SIGMA = "sigma=err,\n                           absolute_sigma=True, bounds=(0.0, np.inf))"

_MODEL_HYPOT = '''
def resolution_model(E, a, b, c):
    """Relative resolution sigma/E at energies E (GeV): the three terms in quadrature."""
    E = np.asarray(E, dtype=float)
    return np.hypot(np.hypot(a / np.sqrt(E), b), c / E)
'''

_FIT_LEAST_SQUARES_WARNS = '''
import sys
import warnings

from scipy.optimize import least_squares


def fit_resolution(E, sigma_over_E, err, model):
    """Fit sigma/E = model(E, a, b, c); return (terms, errors) from the Jacobian of the pulls."""
    E, y, err = (np.asarray(v, dtype=float) for v in (E, sigma_over_E, err))
    result = least_squares(lambda p: (y - model(E, *p)) / err, x0=(0.1, 0.01, 0.1), bounds=(0.0, np.inf),
                           x_scale="jac", xtol=1e-14, ftol=1e-14, gtol=1e-14, max_nfev=10_000)
    jac = result.jac
    cov = np.linalg.pinv(jac.T @ jac)  # the pulls are weighted: (J^T J)^-1 is the covariance
    warnings.warn(f"least_squares: {result.message}")  # a warning must not cost points
    print(f"chi2 = {2 * result.cost:.3g} for {E.size} points", file=sys.stderr)
    _ = np.log(np.zeros(1))  # a numpy RuntimeWarning (divide by zero in log)
    return result.x, np.sqrt(np.diag(cov))
'''

_FIT_HESSIAN = '''
from scipy.optimize import minimize


def fit_resolution(E, sigma_over_E, err, model):
    """Minimise chi2 by hand; the errors from its Hessian (cov = 2 H^-1)."""
    E, y, err = (np.asarray(v, dtype=float) for v in (E, sigma_over_E, err))

    def chi2(p):
        return float(np.sum(((y - model(E, *np.abs(p))) / err) ** 2))

    best = minimize(chi2, x0=(0.1, 0.01, 0.1), method="Nelder-Mead",
                    options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 40_000, "maxfev": 40_000})
    best = minimize(chi2, x0=best.x, method="BFGS", options={"gtol": 1e-10})
    p = np.abs(best.x)
    h = 1e-4 * np.maximum(p, 1e-3)
    hessian = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            di, dj = np.eye(3)[i] * h[i], np.eye(3)[j] * h[j]
            hessian[i, j] = (chi2(p + di + dj) - chi2(p + di - dj) - chi2(p - di + dj) + chi2(p - di - dj)) / (
                4 * h[i] * h[j])
    cov = 2 * np.linalg.pinv(hessian)
    return p, np.sqrt(np.abs(np.diag(cov)))
'''

_CALIBRATION_DOT = '''
def calibration_constant(visible, E):
    """k minimising sum((k * visible / E - 1)^2): d/dk = 0 gives k = sum(r) / sum(r^2), r = visible / E."""
    r = np.asarray(visible, dtype=float) / np.asarray(E, dtype=float)
    return float(np.dot(r, np.ones_like(r)) / np.dot(r, r))
'''

_CALIBRATION_ABSOLUTE = '''
def calibration_constant(visible, E):
    """k minimising sum((k * visible - E)^2): the squared error in GeV."""
    visible, E = np.asarray(visible, dtype=float), np.asarray(E, dtype=float)
    return float(np.sum(visible * E) / np.sum(visible**2))
'''

_REGRESSOR_SWISH_MAPE = '''
def build_regressor(n_layers=COMPACT_LAYERS):
    """Layer fractions and log(visible) -> a 64-32-16 swish network -> E = 50 x visible x exp(r), fitted by MAPE."""
    inputs = keras.Input((n_layers,))
    visible = keras.ops.maximum(keras.ops.sum(inputs, axis=1, keepdims=True), 1e-3)
    x = keras.layers.Concatenate()([inputs / visible, keras.ops.log(visible)])
    for width in (64, 32, 16):
        x = keras.layers.Dense(width, activation="swish")(x)
    r = keras.layers.Dense(1, kernel_initializer="zeros")(x)
    model = keras.Model(inputs, 50.0 * visible * keras.ops.exp(r))
    # the mean absolute percentage error is a relative error too (it aims at the median of E_reco/E_true)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mean_absolute_percentage_error")
    return model
'''

CORRECT = {
    "least_squares, warns": Variant(
        combined(answered("resolution_model", _MODEL_HYPOT),
                 answered("fit_resolution", _FIT_LEAST_SQUARES_WARNS),
                 answered("calibration_constant", _CALIBRATION_DOT)),
        "the quadrature written with np.hypot, the fit with scipy.optimize.least_squares on the pulls "
        "(errors from (J^T J)^-1) that emits a UserWarning, a numpy RuntimeWarning and a print to "
        "stderr in the graded cells, and k as a ratio of dot products: a warning must not cost points"),
    "chi2 by hand, Hessian errors": Variant(
        answered("fit_resolution", _FIT_HESSIAN),
        "a hand-written minimisation of chi2 (Nelder-Mead, then BFGS) with the errors from the "
        "numerical Hessian of chi2, cov = 2 H^-1: the same errors as curve_fit to about 1 %"),
    "swish network, MAPE": Variant(
        answered("build_regressor", _REGRESSOR_SWISH_MAPE),
        "another regressor: three swish layers (64-32-16) and Keras' built-in mean absolute percentage "
        "error (also a relative error) instead of the squared log ratio"),
}

WRONG = {
    "terms added linearly": Variant(
        replaced("resolution_model", _QUADRATURE, "return a / np.sqrt(E) + b + c / E"),
        "sigma/E = a/sqrt(E) + b + c/E: the terms added, not their variances; loses Task 1a only "
        "(Task 1b is graded with the course's model)",
        loses={"test_resolution_model": 1}),
    "variances as errors": Variant(
        replaced("fit_resolution", _FIT_ERRORS, "return terms, np.diag(cov)"),
        "the diagonal of the covariance matrix returned as the errors: variances, not standard "
        "deviations (errors of 0.003 become 1e-5)",
        loses={"test_resolution_fit": 2}),
    "absolute_sigma left out": Variant(
        replaced("fit_resolution", _ABSOLUTE_SIGMA, "sigma=err,\n                           bounds=(0.0, np.inf))"),
        "curve_fit's default absolute_sigma=False: the errors rescaled by sqrt(chi2/ndf), 0 for the "
        "toy points that lie on the curve, not the errors propagated from err that the task asks for",
        loses={"test_resolution_fit": 2}),
    "k in absolute GeV": Variant(
        answered("calibration_constant", _CALIBRATION_ABSOLUTE),
        "k from the squared error in GeV, sum((k visible - E)^2), instead of the relative one the "
        "task asks for: dominated by the 100 GeV showers",
        loses={"test_calibration": 1}),
    "trained on log E": Variant(
        replaced("train_regressor", "compact_train, E_train, validation_data=(compact_val, E_val)",
                 "compact_train, np.log(E_train), validation_data=(compact_val, np.log(E_val))"),
        "the network trained to predict log E (the energies span two decades), but the graders "
        "read its output as E in GeV: biased far beyond 10 % in every bin; loses Task 3b (3 points)",
        loses={"test_regressor_partial": 1, "test_regressor_target": 2}),
}


def _sum_only(source_nb):
    """A network that sees only the visible sum (log of it), not the layer profile: it can only
    rescale the sum, which the task says cannot win."""
    from exercise_variants import edit_cell

    return edit_cell(source_nb, "build_regressor",
                     "features = keras.layers.Concatenate()([inputs / visible, keras.ops.log(visible)])",
                     "features = keras.ops.log(visible)")


def _mse_in_gev(source_nb):
    """Plain mean squared error in GeV^2: dominated by the 100 GeV showers."""
    from exercise_variants import edit_cell

    return edit_cell(source_nb, "build_regressor", "loss=squared_log_error", 'loss="mse"')


CARELESS = {"sum only": _sum_only, "MSE in GeV^2": _mse_in_gev}
