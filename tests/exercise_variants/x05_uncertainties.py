"""Exercise 05: submissions graded by the round trip (tests/test_grading_roundtrip.py).

Correct answers written differently keep all 7 points: the loss with the constant log(2 pi)/2,
a division by exp(s) and a batch mean, together with an ensemble combination through
np.average and an explicit sum that warns and writes to stderr; and a regressor of another
architecture (swish, 64-32, separate heads for mu and log sigma^2) with the loss written as
-log of the Gaussian density. Each plausible mistake loses exactly its own task's points: the
second output used as sigma without a positivity guard (the loss is NaN or infinite for the
zero or negative outputs the network starts from: Task 1a fails, and Task 1b is graded on the
student's build_regressor trained with the course's loss instead), log sigma taken for log
sigma^2 (a valid loss in another parametrisation, but not the one asked for: Task 1a),
one sigma for all showers (homoscedastic: the pulls are too narrow at low and too wide at high
energy; Task 1b), the ensemble variance without the aleatoric term and with the epistemic part
as a standard deviation (Task 2).
"""

from exercise_variants import Variant, answered, combined, replaced

TOTAL = 7

_NLL_WITH_CONSTANT = '''
import math


def gaussian_nll(y_true, y_pred):
    """The full -log N(y | mu, sigma^2), constant included, averaged over the batch."""
    y_true = ops.cast(ops.reshape(y_true, (-1,)), "float32")
    mu = y_pred[:, 0]
    variance = ops.exp(y_pred[:, 1])
    per_shower = 0.5 * math.log(2 * math.pi) + 0.5 * ops.log(variance) + ops.divide(ops.square(y_true - mu), 2.0 * variance)
    return ops.mean(per_shower)
'''

_ENSEMBLE_AVERAGE_WARNS = '''
import sys
import warnings


def combine_ensemble(means, variances):
    """Law of total variance, written as explicit sums; warns on purpose."""
    means = np.asarray(means, dtype=np.float64)
    variances = np.asarray(variances, dtype=np.float64)
    n_members = means.shape[0]
    mean = np.average(means, axis=0)
    aleatoric = np.sum(variances, axis=0) / n_members
    epistemic = np.sum((means - mean[None]) ** 2, axis=0) / n_members
    warnings.warn(f"combined {n_members} members")  # a warning must not cost points
    print("ensemble combined", file=sys.stderr)
    return mean, aleatoric + epistemic
'''

_REGRESSOR_TWO_HEADS = '''
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

    def nll(y_true, y_pred):  # -log of the Gaussian density, written out
        y = ops.reshape(ops.cast(y_true, y_pred.dtype), (-1,))
        sigma = ops.exp(0.5 * y_pred[:, 1])
        return -ops.log(ops.exp(-0.5 * ops.square((y - y_pred[:, 0]) / sigma)) / sigma + 1e-30)

    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=nll)
    return model
'''

_NLL_SIGMA_NO_GUARD = '''
def gaussian_nll(y_true, y_pred):
    """Column 1 taken as sigma itself, with no guard that it stays positive."""
    y = ops.reshape(ops.cast(y_true, y_pred.dtype), (-1,))
    mu, sigma = y_pred[:, 0], y_pred[:, 1]
    return ops.log(sigma) + 0.5 * ops.square(y - mu) / ops.square(sigma)
'''

_NLL_LOG_SIGMA = '''
def gaussian_nll(y_true, y_pred):
    """Column 1 taken as log sigma (not log sigma^2)."""
    y = ops.reshape(ops.cast(y_true, y_pred.dtype), (-1,))
    mu, log_sigma = y_pred[:, 0], y_pred[:, 1]
    return log_sigma + 0.5 * ops.square(y - mu) * ops.exp(-2.0 * log_sigma)
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
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=gaussian_nll)
    return model
'''

_ENSEMBLE_RETURN = "return mean, variances.mean(axis=0) + means.var(axis=0)"

CORRECT = {
    "constant, batch mean, warns": Variant(
        combined(answered("gaussian_nll", _NLL_WITH_CONSTANT),
                 answered("combine_ensemble", _ENSEMBLE_AVERAGE_WARNS)),
        "the loss with the constant log(2 pi)/2, a division by exp(s) and the mean over the batch (a "
        "scalar, not per-shower values); the ensemble combined with np.average and explicit sums in a "
        "function that emits a UserWarning and prints to stderr: none of it may cost points"),
    "two heads, density written out": Variant(
        answered("build_regressor", _REGRESSOR_TWO_HEADS),
        "another regressor: swish layers (64-32) for mu and a separate small network for log sigma^2, "
        "trained with its own loss written as -log of the Gaussian density"),
}

WRONG = {
    "sigma without a guard": Variant(
        answered("gaussian_nll", _NLL_SIGMA_NO_GUARD),
        "the second output read as sigma with no positivity guard: the loss is NaN or infinite for outputs "
        "<= 0 (the network starts at 0), so the loss tests fail; Task 1b is then graded on the student's "
        "build_regressor trained with the course's loss, so only Task 1a is lost",
        loses={"test_nll_values": 1, "test_nll_large_sigma": 1}),
    "log sigma for log sigma^2": Variant(
        answered("gaussian_nll", _NLL_LOG_SIGMA),
        "the second output taken as log sigma: a consistent likelihood, but not the one asked for (the "
        "graders read sigma^2 = exp(s)); Task 1b is graded with the course's loss in its place: loses Task 1a",
        loses={"test_nll_values": 1, "test_nll_large_sigma": 1}),
    "homoscedastic": Variant(
        answered("build_regressor", _HOMOSCEDASTIC),
        "one trainable sigma for every shower: right on average, but the pulls are far too wide at high "
        "energy and too narrow at low energy (the resolution is 17 %/sqrt(E)); loses Task 1b only",
        loses={"test_pulls_partial": 1, "test_pulls_target": 2}),
    "no aleatoric term": Variant(
        replaced("combine_ensemble", _ENSEMBLE_RETURN, "return mean, means.var(axis=0)"),
        "the ensemble variance as the spread of the members' means only, without their own variances",
        loses={"test_ensemble_values": 1, "test_ensemble_physics": 1}),
    "epistemic as a standard deviation": Variant(
        replaced("combine_ensemble", _ENSEMBLE_RETURN, "return mean, variances.mean(axis=0) + means.std(axis=0)"),
        "a variance added to a standard deviation (GeV^2 + GeV)",
        loses={"test_ensemble_values": 1, "test_ensemble_physics": 1}),
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
