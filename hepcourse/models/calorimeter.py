"""Reference energy regressors for calorimeter showers: a calibrated sum, a dense network on
the layer energies and a small CNN on the full shower (layers as image channels).

All three take **raw visible energies in GeV** (what `hepcourse.data.showers.load` returns);
the networks scale their inputs inside the model, so a caller never normalises anything.

Design choices (the teaching points of lecture 02):

* **Output = visible sum x a learned correction.** Both networks compute the visible energy
  S of the shower and predict E_reco = S * exp(r(x)), with r initialised to log k (k the
  calibration constant of the calibrated sum). At initialisation a network is therefore the
  calibrated sum; it only has to learn the *correction* from the shape of the shower (a
  depth-dependent weighting that restores the energy that leaks out of the back, a lateral
  one that ignores noise-only cells). Inputs are the fractions of S per layer (or per cell)
  and log S: all O(1), whatever the energy.
* **Loss = squared log ratio log(E_reco/E_true)^2.** A calorimeter's resolution is relative
  (sigma/E), and the energies span two decades: plain MSE in GeV^2 would be dominated by the
  100 GeV showers and ignore the 1 GeV ones. The log ratio weights every shower equally in
  the quantity we quote, like the relative error (E_reco/E_true - 1)^2, but unlike that one
  it does not pull the estimate low: the minimum of the relative error lies below the true
  energy by about (sigma/E)^2, a 2-3 % bias at 1 GeV, where sigma/E ~ 15 %.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

MIN_VISIBLE_GEV = 1e-3  # floor for the visible sum: noise can make a tiny shower's sum <= 0


def _check_energies(visible, e_true):
    visible = np.asarray(visible, dtype=float).ravel()
    e_true = np.asarray(e_true, dtype=float).ravel()
    if visible.shape != e_true.shape:
        raise ValueError(f"visible and e_true differ in length: {visible.size} != {e_true.size}")
    if visible.size == 0:
        raise ValueError("no showers given")
    for name, values in (("visible", visible), ("e_true", e_true)):
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{name} contains {int(np.sum(~np.isfinite(values)))} NaN/inf values")
    if np.any(e_true <= 0):
        raise ValueError("e_true must be positive (GeV)")
    return visible, e_true


def calibration_constant(visible, e_true):
    """The constant k of the calibrated sum E_reco = k * visible, fitted on training showers.

    k minimises sum((k * visible / e_true - 1)^2), the relative squared error (every shower
    counts equally, as in sigma/E): k = sum(visible/e_true) / sum((visible/e_true)^2).
    For a sampling calorimeter without leakage, 1/k is the visible fraction of an electron's
    energy: the sampling fraction for minimum-ionising particles times the e/mip ratio.
    """
    visible, e_true = _check_energies(visible, e_true)
    ratio = visible / e_true
    return float(np.sum(ratio) / np.sum(ratio**2))


@keras.saving.register_keras_serializable(package="hepcourse")
def squared_log_error(y_true, y_pred):
    """log(E_reco / E_true)^2 per shower: the loss of the reference regressors (E_reco > 0)."""
    y_true = ops.reshape(ops.cast(y_true, y_pred.dtype), (-1,))
    return ops.square(ops.log(ops.reshape(y_pred, (-1,)) / y_true))


def compile_regressor(model, learning_rate=3e-3):
    """Compile an energy regressor: Adam and the squared log ratio."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=squared_log_error)
    return model


@keras.saving.register_keras_serializable(package="hepcourse")
class VisibleSum(keras.layers.Layer):
    """(B, ...) energies in GeV -> (B, 1) their sum, floored at ``MIN_VISIBLE_GEV``."""

    def call(self, energies):
        total = ops.sum(ops.reshape(energies, (ops.shape(energies)[0], -1)), axis=1, keepdims=True)
        return ops.maximum(total, MIN_VISIBLE_GEV)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)


@keras.saving.register_keras_serializable(package="hepcourse")
class EnergyFractions(keras.layers.Layer):
    """``[energies (B, ...), total (B, 1)]`` -> energies / total, same shape: scale-free inputs."""

    def call(self, inputs):
        energies, total = inputs
        return energies / ops.reshape(total, (-1,) + (1,) * (len(energies.shape) - 1))

    def compute_output_shape(self, input_shape):
        return input_shape[0]


@keras.saving.register_keras_serializable(package="hepcourse")
class LogEnergy(keras.layers.Layer):
    """(B, 1) visible sum in GeV -> log(sum / ``scale_gev``): the energy scale as an O(1) input."""

    def __init__(self, scale_gev=1.0, **kwargs):
        super().__init__(**kwargs)
        self.scale_gev = float(scale_gev)

    def call(self, total):
        return ops.log(total / self.scale_gev)

    def get_config(self):
        return {**super().get_config(), "scale_gev": self.scale_gev}


@keras.saving.register_keras_serializable(package="hepcourse")
class ApplyCorrection(keras.layers.Layer):
    """``[total (B, 1), r (B, 1)]`` -> (B, 1) E_reco = total * exp(r)."""

    def call(self, inputs):
        total, log_correction = inputs
        return total * ops.exp(log_correction)

    def compute_output_shape(self, input_shape):
        return input_shape[0]


def _head(features, total, hidden, calibration, name):
    """Dense layers -> r, initialised to log(calibration) -> E_reco = total * exp(r)."""
    if not (calibration and np.isfinite(calibration) and calibration > 0):
        raise ValueError(f"calibration must be a positive number (GeV per visible GeV), got {calibration!r}")
    x = features
    for units in hidden:
        x = keras.layers.Dense(units, activation="relu")(x)
    # zero weights: the untrained network is exactly the calibrated sum k * total
    log_correction = keras.layers.Dense(1, kernel_initializer="zeros",
                                        bias_initializer=keras.initializers.Constant(np.log(calibration)),
                                        name="log_correction")(x)
    return ApplyCorrection(name=name)([total, log_correction])


def layer_energy_regressor(n_layers, calibration, hidden=(32, 32), learning_rate=3e-3):
    """A compiled dense regressor: (n, n_layers) layer energies in GeV -> (n, 1) E_reco in GeV.

    ``calibration`` is the calibrated sum's constant k (:func:`calibration_constant`), the
    starting point of the learned correction. Inputs inside the model: the fraction of the
    visible energy in each layer and log(visible / 1 GeV).
    """
    inputs = keras.Input(shape=(n_layers,), name="layer_energies")
    total = VisibleSum(name="visible")(inputs)
    fractions = EnergyFractions(name="layer_fractions")([inputs, total])
    features = keras.layers.Concatenate()([fractions, LogEnergy(name="log_visible")(total)])
    outputs = _head(features, total, hidden, calibration, "energy")
    return compile_regressor(keras.Model(inputs, outputs, name="layer_energy_regressor"), learning_rate)


def shower_cnn_regressor(n_layers, n_cells, calibration, filters=(16, 16), hidden=(32,), learning_rate=3e-3):
    """A compiled CNN regressor: (n, n_layers, n_cells, n_cells) showers in GeV -> (n, 1) E_reco.

    The layers are the channels of a 2-D image (a 3-D convolution would cost ~n_layers times
    more for little gain at these sizes). Each cell is divided by the visible sum; after
    ``filters`` 3x3 convolutions (2x2 max-pooling after each but the last) the flattened
    feature maps, the layer fractions and log(visible) feed the dense head.
    """
    inputs = keras.Input(shape=(n_layers, n_cells, n_cells), name="shower")
    total = VisibleSum(name="visible")(inputs)
    cells = EnergyFractions(name="cell_fractions")([inputs, total])
    x = keras.layers.Permute((2, 3, 1))(cells)  # (y, x, layer): layers as channels
    for i, n_filters in enumerate(filters):
        x = keras.layers.Conv2D(n_filters, 3, padding="same", activation="relu")(x)
        if i < len(filters) - 1:
            x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    layer_fractions = keras.layers.Reshape((n_layers,))(
        keras.layers.GlobalAveragePooling2D()(keras.layers.Permute((2, 3, 1))(cells)))
    layer_fractions = keras.layers.Rescaling(float(n_cells * n_cells), name="layer_fractions")(layer_fractions)
    features = keras.layers.Concatenate()([x, layer_fractions, LogEnergy(name="log_visible")(total)])
    outputs = _head(features, total, hidden, calibration, "energy")
    return compile_regressor(keras.Model(inputs, outputs, name="shower_cnn_regressor"), learning_rate)
