"""Magnitude pruning for Keras 3: zero the smallest weights of every Dense kernel.

hls4ml has no pruning of its own and the TensorFlow Model Optimization toolkit is Keras 2
only; HGQ2 prunes implicitly (a weight whose learned bit width reaches 0 is gone). For a float
model, ``MagnitudePruning`` raises the sparsity of each Dense kernel step by step during
training (a polynomial schedule, as in Zhu & Gupta, arXiv:1710.01878) and keeps pruned
weights at zero after every batch, so the network learns around them. A zero weight is a
multiplication HLS removes (``hepcourse.fpga.estimate``).
"""

from __future__ import annotations

import keras
import numpy as np


def _dense_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def magnitude_masks(model, sparsity: float) -> dict:
    """{layer name: 0/1 mask} keeping the (1 - sparsity) largest |w| of each Dense kernel."""
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
    masks = {}
    for layer in _dense_layers(model):
        kernel = np.abs(np.asarray(layer.kernel))
        n_prune = int(round(sparsity * kernel.size))
        mask = np.ones(kernel.size, dtype=kernel.dtype)
        if n_prune:
            mask[np.argsort(kernel, axis=None, kind="stable")[:n_prune]] = 0
        masks[layer.name] = mask.reshape(kernel.shape)
    return masks


def apply_masks(model, masks) -> None:
    for layer in _dense_layers(model):
        if layer.name in masks:
            layer.kernel.assign(np.asarray(layer.kernel) * masks[layer.name])


def sparsity(model) -> float:
    """Fraction of Dense kernel weights that are exactly zero."""
    kernels = [np.asarray(layer.kernel) for layer in _dense_layers(model)]
    return float(sum((k == 0).sum() for k in kernels) / sum(k.size for k in kernels))


class MagnitudePruning(keras.callbacks.Callback):
    """Prune Dense kernels to ``target`` sparsity, ramping up from epoch ``begin`` to ``end``.

    At the start of each epoch the sparsity s(e) = target * (1 - (1 - t)^3), t = (e - begin) /
    (end - begin) clipped to [0, 1], sets new masks from the current magnitudes; after every
    training batch the masked weights are set back to zero.
    """

    def __init__(self, target: float, begin: int = 0, end: int = 4):
        super().__init__()
        if not 0.0 <= target < 1.0:
            raise ValueError(f"target sparsity must be in [0, 1), got {target}")
        if end < begin:
            raise ValueError(f"end ({end}) must not come before begin ({begin})")
        self.target, self.begin, self.end = target, begin, end
        self.masks = {}

    def sparsity_at(self, epoch: int) -> float:
        t = 1.0 if self.end == self.begin else np.clip((epoch - self.begin) / (self.end - self.begin), 0.0, 1.0)
        return float(self.target * (1 - (1 - t) ** 3))

    def on_epoch_begin(self, epoch, logs=None):
        self.masks = magnitude_masks(self.model, self.sparsity_at(epoch))
        apply_masks(self.model, self.masks)

    def on_train_batch_end(self, batch, logs=None):
        apply_masks(self.model, self.masks)

    def on_train_end(self, logs=None):
        self.masks = magnitude_masks(self.model, self.sparsity_at(self.end))
        apply_masks(self.model, self.masks)
