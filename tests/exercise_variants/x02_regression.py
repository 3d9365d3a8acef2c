"""Exercise 02: submissions graded by the round trip (tests/test_grading_roundtrip.py).

Correct answers written differently keep all 8 points: the likelihood written with
scipy.stats.norm.logpdf (constant kept) and fitted in log-terms with L-BFGS-B, the errors from a
Hessian of finite differences of the gradient and propagated back (err_a = a err_log a), in
functions that warn and write to stderr; a fit of the squared terms with Nelder-Mead and a Hessian
by central differences (err_a = err_a2 / 2a); the layer weights from the normal equations
with np.linalg.solve (warning and writing to stderr) or from scipy's lsq_linear on rows built in
a loop; and a regressor of another architecture and loss. Each plausible mistake loses exactly
its own task's points: a "likelihood" without its ln sigma term (a chi^2 that a wider Gaussian
always lowers: Task 1, all 3 points), errors from BFGS's hess_inv or from 2 H^-1 (the chi^2
convention: Task 1b), layer weights fitted to the absolute error in GeV or with a constant term
(Task 2), the course's regressor called instead of written (Task 3a) and a network trained to
predict log E (Task 3b).

The layer weights of Task 2 were measured on the quick profile's showers (12 layers, validation):
the relative least squares gives 0.893 of the single-k sum's mean sigma/E (limit 0.95), the
absolute one 1.127 (worse than one k); the constant-term variant runs to w = 0, b = 1.

The regressor variant was measured like the reference (benchmarks/thresholds.py's execute, seeds
0-4, 2 threads): mean sigma/E on the test showers 0.81-0.82 of the calibrated sum's (limit 0.90;
the reference gives 0.80-0.83). A tanh network on log layer energies with batch normalisation
reached only 0.94 on seed 1: not every architecture meets the 2-point target reliably.
"""

from exercise_variants import Variant, answered, combined, replaced

TOTAL = 8

_NLL_STATS_WARNS = '''
from scipy.stats import norm


def response_nll(params, E, response):
    """-ln L with scipy.stats (the constant n/2 ln 2 pi kept: only differences are graded)."""
    mu, a, b, c = params
    return -float(np.sum(norm.logpdf(response, loc=mu, scale=mu * metrics.resolution_model(E, a, b, c))))
'''

_FIT_LOG_TERMS_WARNS = '''
import sys
import warnings

from scipy.optimize import approx_fprime


def fit_unbinned(E, response):
    """Fit (mu, ln a, ln b, ln c) with L-BFGS-B; Hessian from finite differences of the gradient; errors propagated."""
    E, response = np.asarray(E, dtype=float), np.asarray(response, dtype=float)
    nll = lambda q: response_nll((q[0], *np.exp(q[1:])), E, response)  # noqa: E731
    result = minimize(nll, (1.0, np.log(0.1), np.log(0.01), np.log(0.1)), method="L-BFGS-B",
                      options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 10_000})
    result = minimize(nll, result.x, method="Nelder-Mead",
                      options={"xatol": 1e-10, "fatol": 1e-11, "maxiter": 20_000, "maxfev": 20_000})
    q = result.x
    gradient = lambda x: approx_fprime(x, nll, 1e-6)
    hessian = np.array([(gradient(q + d) - gradient(q - d)) / (2 * d.max()) for d in np.eye(4) * 1e-4])
    hessian = 0.5 * (hessian + hessian.T)
    log_errors = np.sqrt(np.diag(np.linalg.inv(hessian)))
    terms = np.exp(q[1:])
    print(f"L-BFGS-B then Nelder-Mead: {result.message}", file=sys.stderr)
    warnings.warn("fit_unbinned: a warning must not cost points")
    _ = np.log(np.zeros(1))  # a numpy RuntimeWarning (divide by zero in log)
    return np.array([q[0], *terms]), np.array([log_errors[0], *(terms * log_errors[1:])])
'''

_FIT_SQUARES = '''
def fit_unbinned(E, response):
    """Fit (mu, a^2, b^2, c^2) with Nelder-Mead; Hessian by central differences; err_a = err_a2 / (2a)."""
    E, response = np.asarray(E, dtype=float), np.asarray(response, dtype=float)

    def nll(s):
        return response_nll((s[0], *np.sqrt(np.abs(s[1:]))), E, response)

    s = minimize(nll, (np.median(response), 0.01, 1e-4, 0.01), method="Nelder-Mead",
                 options={"xatol": 1e-12, "fatol": 1e-12, "maxiter": 50_000, "maxfev": 50_000}).x
    s = np.abs(s)
    h = 1e-3 * s
    H = np.empty((4, 4))
    for i in range(4):
        for j in range(i, 4):
            ei, ej = np.eye(4)[i] * h[i], np.eye(4)[j] * h[j]
            H[i, j] = H[j, i] = (nll(s + ei + ej) - nll(s + ei - ej) - nll(s - ei + ej) + nll(s - ei - ej)) / (
                4 * h[i] * h[j])
    err_s = np.sqrt(np.diag(np.linalg.inv(H)))
    terms = np.sqrt(s[1:])
    return np.array([s[0], *terms]), np.array([err_s[0], *(err_s[1:] / (2 * terms))])
'''

_WEIGHTS_NORMAL_EQUATIONS_WARNS = '''
import sys
import warnings


def layer_weights(layers, E):
    """Normal equations: dJ/dw = 0 gives (A^T A) w = A^T 1 with A = layers / E."""
    A = np.asarray(layers, dtype=float) / np.asarray(E, dtype=float)[:, None]
    print(f"layer_weights: condition number of A^T A {np.linalg.cond(A.T @ A):.3g}", file=sys.stderr)
    warnings.warn("layer_weights: a warning must not cost points")
    return np.linalg.solve(A.T @ A, A.T @ np.ones(len(A)))
'''

_WEIGHTS_LSQ_LINEAR = '''
from scipy.optimize import lsq_linear


def layer_weights(layers, E):
    """scipy's linear least squares of the relative residuals, the rows built shower by shower."""
    layers, E = np.asarray(layers, dtype=float), np.asarray(E, dtype=float)
    rows = [layers[i] / E[i] for i in range(len(E))]
    return lsq_linear(np.array(rows), np.ones(len(rows)), tol=1e-12).x
'''

_WEIGHTS_ABSOLUTE = '''
def layer_weights(layers, E):
    """Least squares in GeV: sum_i (sum_l w_l S_il - E_i)^2."""
    return np.linalg.lstsq(np.asarray(layers, dtype=float), np.asarray(E, dtype=float), rcond=None)[0]
'''

_WEIGHTS_CONSTANT_TERM = '''
def layer_weights(layers, E):
    """The relative least squares with a constant term, A w + b ~ 1; the weights returned without b."""
    A = np.asarray(layers, dtype=float) / np.asarray(E, dtype=float)[:, None]
    design = np.column_stack([A, np.ones(len(A))])
    return np.linalg.lstsq(design, np.ones(len(A)), rcond=None)[0][:-1]
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
    "stats and log-terms, warns": Variant(
        combined(answered("response_nll", _NLL_STATS_WARNS),
                 answered("fit_unbinned", _FIT_LOG_TERMS_WARNS),
                 answered("layer_weights", _WEIGHTS_NORMAL_EQUATIONS_WARNS)),
        "the NLL with scipy.stats.norm.logpdf (constant kept), the fit in (mu, ln a, ln b, ln c) with L-BFGS-B, "
        "the Hessian from finite differences of approx_fprime's gradient and the errors propagated "
        "(err_a = a err_ln a), a UserWarning, a numpy RuntimeWarning and a print to stderr in the graded "
        "cells, and the layer weights from the normal equations with np.linalg.solve, which also warns and "
        "writes to stderr: a warning must not cost points"),
    "squared terms, lsq_linear": Variant(
        combined(answered("fit_unbinned", _FIT_SQUARES), answered("layer_weights", _WEIGHTS_LSQ_LINEAR)),
        "the fit of (mu, a^2, b^2, c^2) with Nelder-Mead, the Hessian by central differences in the squares and the "
        "errors propagated back, err_a = err_(a^2) / (2a); the layer weights from scipy.optimize.lsq_linear on "
        "rows built in a Python loop"),
    "swish network, MAPE": Variant(
        answered("build_regressor", _REGRESSOR_SWISH_MAPE),
        "another regressor: three swish layers (64-32-16) and Keras' built-in mean absolute percentage "
        "error (also a relative error) instead of the squared log ratio"),
}

WRONG = {
    "no ln sigma": Variant(
        replaced("response_nll", "np.sum(np.log(sigma) + 0.5 * ((response - mu) / sigma) ** 2)",
                 "np.sum(0.5 * ((response - mu) / sigma) ** 2)"),
        "the NLL without its ln sigma_i term: a chi^2 that wider Gaussians always lower, so the fit runs "
        "to huge terms; the fit uses it, so all of Task 1 is lost (3 points)",
        loses={"test_response_nll": 1, "test_unbinned_toy": 1, "test_unbinned_real": 1}),
    "BFGS hess_inv": Variant(
        replaced("fit_unbinned", "return p, np.sqrt(np.diag(np.linalg.inv(hessian)))",
                 "return p, np.sqrt(np.abs(np.diag(best.hess_inv)))"),
        "the errors from BFGS's hess_inv, which after the Nelder-Mead start holds little more than "
        "its initial guess: errors wrong by orders of magnitude (Task 1b, 2 points)",
        loses={"test_unbinned_toy": 1, "test_unbinned_real": 1}),
    "chi2 convention 2 H^-1": Variant(
        replaced("fit_unbinned", "return p, np.sqrt(np.diag(np.linalg.inv(hessian)))",
                 "return p, np.sqrt(np.diag(2 * np.linalg.inv(hessian)))"),
        "cov = 2 H^-1, right for a chi^2 but not for an NLL (chi^2 = 2 NLL): errors sqrt(2) too large "
        "(Task 1b, 2 points)",
        loses={"test_unbinned_toy": 1, "test_unbinned_real": 1}),
    "weights in absolute GeV": Variant(
        answered("layer_weights", _WEIGHTS_ABSOLUTE),
        "the layer weights from the squared error in GeV, sum_i (sum_l w_l S_il - E_i)^2, instead of the "
        "relative one the task asks for: dominated by the 100 GeV showers, worse than the single k at "
        "low energy (Task 2, 1 point)",
        loses={"test_layer_weights": 1}),
    "weights with a constant term": Variant(
        answered("layer_weights", _WEIGHTS_CONSTANT_TERM),
        "a constant column added to the relative least squares, A w + b ~ 1: b = 1 and w = 0 fit every "
        "shower exactly, so the weights returned are zero (Task 2, 1 point)",
        loses={"test_layer_weights": 1}),
    "hepcourse's regressor": Variant(
        answered("build_regressor", """
def build_regressor(n_layers=COMPACT_LAYERS):
    \"\"\"The regressor of lecture 02, called from hepcourse instead of written.\"\"\"
    from hepcourse import models

    return models.layer_energy_regressor(n_layers, calibration=50.0)
"""),
        "build_regressor returns hepcourse.models.layer_energy_regressor, the graders' reference: the hidden "
        "test of Task 3a builds it with the reference disabled (1 point); the training of Task 3b, which "
        "calls build_regressor in the student's own cell, keeps its points",
        loses={"test_regressor_structure": 1}),
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


def _weights_in_gev(source_nb):
    """Layer weights fitted to the absolute error in GeV: served to the 100 GeV showers."""
    from exercise_variants import edit_cell

    return edit_cell(source_nb, "layer_weights", "weights, *_ = np.linalg.lstsq(A, np.ones(len(E)), rcond=None)",
                     "weights, *_ = np.linalg.lstsq(layers, E, rcond=None)")


CARELESS = {"sum only": _sum_only, "MSE in GeV^2": _mse_in_gev, "layer weights in GeV": _weights_in_gev}
