"""EdgeConv layer and a ParticleNet-lite tagger (ParticleNet: Qu and Gouskos, arXiv:1902.08570;
EdgeConv / dynamic graph CNN: Wang et al., arXiv:1801.07829).

A jet is a point cloud: each particle looks at its k nearest neighbours, builds edge features
(x_i, x_j - x_i), passes them through a shared MLP and averages over the neighbours. As in
ParticleNet, the graph is dynamic: the first block finds neighbours in (eta, phi), every later
block in the feature space that the previous block learnt, so that particles that the network
finds alike become neighbours wherever they are in the jet. "Lite": two small blocks, no batch
normalisation or shortcut connections. Written with ``keras.ops`` only, so it runs on any
Keras 3 backend and saves in the ``.keras`` format.
"""

from __future__ import annotations

import keras
from keras import ops

from hepcourse.models.common import MaskedPooling, ParticleMask, compile_classifier

_FAR = 1e9  # added to squared distances of padded particles and of the particle itself


def _gather_neighbours(values, neighbours):
    """(B, N, C) values and (B, N, k) neighbour indices -> (B, N, k, C) neighbour values.

    One flat ``take`` with per-jet offsets: ``take_along_axis`` would first broadcast the
    values to (B, N, N, C), which is about ten times slower on a CPU.
    """
    n_jets, n_particles = ops.shape(values)[0], ops.shape(values)[1]
    flat_values = ops.reshape(values, (-1, ops.shape(values)[-1]))
    jet_offsets = ops.reshape(ops.arange(n_jets) * n_particles, (-1, 1, 1))
    return ops.take(flat_values, neighbours + ops.cast(jet_offsets, neighbours.dtype), axis=0)


@keras.saving.register_keras_serializable(package="hepcourse")
class EdgeConv(keras.layers.Layer):
    """Edge convolution over the k nearest neighbours.

    Inputs ``[points (B, N, D), features (B, N, F), mask (B, N, 1)]``: points are the
    coordinates used for the neighbour search (delta-eta, delta-phi), mask is 1 for real
    particles and 0 for padding. Output (B, N, channels[-1]), zero on padded particles.

    Neither a particle itself nor padded particles count as neighbours; when a jet has fewer
    than k + 1 real particles, the mean runs over the real neighbours only (a particle with
    none gets 0). With a static N <= k, k is reduced to N - 1.
    """

    def __init__(self, k=8, channels=(32, 32), activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.k, self.channels, self.activation = int(k), tuple(channels), activation
        self.mlp = [keras.layers.Dense(units, activation=activation) for units in self.channels]

    def build(self, input_shape):
        _, features_shape, _ = input_shape
        width = 2 * features_shape[-1]
        for dense in self.mlp:
            dense.build((None, None, None, width))
            width = dense.units

    def call(self, inputs):
        points, features, mask = inputs
        n_particles = ops.shape(points)[1]
        k = min(self.k, points.shape[1] - 1) if points.shape[1] is not None else self.k

        # squared distances (B, N, N) between particle i (row) and candidate neighbour j (column)
        offsets = ops.expand_dims(points, 2) - ops.expand_dims(points, 1)
        distances = ops.sum(ops.square(offsets), axis=-1)
        neighbour_is_padding = 1.0 - ops.transpose(mask, (0, 2, 1))  # (B, 1, N)
        distances = distances + _FAR * (neighbour_is_padding + ops.eye(n_particles, dtype=distances.dtype))
        negative_distances, neighbours = ops.top_k(-distances, k=k)  # (B, N, k)
        # neighbours found only among the _FAR-penalised ones (itself, padding) do not count
        is_real_neighbour = ops.cast(ops.expand_dims(negative_distances > -0.5 * _FAR, -1), self.compute_dtype)

        # edge features (x_i, x_j - x_i) through the shared MLP. The first Dense layer is linear
        # before its activation, W [x_i; x_j - x_i] + b = (W_i - W_j) x_i + W_j x_j + b, so it is
        # applied once per particle and the results are gathered per edge: the same numbers as
        # building the (B, N, k, 2F) edge tensor first, with k times fewer multiplications
        first = self.mlp[0]
        n_features = ops.shape(features)[-1]
        w_centre, w_neighbour = first.kernel[:n_features], first.kernel[n_features:]
        own = ops.matmul(features, w_centre - w_neighbour) + first.bias  # (B, N, C)
        other = ops.matmul(features, w_neighbour)  # (B, N, C)
        edges = first.activation(ops.expand_dims(own, 2) + _gather_neighbours(other, neighbours))
        for dense in self.mlp[1:]:
            edges = dense(edges)

        # mean over real neighbours only, then zero the output of padded particles
        summed = ops.sum(edges * is_real_neighbour, axis=2)
        return summed / ops.maximum(ops.sum(is_real_neighbour, axis=2), 1.0) * mask

    def compute_output_shape(self, input_shape):
        return (*input_shape[1][:-1], self.channels[-1])

    def get_config(self):
        return {**super().get_config(), "k": self.k, "channels": list(self.channels), "activation": self.activation}


def edgeconv_classifier(n_particles, n_features, k=8, channels=((32, 32), (64, 64)), dense=64, learning_rate=1e-3,
                        dynamic=True):
    """Return a compiled (Adam, binary cross-entropy, AUC) ParticleNet-lite with sigmoid output (n, 1).

    Input: (n, n_particles, n_features), zero-padded; the first two features must be the
    coordinates (delta-eta, delta-phi) used for the first neighbour search. All-zero rows are
    padding; ``n_particles=None`` accepts any padding length (then it must exceed k).
    One EdgeConv block per entry of ``channels``, then masked global average pooling and a Dense
    head. ``dynamic``: every block after the first finds its neighbours in the previous block's
    output features (ParticleNet's dynamic graph); ``False`` keeps the (eta, phi) graph throughout.
    """
    if n_features < 2:
        raise ValueError(f"n_features must be >= 2 (delta-eta, delta-phi first), got {n_features}")
    inputs = keras.Input(shape=(n_particles, n_features), name="particles")
    mask = ParticleMask(0.0, name="mask")(inputs)
    points = inputs[..., :2]
    x = inputs
    for block, block_channels in enumerate(channels):
        x = EdgeConv(k, block_channels, name=f"edgeconv_{block}")([points, x, mask])
        if dynamic:
            points = x  # the next block's neighbours: nearest in the features just learnt
    x = MaskedPooling("mean", name="average_over_particles")([x, mask])
    x = keras.layers.Dense(dense, activation="relu")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="score")(x)
    return compile_classifier(keras.Model(inputs, outputs, name="edgeconv_classifier"), learning_rate)
