"""Pieces shared by the reference models: the common compile settings and the two small
layers that handle zero-padded particle lists (a mask from the input, masked pooling).

Padded particles are rows equal to ``mask_value`` in every feature; writing the masking as
registered layers (rather than Lambda) keeps the models savable in the ``.keras`` format.
"""

from __future__ import annotations

import keras
from keras import ops


def compile_classifier(model, learning_rate=1e-3):
    """Compile a sigmoid-output tagger: Adam, binary cross-entropy, AUC metric named "auc"."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="binary_crossentropy",
        metrics=[keras.metrics.AUC(name="auc")],
    )
    return model


@keras.saving.register_keras_serializable(package="hepcourse")
class ParticleMask(keras.layers.Layer):
    """(B, N, F) particles -> (B, N, 1) float mask: 1 for real particles, 0 for padding rows
    (rows whose features all equal ``mask_value``)."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def call(self, particles):
        real = ops.any(ops.not_equal(particles, self.mask_value), axis=-1, keepdims=True)
        return ops.cast(real, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}


@keras.saving.register_keras_serializable(package="hepcourse")
class MaskedPooling(keras.layers.Layer):
    """Pool ``[features (B, N, C), mask (B, N, 1)]`` over particles -> (B, C), ignoring padding.

    ``mode="sum"`` is the Deep-Sets / energy-flow sum; ``mode="mean"`` divides by the number of
    real particles (at least 1, so an empty jet gives zeros instead of NaN).
    """

    def __init__(self, mode="sum", **kwargs):
        super().__init__(**kwargs)
        if mode not in ("sum", "mean"):
            raise ValueError(f"mode must be 'sum' or 'mean', got {mode!r}")
        self.mode = mode

    def call(self, inputs):
        features, mask = inputs
        pooled = ops.sum(features * mask, axis=1)
        if self.mode == "mean":
            pooled = pooled / ops.maximum(ops.sum(mask, axis=1), 1.0)
        return pooled

    def compute_output_shape(self, input_shape):
        features_shape = input_shape[0]
        return (features_shape[0], features_shape[-1])

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
