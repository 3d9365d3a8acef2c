"""Exercise 06: submissions graded by the round trip (tests/test_grading_roundtrip.py).

Correct answers written differently keep all 8 points: the bias-corrected dCor^2 from the
unbiased estimator's closed form (sums of a_ij b_ij, of row-sum products and of the totals,
Szekely & Rizzo 2014, eq. 3.5 there) in a function that warns and prints to stderr, with a
wider convolutional tagger trained with a stronger penalty and another validation goal; and
the U-centring written with keras.ops in float64, with the reference's tagger trained on
planing-reweighted jets on top of the penalty. Each plausible mistake loses exactly its own
task's points: the lecture's double-centred (biased) estimate, the distance covariance without
any centring, or the U-centring divided by n - 1 instead of n - 2 (Task 1); a tagger trained
with the cross-entropy alone, which sculpts the mass (Task 2, 4 points), or with so strong a
penalty that it stops rejecting background (Task 2, the 2 trade-off points).
"""

from exercise_variants import Variant, answered, combined, replaced

TOTAL = 8

_U_ESTIMATOR_WARNS = '''
import sys
import warnings


def u_distance_correlation_squared(x, y):
    """The unbiased estimator of dCov^2 in closed form (Szekely & Rizzo 2014), for x.y, x.x and y.y."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    n = x.size
    if n < 4:
        raise ValueError("dCor^2_u needs at least 4 samples")
    warnings.warn(f"dCor^2_u of {n} samples")  # a warning must not cost points
    print("u_distance_correlation_squared: closed form", file=sys.stderr)
    a = np.abs(np.subtract.outer(x, x))
    b = np.abs(np.subtract.outer(y, y))

    def u_covariance(p, q):
        return ((p * q).sum() - 2.0 / (n - 2) * (p.sum(axis=1) @ q.sum(axis=1))
                + p.sum() * q.sum() / ((n - 1) * (n - 2))) / (n * (n - 3))

    return float(u_covariance(a, b) / np.sqrt(u_covariance(a, a) * u_covariance(b, b)))
'''

_U_KERAS = '''
from keras import ops


def u_distance_correlation_squared(x, y):
    """U-centring with keras.ops in float64 (the same code could sit inside a loss)."""
    def u_centred(values):
        values = ops.cast(ops.reshape(ops.convert_to_tensor(values), (-1,)), "float64")
        n = values.shape[0]
        a = ops.abs(values[:, None] - values[None, :])
        centred = (a - ops.sum(a, axis=0, keepdims=True) / (n - 2) - ops.sum(a, axis=1, keepdims=True) / (n - 2)
                   + ops.sum(a) / ((n - 1) * (n - 2)))
        return centred * (1.0 - ops.eye(n, dtype="float64")), n

    (a, n), (b, _) = u_centred(x), u_centred(y)
    inner = lambda p, q: ops.sum(p * q) / (n * (n - 3))
    return float(ops.convert_to_numpy(inner(a, b) / ops.sqrt(inner(a, a) * inner(b, b))))
'''

_DOUBLE_CENTRED = '''
def u_distance_correlation_squared(x, y):
    """The lecture's double-centred dCor^2 under the new name: biased upwards for small samples."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()

    def centred(values):
        a = np.abs(values[:, None] - values[None, :])
        return a - a.mean(axis=0, keepdims=True) - a.mean(axis=1, keepdims=True) + a.mean()

    a, b = centred(x), centred(y)
    return float((a * b).mean() / np.sqrt((a * a).mean() * (b * b).mean()))
'''

_NOT_CENTRED = '''
def u_distance_correlation_squared(x, y):
    """Distance covariance without any centring: the mean of a_ij b_ij."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    a = np.abs(x[:, None] - x[None, :])
    b = np.abs(y[:, None] - y[None, :])
    return float((a * b).mean() / np.sqrt((a * a).mean() * (b * b).mean()))
'''

_TASK_1 = {"test_udcor_values": 2, "test_udcor_bias": 2}
_TASK_2 = {"test_tagger_decorrelated": 2, "test_tagger_tradeoff": 2}

_WIDER_TAGGER = '''
def image_tagger():
    # another network: 16 and 16 filters, average pooling, a wider dense layer
    inputs = keras.Input((40, 40, 1))
    x = keras.layers.Rescaling(100.0)(inputs)
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = keras.layers.AveragePooling2D(2)(x)
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = keras.layers.AveragePooling2D(2)(x)
    x = keras.layers.Dense(48, activation="relu")(keras.layers.Flatten()(x))
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
'''

_REFERENCE_TAGGER = '''def image_tagger():
    inputs = keras.Input((40, 40, 1))
    x = keras.layers.Rescaling(100.0)(inputs)  # pixels are pT fractions: bring them to order 1
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Dense(32, activation="relu")(keras.layers.Flatten()(x))
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))'''

CORRECT = {
    "closed form, wider CNN, warns": Variant(
        combined(answered("u_distance_correlation", _U_ESTIMATOR_WARNS),
                 replaced("train_tagger", _REFERENCE_TAGGER, _WIDER_TAGGER.strip("\n")),
                 replaced("train_tagger", "loss=DisCoLoss(S.strength)", "loss=DisCoLoss(3.0)")),
        "dCor^2_u from the unbiased estimator's closed form (no centred matrices), warning and printing to "
        "stderr; a wider CNN with average pooling: none of it may cost points"),
    "keras.ops, planing weights": Variant(
        combined(answered("u_distance_correlation", _U_KERAS),
                 replaced("train_tagger", "tagger.fit(images_train, np.stack([y_train, mass_train], axis=1), ",
                          "counts, edges = np.histogram(mass_train, bins=MASS_BINS)  # planing: flat in mass per class\n"
                          "weights = np.ones(len(y_train))\n"
                          "for label in (0, 1):\n"
                          "    mine = y_train == label\n"
                          "    per_bin = np.histogram(mass_train[mine], bins=MASS_BINS)[0].astype(float)\n"
                          "    index = np.clip(np.digitize(mass_train[mine], MASS_BINS) - 1, 0, len(per_bin) - 1)\n"
                          "    weights[mine] = 1.0 / np.maximum(per_bin[index], 1.0)\n"
                          "weights = np.sqrt(weights / weights.mean())  # half-way planing, on top of the penalty\n"
                          "tagger.fit(images_train, np.stack([y_train, mass_train], axis=1), sample_weight=weights, ")),
        "the U-centring in keras.ops (float64, eye mask for the diagonal); the reference's tagger trained with "
        "sample weights that partly flatten each class's mass spectrum (planing, arXiv:1709.10106) on top of DisCo"),
}

WRONG = {
    "double-centred (the lecture's)": Variant(
        answered("u_distance_correlation", _DOUBLE_CENTRED),
        "the lecture's double-centred estimate written out: the right limit for large n, but biased upwards "
        "for small samples (0.79 instead of 0.32 for the five points; averages 0.25 for independent batches of 10)",
        loses=_TASK_1),
    "no centring": Variant(
        answered("u_distance_correlation", _NOT_CENTRED),
        "the distance covariance without any centring: large for independent samples, so no measure of dependence",
        loses=_TASK_1),
    "n - 1 instead of n - 2": Variant(
        replaced("u_distance_correlation",
                 "centred = (a - a.sum(axis=0, keepdims=True) / (n - 2) - a.sum(axis=1, keepdims=True) / (n - 2)\n"
                 "                   + a.sum() / ((n - 1) * (n - 2)))",
                 "centred = (a - a.sum(axis=0, keepdims=True) / (n - 1) - a.sum(axis=1, keepdims=True) / (n - 1)\n"
                 "                   + a.sum() / ((n - 1) * (n - 1)))"),
        "U-centring with the row sums divided by n - 1 (as for a mean without the diagonal): the bias "
        "comes back (mean +0.06 for independent batches of 10) and the values are off",
        loses=_TASK_1),
    "cross-entropy only": Variant(
        replaced("train_tagger", "loss=DisCoLoss(S.strength)", "loss=DisCoLoss(0.0)"),
        "the penalty switched off (strength 0: the plain cross-entropy): R50 about 100 but 1/JSD50 about 1, the "
        "mass is sculpted; the validation goal is never met and the last epoch is kept",
        loses=_TASK_2),
    "penalty far too strong": Variant(
        replaced("train_tagger", "loss=DisCoLoss(S.strength)", "loss=DisCoLoss(300.0)"),
        "strength 300: the mass spectrum stays flat, but the tagger hardly rejects background (R50 below the "
        "target); keeps the decorrelation points",
        loses={"test_tagger_tradeoff": 2}),
}


def _cross_entropy_only(source_nb):
    return WRONG["cross-entropy only"].make(source_nb)


def _too_strong(source_nb):
    return WRONG["penalty far too strong"].make(source_nb)


CARELESS = {"cross-entropy only": _cross_entropy_only, "strength 300": _too_strong}
