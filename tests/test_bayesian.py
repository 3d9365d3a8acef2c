"""Tests of the variational Dense layer (hepcourse.models.bayesian): the KL term equals the closed
form for known parameters and enters the loss scaled by 1/N; a saved model reloads with equal
outputs; weight samples differ between passes; the predictive spread of a network trained on
little data exceeds that of one trained on much more; bad arguments are refused."""

import keras
import numpy as np
import pytest
from keras import ops

from hepcourse.models.bayesian import DenseVariational, gaussian_kl, kl_loss, predict_samples

pytestmark = pytest.mark.unit


def _kl_numpy(mu, sigma, prior):
    return np.sum(np.log(prior / sigma) + (sigma**2 + mu**2) / (2 * prior**2) - 0.5)


def test_gaussian_kl_is_the_closed_form():
    rng = np.random.default_rng(0)
    mu, sigma = rng.normal(size=(4, 3)), rng.uniform(0.1, 2.0, size=(4, 3))
    value = float(ops.convert_to_numpy(gaussian_kl(ops.convert_to_tensor(mu), ops.convert_to_tensor(sigma), 1.5)))
    assert value == pytest.approx(_kl_numpy(mu, sigma, 1.5), rel=1e-5)
    # the posterior equal to the prior costs nothing
    zero = gaussian_kl(ops.zeros((5,)), ops.full((5,), 0.7), 0.7)
    assert float(ops.convert_to_numpy(zero)) == pytest.approx(0.0, abs=1e-6)


def test_layer_kl_for_known_parameters_and_its_scaling():
    layer = DenseVariational(2, n_train=50, prior_sigma=0.5, seed=1)
    layer.build((None, 3))
    rng = np.random.default_rng(1)
    mu_k, sigma_k = rng.normal(size=(3, 2)), rng.uniform(0.05, 1.0, size=(3, 2))
    mu_b, sigma_b = rng.normal(size=2), rng.uniform(0.05, 1.0, size=2)
    inverse_softplus = lambda s: np.log(np.expm1(s))  # noqa: E731
    layer.kernel_mu.assign(mu_k)
    layer.kernel_rho.assign(inverse_softplus(sigma_k))
    layer.bias_mu.assign(mu_b)
    layer.bias_rho.assign(inverse_softplus(sigma_b))
    expected = _kl_numpy(mu_k, sigma_k, 0.5) + _kl_numpy(mu_b, sigma_b, 0.5)
    assert float(ops.convert_to_numpy(layer.kl_divergence())) == pytest.approx(expected, rel=1e-5)
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layer(inputs))
    assert kl_loss(model) == pytest.approx(expected / 50, rel=1e-5)
    # the KL / N enters the training loss: with an all-zero target and zero-mean weights the data term is known
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((8, 3), "float32"), np.zeros((8, 2), "float32")
    layer.bias_mu.assign(np.zeros(2))
    layer.bias_rho.assign(inverse_softplus(np.full(2, 1e-6)))  # output = bias sample = ~0 for zero inputs
    kl_now = kl_loss(model)
    assert model.evaluate(x, y, verbose=0, batch_size=8) == pytest.approx(kl_now, rel=1e-4)


def test_posterior_starts_at_the_given_width():
    layer = DenseVariational(4, n_train=10, posterior_sigma_init=0.03)
    layer.build((None, 2))
    assert np.allclose(ops.convert_to_numpy(layer.kernel_sigma), 0.03, rtol=1e-5)
    assert np.allclose(ops.convert_to_numpy(layer.bias_sigma), 0.03, rtol=1e-5)


def _toy_network(n_train, seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((1,))
    x = DenseVariational(16, n_train=n_train, activation="tanh", posterior_sigma_init=0.05)(inputs)
    outputs = DenseVariational(1, n_train=n_train, posterior_sigma_init=0.05)(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    return model


def test_samples_differ_and_a_saved_model_reloads_with_equal_outputs(tmp_path):
    model = _toy_network(100)
    x = np.linspace(-1, 1, 20, dtype="float32")[:, None]
    model.fit(x, np.sin(3 * x), epochs=2, verbose=0)
    samples = predict_samples(model, x, n_samples=4)
    assert samples.shape == (4, 20, 1)
    assert np.std(samples, axis=0).mean() > 1e-4, "every pass must draw new weights"
    path = tmp_path / "bayesian.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    assert isinstance(reloaded.layers[1], DenseVariational)
    for a, b in zip(model.weights, reloaded.weights):
        assert np.array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b))
    # the random-number state travels with the weights: the same weight samples after reloading
    np.testing.assert_array_equal(predict_samples(model, x, 3), predict_samples(reloaded, x, 3))
    assert reloaded.layers[1].get_config()["n_train"] == 100


def test_spread_shrinks_with_more_training_data():
    rng = np.random.default_rng(3)

    def data(n):
        x = rng.uniform(-1, 1, size=(n, 1)).astype("float32")
        return x, (np.sin(3 * x) + 0.1 * rng.normal(size=(n, 1))).astype("float32")

    spreads = {}
    x_eval = np.linspace(-1, 1, 50, dtype="float32")[:, None]
    for n in (20, 2000):
        x, y = data(n)
        repeat = np.resize(np.arange(n), 2000)  # the same number of steps for both
        model = _toy_network(n)
        model.fit(x[repeat], y[repeat], epochs=15, batch_size=50, verbose=0)
        spreads[n] = predict_samples(model, x_eval, n_samples=30).std(axis=0).mean()
    assert spreads[20] > 1.5 * spreads[2000], spreads


def test_mc_dropout_passes_differ_only_with_training_true():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,))
    x = keras.layers.Dropout(0.5)(keras.layers.Dense(8, activation="relu")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    x = np.ones((5, 3), "float32")
    assert np.std(predict_samples(model, x, 5, training=True), axis=0).max() > 0
    assert np.std(predict_samples(model, x, 5, batch_size=2), axis=0).max() < 1e-6  # dropout off in predict


@pytest.mark.parametrize("kwargs, message", [
    ({"units": 0, "n_train": 10}, "units"),
    ({"units": 3}, "n_train"),
    ({"units": 3, "n_train": 10, "prior_sigma": 0.0}, "prior_sigma"),
    ({"units": 3, "n_train": 10, "posterior_sigma_init": -1.0}, "posterior_sigma_init"),
    ({"units": 3, "kl_weight": float("nan")}, "kl_weight"),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DenseVariational(**kwargs)


def test_predict_samples_refuses_bad_input():
    model = _toy_network(10)
    with pytest.raises(ValueError, match="n_samples"):
        predict_samples(model, np.zeros((3, 1)), n_samples=0)
    with pytest.raises(ValueError, match="NaN"):
        predict_samples(model, np.array([[np.nan]]), n_samples=2)
    with pytest.raises(ValueError, match="at least one example"):
        predict_samples(model, np.zeros((0, 1)), n_samples=2)
