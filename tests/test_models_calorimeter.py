"""Tests of the calorimeter energy regressors: output shapes, an untrained network equals the
calibrated sum, a short fit reduces the relative loss on toy showers with leakage, and the
models survive a ``.keras`` round trip."""

import keras
import numpy as np
import pytest

from hepcourse.models import (
    calibration_constant,
    layer_energy_regressor,
    squared_log_error,
    shower_cnn_regressor,
)

pytestmark = pytest.mark.unit

N_LAYERS, N_CELLS = 6, 8


def toy_showers(n=512, seed=0):
    """Showers whose visible energy leaks out of the back more at high energy: a layer sum
    times one constant is biased, a depth-dependent weighting is not."""
    rng = np.random.default_rng(seed)
    e_true = np.exp(rng.uniform(np.log(1.0), np.log(100.0), n)).astype("float32")
    depth = 1.0 + 0.5 * np.log(e_true)  # shower maximum moves deeper with log E
    layers = np.arange(N_LAYERS) + 0.5
    profile = layers[None, :] ** 2 * np.exp(-layers[None, :] / (0.4 * depth[:, None]))
    profile /= profile.sum(axis=1, keepdims=True) * (1 + 0.05 * depth[:, None])  # leakage grows with depth
    layer_e = 0.2 * e_true[:, None] * profile * (1 + 0.05 * rng.normal(size=(n, N_LAYERS)))
    lateral = np.exp(-0.5 * ((np.arange(N_CELLS) - N_CELLS / 2 + 0.5) / 1.5) ** 2)
    lateral = np.outer(lateral, lateral) / np.outer(lateral, lateral).sum()
    showers = layer_e[:, :, None, None] * lateral[None, None]
    return showers.astype("float32"), layer_e.astype("float32"), e_true


def test_calibration_constant_inverts_a_sampling_fraction():
    e_true = np.geomspace(1, 100, 50)
    assert calibration_constant(0.25 * e_true, e_true) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="differ in length"):
        calibration_constant(e_true[:-1], e_true)
    with pytest.raises(ValueError, match="NaN"):
        calibration_constant(np.r_[np.nan, e_true[1:]], e_true)
    with pytest.raises(ValueError, match="positive"):
        calibration_constant(e_true, -e_true)


def test_squared_log_error():
    loss = keras.ops.convert_to_numpy(squared_log_error(np.array([10.0, 2.0]), np.array([[10.0 * np.e], [1.0]])))
    assert np.allclose(loss, [1.0, np.log(2.0) ** 2])


@pytest.mark.parametrize("kind", ["dnn", "cnn"])
def test_untrained_regressor_is_the_calibrated_sum(kind):
    showers, layer_e, e_true = toy_showers(n=16)
    k = calibration_constant(layer_e.sum(axis=1), e_true)
    if kind == "dnn":
        model, x = layer_energy_regressor(N_LAYERS, calibration=k, hidden=(8,)), layer_e
    else:
        model, x = shower_cnn_regressor(N_LAYERS, N_CELLS, calibration=k, filters=(4, 4), hidden=(8,)), showers
    prediction = model.predict(x, verbose=0)
    assert prediction.shape == (16, 1)
    assert np.allclose(prediction[:, 0], k * layer_e.sum(axis=1), rtol=1e-4)


def test_bad_calibration_is_rejected():
    with pytest.raises(ValueError, match="calibration must be a positive number"):
        layer_energy_regressor(N_LAYERS, calibration=0.0)


@pytest.mark.parametrize("kind", ["dnn", "cnn"])
def test_short_fit_reduces_the_relative_loss(kind, tmp_path):
    keras.utils.set_random_seed(0)
    showers, layer_e, e_true = toy_showers()
    k = calibration_constant(layer_e.sum(axis=1), e_true)
    if kind == "dnn":
        model, x = layer_energy_regressor(N_LAYERS, calibration=k, hidden=(16, 16)), layer_e
    else:
        model, x = shower_cnn_regressor(N_LAYERS, N_CELLS, calibration=k, filters=(4, 4), hidden=(16,)), showers
    before = model.evaluate(x, e_true, verbose=0)
    model.fit(x, e_true, epochs=20, batch_size=64, verbose=0)
    after = model.evaluate(x, e_true, verbose=0)
    assert after < 0.7 * before, f"loss {before:.5f} -> {after:.5f}: the correction learned nothing"
    path = tmp_path / f"{kind}.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    assert np.allclose(reloaded.predict(x[:8], verbose=0), model.predict(x[:8], verbose=0), rtol=1e-5)
