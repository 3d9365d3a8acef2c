"""Training a tagger that does not learn the jet mass (lecture 06): DisCo and gradient reversal.

* `distance_correlation_squared`: the weighted squared distance correlation of two batches in
  keras.ops, differentiable, so that it can be a term of a loss (the numpy version for
  evaluation is `hepcourse.metrics.distance_correlation_squared`; both equal
  ``dcor.distance_correlation_sqr`` for equal weights).
* `DisCoLoss`: binary cross-entropy + strength * dCor^2(score, mass) over the background of the
  batch (Kasieczka & Shih, arXiv:2001.05310).
* `GradientReversal`: identity forward, gradient times -strength backward, the layer between a
  classifier and a mass-predicting adversary (Ganin & Lempitsky, arXiv:1409.7495; used for
  decorrelation by Shimmin et al., arXiv:1703.03507; the minimax game of Louppe, Kagan, Cranmer,
  arXiv:1611.01046).
"""

from __future__ import annotations

import keras
from keras import ops


def _centred_distances(values, weights):
    """Weighted double-centred distance matrix of a 1-D batch (weights sum to 1)."""
    a = ops.abs(ops.expand_dims(values, 1) - ops.expand_dims(values, 0))
    row = ops.sum(a * ops.expand_dims(weights, 0), axis=1)  # sum_k w_k a_ik
    grand = ops.sum(row * weights)
    return a - ops.expand_dims(row, 1) - ops.expand_dims(row, 0) + grand


def distance_correlation_squared(x, y, weights=None, epsilon=1e-12):
    """Squared distance correlation of two batches, dCor^2 in [0, 1], as a keras.ops tensor.

    ``x`` and ``y`` are 1-D (an (n, 1) column is flattened); ``weights`` (n,), non-negative,
    are normalised to sum 1, so that a weight of zero removes a sample (e.g. ``1 - label`` keeps
    the background only). With A, B the weighted double-centred distance matrices of x and y
    (see `hepcourse.metrics.distance_correlation_squared` for the formulas),
    dCor^2 = sum_ij w_i w_j A_ij B_ij / sqrt(sum w w A A * sum w w B B).
    The denominator is floored at ``epsilon`` (in the units of x^2 y^2), so that a constant
    batch, a batch of one, or an all-zero weight vector gives 0 with finite gradients instead of
    NaN; the computation is float32 unless the inputs are float64. Memory is O(n^2) per batch.
    """
    x = ops.reshape(ops.convert_to_tensor(x), (-1,))
    dtype = "float64" if keras.backend.standardize_dtype(x.dtype) == "float64" else "float32"
    x = ops.cast(x, dtype)
    y = ops.cast(ops.reshape(ops.convert_to_tensor(y), (-1,)), dtype)
    if weights is None:
        weights = ops.ones_like(x)
    weights = ops.cast(ops.reshape(ops.convert_to_tensor(weights), (-1,)), dtype)
    weights = weights / ops.maximum(ops.sum(weights), ops.cast(epsilon, dtype))
    a = _centred_distances(x, weights)
    b = _centred_distances(y, weights)
    ww = ops.expand_dims(weights, 1) * ops.expand_dims(weights, 0)
    dcov = ops.sum(ww * a * b)
    dvar_x = ops.sum(ww * a * a)
    dvar_y = ops.sum(ww * b * b)
    return dcov / ops.sqrt(ops.maximum(dvar_x * dvar_y, ops.cast(epsilon, dtype)))


@keras.saving.register_keras_serializable(package="hepcourse")
class DisCoLoss(keras.losses.Loss):
    """Binary cross-entropy + ``strength`` * dCor^2(score, mass) on the background (arXiv:2001.05310).

    ``y_true`` has two columns, (label, mass), or three, (label, mass, weight): the label (1
    signal, 0 background) enters the cross-entropy, the mass only the decorrelation term, computed
    over the background jets of the batch (dCor weights 1 - label, times the third column when
    given, as the paper's per-event weights). The cross-entropy is returned per jet, so Keras'
    ``sample_weight`` weights it jet by jet (and scales the batch's penalty by the mean weight).
    ``strength`` is the paper's lambda: 0 gives the plain classifier, larger values trade
    rejection for a flatter background mass spectrum. Batches must be large enough to hold a few
    dozen background jets (dCor^2 of a small batch is biased upwards).
    """

    def __init__(self, strength=10.0, name="disco", **kwargs):
        super().__init__(name=name, **kwargs)
        self.strength = float(strength)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        if len(y_true.shape) != 2 or y_true.shape[1] not in (2, 3, None):
            raise ValueError(f"DisCoLoss needs y_true of shape (batch, 2) = (label, mass) or (batch, 3) = "
                             f"(label, mass, weight); got {y_true.shape}")
        label, mass = y_true[:, 0], y_true[:, 1]
        weights = 1.0 - label if y_true.shape[1] == 2 else (1.0 - label) * y_true[:, 2]
        score = ops.reshape(y_pred, (-1,))
        cross_entropy = keras.losses.binary_crossentropy(ops.expand_dims(label, 1), ops.expand_dims(score, 1))
        decorrelation = distance_correlation_squared(score, mass, weights=weights)
        # per jet: its cross-entropy plus the batch's penalty (the same for every jet of the batch)
        return cross_entropy + self.strength * decorrelation

    def get_config(self):
        return {**super().get_config(), "strength": self.strength}


def _reverse_gradient(x, strength):
    """x, with the gradient that flows back through it multiplied by -strength."""

    @ops.custom_gradient
    def reverse(values):
        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return ops.multiply(upstream, -strength)

        return ops.multiply(values, 1.0), grad

    return reverse(x)


@keras.saving.register_keras_serializable(package="hepcourse")
class GradientReversal(keras.layers.Layer):
    """Identity in the forward pass; multiplies the gradient by ``-strength`` in the backward pass.

    Placed between a classifier's output and an adversary that predicts the jet mass from it,
    one minimisation of (classifier loss + adversary loss) trains the adversary to predict the
    mass and, through the reversed gradient, the classifier to make that prediction fail: the
    minimax game of arXiv:1611.01046 in a single optimiser step. ``strength`` (lambda) sets how
    much the classifier cares; it is a weight of the layer's config, saved with the model.
    """

    def __init__(self, strength=1.0, **kwargs):
        super().__init__(**kwargs)
        self.strength = float(strength)

    def call(self, inputs):
        return _reverse_gradient(inputs, self.strength)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "strength": self.strength}
