"""Exercise 05: submissions graded by the round trip (tests/test_grading_roundtrip.py).

Correct answers written differently keep all 7 points: the beta-NLL with sigma = exp(s / 2), the
weight as ops.power(sigma, 2 beta) under ops.stop_gradient, the constant log(2 pi)/2 inside the
bracket and a batch mean, together with an ensemble combination through np.average (which
normalises the weights) and explicit sums in a function that warns and writes to stderr; and a
regressor of another architecture (swish, 64-32, separate heads for mu and log sigma^2) compiled
with the student's beta_nll through functools.partial (beta = 0.5 for the loss, 0 for the nll metric). Each
plausible mistake loses exactly its own task's points: the weight sigma^(2 beta) without the
stop-gradient (differentiated too: the gradient for s is wrong, Task 1a fails, and Task 1b is
graded on the student's build_regressor trained with the course's beta-NLL instead), the
lecture's Gaussian NLL submitted as it is (beta ignored: right only at beta = 0; Task 1a), one
sigma for all showers (homoscedastic: the pulls are too narrow at low and too wide at high
energy; Task 1b), the ensemble combined with the lecture's equal weights whatever the weights
(Task 2), and the weights used without normalising them (Task 2).
"""

from exercise_variants import Variant, answered, combined

TOTAL = 7

_BETA_NLL_WITH_CONSTANT = '''
import math


def beta_nll(y_true, y_pred, beta=0.5):
    """sigma^(2 beta) with no gradient, times the full -log N(y | mu, sigma^2), averaged over the batch."""
    y_true = ops.cast(ops.reshape(y_true, (-1,)), "float32")
    mu = y_pred[:, 0]
    sigma = ops.exp(0.5 * y_pred[:, 1])
    weight = ops.stop_gradient(ops.power(sigma, 2.0 * beta))
    nll = 0.5 * math.log(2 * math.pi) + ops.log(sigma) + ops.divide(ops.square(y_true - mu), 2.0 * ops.square(sigma))
    return ops.mean(weight * nll)
'''

_ENSEMBLE_AVERAGE_WARNS = '''
import sys
import warnings


def combine_ensemble(means, variances, weights=None):
    """The mixture's mean and variance through np.average (it normalises the weights); warns on purpose."""
    means = np.asarray(means, dtype=np.float64)
    variances = np.asarray(variances, dtype=np.float64)
    mean = np.average(means, axis=0, weights=weights)
    aleatoric = np.average(variances, axis=0, weights=weights)
    epistemic = np.average((means - mean[None]) ** 2, axis=0, weights=weights)
    warnings.warn(f"combined {means.shape[0]} members")  # a warning must not cost points
    print("ensemble combined", file=sys.stderr)
    return mean, aleatoric + epistemic
'''

_REGRESSOR_TWO_HEADS = '''
import functools


def build_regressor(n_layers=22):
    """Layer fractions and log(visible) -> swish 64-32 -> a head for mu and a head for log sigma^2."""
    inputs = keras.Input((n_layers,))
    visible = ops.maximum(ops.sum(inputs, axis=1, keepdims=True), 1e-3)
    features = keras.layers.Concatenate()([inputs / visible, ops.log(visible)])
    x = keras.layers.Dense(64, activation="swish")(features)
    x = keras.layers.Dense(32, activation="swish")(x)
    r = keras.layers.Dense(1, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(np.log(50.0)))(x)
    mu = visible * ops.exp(r)
    h = keras.layers.Dense(16, activation="swish")(features)  # the width from its own small network
    delta = keras.layers.Dense(1, kernel_initializer="zeros")(h)
    log_var = ops.log(0.04) + ops.log(mu) + delta
    model = keras.Model(inputs, keras.layers.Concatenate()([mu, log_var]))
    nll = functools.partial(beta_nll, beta=0.0)
    nll.__name__ = "nll"  # the metric early stopping watches, val_nll
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=functools.partial(beta_nll, beta=0.5), metrics=[nll])
    return model
'''

_BETA_NLL_WEIGHT_DIFFERENTIATED = '''
def beta_nll(y_true, y_pred, beta=0.5):
    """The weight sigma^(2 beta) without the stop-gradient: it is differentiated too."""
    y = ops.reshape(ops.cast(y_true, y_pred.dtype), (-1,))
    mu, log_var = y_pred[:, 0], y_pred[:, 1]
    weight = ops.exp(beta * log_var)
    return weight * (0.5 * log_var + 0.5 * ops.square(y - mu) * ops.exp(-log_var))
'''

_LECTURE_NLL = '''
def beta_nll(y_true, y_pred, beta=0.5):
    """The lecture's Gaussian NLL as it is: beta is ignored."""
    y = ops.reshape(ops.cast(y_true, y_pred.dtype), (-1,))
    mu, log_var = y_pred[:, 0], y_pred[:, 1]
    return 0.5 * log_var + 0.5 * ops.square(y - mu) * ops.exp(-log_var)
'''

_HOMOSCEDASTIC = '''
def build_regressor(n_layers=22):
    """One log sigma^2 for every shower: a trainable constant."""
    inputs = keras.Input((n_layers,))
    visible = ops.maximum(ops.sum(inputs, axis=1, keepdims=True), 1e-3)
    x = keras.layers.Concatenate()([inputs / visible, ops.log(visible)])
    x = keras.layers.Dense(32, activation="relu")(x)
    x = keras.layers.Dense(32, activation="relu")(x)
    r = keras.layers.Dense(1, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(np.log(50.0)))(x)
    mu = visible * ops.exp(r)
    log_var = keras.layers.Dense(1, kernel_initializer="zeros")(ops.zeros_like(visible))  # its bias only
    model = keras.Model(inputs, keras.layers.Concatenate()([mu, log_var]))

    def nll(y_true, y_pred):
        return beta_nll(y_true, y_pred, beta=0.0)

    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=beta_nll, metrics=[nll])
    return model
'''

_ENSEMBLE_EQUAL_WEIGHTS = '''
def combine_ensemble(means, variances, weights=None):
    """The lecture's equal-weight combination, whatever the weights."""
    means, variances = np.asarray(means, dtype=float), np.asarray(variances, dtype=float)
    return means.mean(axis=0), variances.mean(axis=0) + means.var(axis=0)
'''

_ENSEMBLE_NOT_NORMALISED = '''
def combine_ensemble(means, variances, weights=None):
    """The weights used as given: right for None (1/M each) and for weights that already sum to 1."""
    means, variances = np.asarray(means, dtype=float), np.asarray(variances, dtype=float)
    w = np.full(len(means), 1.0 / len(means)) if weights is None else np.asarray(weights, dtype=float)
    mean = np.tensordot(w, means, axes=1)
    return mean, np.tensordot(w, variances, axes=1) + np.tensordot(w, (means - mean) ** 2, axes=1)
'''

_TASK_1A = {"test_beta_nll_gradients": 1, "test_beta_nll_limits": 1}
_TASK_2 = {"test_ensemble_values": 1, "test_ensemble_physics": 1}

CORRECT = {
    "constant, batch mean, warns": Variant(
        combined(answered("beta_nll", _BETA_NLL_WITH_CONSTANT),
                 answered("combine_ensemble", _ENSEMBLE_AVERAGE_WARNS)),
        "the beta-NLL through sigma = exp(s / 2), the weight ops.power(sigma, 2 beta) under ops.stop_gradient, "
        "the constant log(2 pi)/2 inside the bracket (so it is weighted too) and the mean over the batch (a "
        "scalar, not per-shower values); the ensemble combined with np.average, which normalises the weights, "
        "in a function that emits a UserWarning and prints to stderr: none of it may cost points"),
    "two heads, loss through partial": Variant(
        answered("build_regressor", _REGRESSOR_TWO_HEADS),
        "another regressor: swish layers (64-32) for mu and a separate small network for log sigma^2, "
        "compiled with functools.partial(beta_nll, beta=0.5) as the loss and a partial at beta = 0 as the nll metric"),
}

WRONG = {
    "weight differentiated too": Variant(
        answered("beta_nll", _BETA_NLL_WEIGHT_DIFFERENTIATED),
        "sigma^(2 beta) without ops.stop_gradient: the values are right, but the gradient for s gains "
        "beta sigma^(2 beta) x NLL and the best sigma moves; the gradient tests fail, and Task 1b is then graded "
        "on the student's build_regressor trained with the course's beta-NLL, so only Task 1a is lost",
        loses=_TASK_1A),
    "the lecture's NLL": Variant(
        answered("beta_nll", _LECTURE_NLL),
        "the lecture's gaussian_nll copied under the new name, beta ignored: right at beta = 0 only (the "
        "gradient for mu at beta = 0.5 and 1 is wrong); Task 1b is graded with the course's loss: loses Task 1a",
        loses=_TASK_1A),
    "homoscedastic": Variant(
        answered("build_regressor", _HOMOSCEDASTIC),
        "one trainable sigma for every shower: right on average, but the pulls are far too wide at high "
        "energy and too narrow at low energy (the resolution is 17 %/sqrt(E)); loses Task 1b only",
        loses={"test_pulls_partial": 1, "test_pulls_target": 2}),
    "weights ignored": Variant(
        answered("combine_ensemble", _ENSEMBLE_EQUAL_WEIGHTS),
        "the lecture's equal-weight line whatever the weights: right for weights=None only",
        loses=_TASK_2),
    "weights not normalised": Variant(
        answered("combine_ensemble", _ENSEMBLE_NOT_NORMALISED),
        "the weights used as given, not divided by their sum: right for None and for normalised weights, "
        "wrong for weights [1, 3] or [1, 1, 1, 1, 1, 0]",
        loses=_TASK_2),
}


def _homoscedastic(source_nb):
    """One sigma for all showers (the Task 1b thresholds must reject it in the low and high ranges)."""
    return answered("build_regressor", _HOMOSCEDASTIC)(source_nb)


def _sigma_untrained(source_nb):
    """The width head never trained: sigma stays at its starting value, 1 GeV for every shower
    (what a loss that is NaN at the start also leaves behind)."""
    from exercise_variants import edit_cell

    return edit_cell(source_nb, "build_regressor", "log_var = out[:, 1:]", "log_var = 0.0 * out[:, 1:]")


CARELESS = {"homoscedastic": _homoscedastic, "sigma = 1 GeV, untrained": _sigma_untrained}
