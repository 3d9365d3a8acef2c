"""Tests of the decorrelation tools of lecture 06 against the `dcor` package and known cases:
the numpy and keras.ops distance correlations agree with dcor (1e-6 unweighted, float64), weights
act as repetitions, independent samples give ~0 and deterministic dependence a large value,
constant and tiny batches give 0 (keras) or a clear error (numpy), never NaN; the JSD and the
R50 / 1/JSD50 pair behave at their limits; the gradient-reversal layer flips gradients, trains an
adversary and survives a .keras round trip; the DisCo loss reduces to cross-entropy at strength 0."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from hepcourse import metrics
from hepcourse.models.decorrelation import DisCoLoss, GradientReversal, distance_correlation_squared

pytestmark = pytest.mark.unit

# dcor compiles with numba, whose LLVM (llvmlite) can abort a process that has loaded TensorFlow's
# own LLVM: the reference values are computed in a fresh interpreter that imports only dcor.
_DCOR_SCRIPT = """
import json, sys
import numpy as np
import dcor
pairs = np.load(sys.argv[1])
print(json.dumps([float(dcor.distance_correlation_sqr(pairs[f"x{i}"], pairs[f"y{i}"])) for i in range(len(pairs) // 2)]))
"""


def dcor_reference(tmp_path, *pairs):
    """dcor.distance_correlation_sqr(x, y) for each (x, y) pair, from a separate process."""
    arrays = {f"{axis}{i}": np.asarray(v, dtype=np.float64) for i, pair in enumerate(pairs) for axis, v in zip("xy", pair)}
    np.savez(tmp_path / "pairs.npz", **arrays)
    result = subprocess.run([sys.executable, "-c", _DCOR_SCRIPT, str(tmp_path / "pairs.npz")],
                            capture_output=True, text=True, timeout=300, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _samples(kind, n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    if kind == "independent":
        return x, rng.exponential(size=n)
    if kind == "quadratic":  # uncorrelated (Pearson 0: x and -x both present) but dependent
        x = np.concatenate([x[: n // 2], -x[: n // 2]])
        return x, x ** 2
    return x, np.exp(x) + rng.normal(size=n)


def _keras(x, y, weights=None):
    return float(keras.ops.convert_to_numpy(distance_correlation_squared(x, y, weights)))


@pytest.mark.parametrize("kind", ["independent", "quadratic", "monotonic"])
def test_numpy_and_keras_agree_with_dcor(kind, tmp_path):
    x, y = _samples(kind)
    (reference,) = dcor_reference(tmp_path, (x, y))
    assert metrics.distance_correlation_squared(x, y) == pytest.approx(reference, abs=1e-6)
    assert _keras(x, y) == pytest.approx(reference, abs=1e-6)  # float64 in, float64 out
    assert _keras(x.astype("float32"), y.astype("float32")) == pytest.approx(reference, abs=1e-4)


def test_dependence_is_detected_where_pearson_is_blind():
    x, y = _samples("quadratic", n=1000)
    assert abs(np.corrcoef(x, y)[0, 1]) < 1e-9
    assert metrics.distance_correlation_squared(x, y) > 0.1
    xi, yi = _samples("independent", n=1000)
    assert metrics.distance_correlation_squared(xi, yi) < 0.01  # V-statistic bias is O(1/n)
    assert metrics.distance_correlation_squared(x, 3 * x - 2) == pytest.approx(1.0)


def test_integer_weights_equal_repeated_samples(tmp_path):
    x, y = _samples("monotonic", n=200, seed=3)
    weights = np.random.default_rng(1).integers(0, 4, size=200)
    keep = weights > 0
    repeated, alone = dcor_reference(tmp_path, (np.repeat(x, weights), np.repeat(y, weights)), (x[keep], y[keep]))
    assert metrics.distance_correlation_squared(x, y, weights) == pytest.approx(repeated, abs=1e-9)
    assert _keras(x, y, weights.astype(float)) == pytest.approx(repeated, abs=1e-9)
    # a zero weight removes a sample: the background-only dCor of the DisCo loss
    assert _keras(x, y, keep.astype(float)) == pytest.approx(alone, abs=1e-9)


def test_boundary_cases_are_defined_never_nan():
    x, y = _samples("monotonic", n=50)
    assert metrics.distance_correlation_squared(np.full(50, 3.0), y) == 0.0
    assert _keras(np.full(50, 3.0), y) == 0.0
    assert _keras([1.0], [2.0]) == 0.0
    assert _keras(x, y, np.zeros(50)) == 0.0
    assert metrics.distance_correlation_squared([1.0, 2.0], [5.0, 3.0]) == pytest.approx(1.0)
    # the gradient through a constant batch is finite (a saturated tagger inside a loss)
    score = tf.Variable(np.full(32, 0.5, dtype="float32"))
    with tf.GradientTape() as tape:
        value = distance_correlation_squared(score, y[:32].astype("float32"))
    assert np.isfinite(tape.gradient(value, score).numpy()).all()


@pytest.mark.parametrize("x, y, weights, message", [
    ([1.0], [2.0], None, "at least 2 samples"),
    ([1.0, 2.0, 3.0], [1.0, 2.0], None, "differ in length"),
    ([1.0, np.nan], [1.0, 2.0], None, "NaN"),
    (np.ones((3, 2)), np.ones(3), None, "1-D"),
    ([1.0, 2.0], [1.0, 2.0], [1.0, -1.0], "non-negative"),
    ([1.0, 2.0], [1.0, 2.0], [1.0], "weights has 1 entries"),
])
def test_numpy_distance_correlation_refuses_bad_input(x, y, weights, message):
    with pytest.raises(ValueError, match=message):
        metrics.distance_correlation_squared(x, y, weights)


def test_jensen_shannon_divergence_limits():
    p = np.array([10, 20, 30, 0])
    assert metrics.jensen_shannon_divergence(p, 2 * p) == pytest.approx(0.0, abs=1e-12)
    assert metrics.jensen_shannon_divergence([1, 0], [0, 1]) == pytest.approx(1.0)
    q = np.array([5, 5, 5, 5])
    assert metrics.jensen_shannon_divergence(p, q) == pytest.approx(metrics.jensen_shannon_divergence(q, p))
    m = (p / p.sum() + q / q.sum()) / 2
    by_hand = sum(0.5 * a * np.log2(a / b) for a, b in zip(p / p.sum(), m) if a > 0) + \
        sum(0.5 * a * np.log2(a / b) for a, b in zip(q / q.sum(), m) if a > 0)
    assert metrics.jensen_shannon_divergence(p, q) == pytest.approx(by_hand)
    for bad, message in (([1, 2], "share the binning"), ([0, 0, 0, 0], "empty"), ([1, -1, 0, 0], "negative")):
        with pytest.raises(ValueError, match=message):
            metrics.jensen_shannon_divergence(p, bad)


def test_mass_sculpting_separates_a_mass_cut_from_a_mass_blind_score():
    rng = np.random.default_rng(0)
    n = 20_000
    y = rng.integers(0, 2, n)
    mass = np.where(y == 1, rng.normal(172, 20, n), rng.exponential(60, n))
    blind = y + rng.normal(0, 1.0, n)  # separates the classes, knows nothing of the mass
    mass_cut = -np.abs(mass - 172) + rng.normal(0, 1e-3, n)
    blind_result = metrics.mass_sculpting(y, blind, mass)
    cut_result = metrics.mass_sculpting(y, mass_cut, mass)
    assert set(blind_result) == {"R50", "inverse_JSD50", "threshold"}
    assert blind_result["inverse_JSD50"] > 100 * cut_result["inverse_JSD50"]
    assert cut_result["R50"] > blind_result["R50"]
    assert blind_result["R50"] == pytest.approx(metrics.background_rejection(y, blind, 0.5))
    assert np.mean(blind[y == 1] > blind_result["threshold"]) == pytest.approx(0.5, abs=1e-3)
    assert "R30" in metrics.mass_sculpting(y, blind, mass, signal_efficiency=0.3)
    with pytest.raises(ValueError, match="differ in length"):
        metrics.mass_sculpting(y, blind, mass[:-1])


def test_gradient_reversal_flips_the_gradient_and_saves(tmp_path):
    layer = GradientReversal(2.5)
    x = tf.Variable([[1.0, -2.0]])
    with tf.GradientTape() as tape:
        out = tf.reduce_sum(3.0 * layer(x))
    np.testing.assert_allclose(out.numpy(), -3.0)  # identity forward
    np.testing.assert_allclose(tape.gradient(out, x).numpy(), [[-7.5, -7.5]])
    inputs = keras.Input((3,))
    score = keras.layers.Dense(1, activation="sigmoid")(inputs)
    model = keras.Model(inputs, [score, GradientReversal(0.7, name="grl")(score)])
    model.save(tmp_path / "m.keras")
    restored = keras.models.load_model(tmp_path / "m.keras")
    assert restored.get_layer("grl").strength == pytest.approx(0.7)
    probe = np.ones((2, 3), "float32")
    np.testing.assert_allclose(restored(probe)[1], model(probe)[1], rtol=1e-6)


def test_adversary_behind_reversal_pushes_the_features_away_from_the_target():
    """A feature layer with an adversary behind the reversal, trained with fit(): with ordinary
    gradients (strength -1) the feature learns the target, with reversed ones it hides it and
    the adversary is left with the target's variance."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    target = rng.normal(size=(512, 1)).astype("float32")
    x = np.hstack([target, rng.normal(size=(512, 1))]).astype("float32")

    def adversary_error(strength):  # -> (target's share of the feature, adversary's loss)
        keras.utils.set_random_seed(1)
        inputs = keras.Input((2,))
        feature = keras.layers.Dense(1, use_bias=False, name="feature")(inputs)
        hidden = GradientReversal(strength)(feature)
        guess = keras.layers.Dense(1)(hidden)
        model = keras.Model(inputs, guess)
        model.compile(keras.optimizers.SGD(0.05), "mse")
        loss = model.fit(x, target, epochs=30, batch_size=64, verbose=0).history["loss"][-1]
        weights = model.get_layer("feature").get_weights()[0].ravel()
        return abs(weights[0]) / np.linalg.norm(weights), loss

    share, loss = adversary_error(-1.0)
    assert share > 0.99 and loss < 1e-3  # ordinary gradients: the feature is the target
    share, loss = adversary_error(1.0)
    assert share < 0.1 and loss > 0.9 * target.var()  # reversed: the feature drops the target


def test_disco_loss_is_cross_entropy_plus_background_dcor(tmp_path):
    rng = np.random.default_rng(0)
    label = rng.integers(0, 2, 128)
    mass = rng.uniform(0, 300, 128)
    score = np.clip(0.3 + 0.002 * mass + 0.1 * rng.normal(size=128), 0.01, 0.99).astype("float32")[:, None]
    y_true = np.stack([label, mass], axis=1).astype("float32")
    cross_entropy = float(np.mean(keras.losses.binary_crossentropy(label[:, None].astype("float32"), score)))
    assert float(DisCoLoss(0.0)(y_true, score)) == pytest.approx(cross_entropy, rel=1e-6)
    background = label == 0
    (dcorr,) = dcor_reference(tmp_path, (score[background, 0].astype(float), mass[background]))
    assert float(DisCoLoss(10.0)(y_true, score)) == pytest.approx(cross_entropy + 10 * dcorr, rel=1e-4)
    # sample weights weight the cross-entropy jet by jet; a third column weights the penalty's jets
    jet_weights = rng.uniform(0.5, 1.5, 128)
    per_jet = keras.losses.binary_crossentropy(label[:, None].astype("float32"), score).numpy()
    weighted = float(DisCoLoss(10.0)(y_true, score, sample_weight=jet_weights))
    assert weighted == pytest.approx(np.mean(jet_weights * (per_jet + 10 * dcorr)), rel=1e-4)
    with_column = np.column_stack([y_true, jet_weights]).astype("float32")
    dcorr_weighted = metrics.distance_correlation_squared(score[background, 0], mass[background], jet_weights[background])
    assert float(DisCoLoss(10.0)(with_column, score)) == pytest.approx(cross_entropy + 10 * dcorr_weighted, rel=1e-4)
    with pytest.raises(ValueError, match="label, mass"):
        DisCoLoss(1.0)(np.ones((4, 1), "float32"), score[:4])
    inputs = keras.Input((1,))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(inputs))
    model.compile("adam", loss=DisCoLoss(3.0))
    model.save(tmp_path / "disco.keras")
    assert keras.models.load_model(tmp_path / "disco.keras").loss.strength == 3.0
