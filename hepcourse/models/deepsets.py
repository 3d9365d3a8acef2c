"""Reference Particle Flow Network (Energy Flow Networks, Komiske et al., arXiv:1810.05165):
a Deep-Sets model on jet constituents, f(jet) = F(sum_i Phi(p_i)).

The sum makes the output independent of the particle order; zero-padded rows are masked out
of the sum, so the padding length does not change the output either.
"""

from __future__ import annotations

import keras

from hepcourse.models.common import MaskedPooling, ParticleMask, compile_classifier


def particle_flow_network(
    n_particles, n_features, phi_sizes=(64, 64, 64), f_sizes=(64, 64), mask_value=0.0, learning_rate=1e-3
):
    """Return a compiled (Adam, binary cross-entropy, AUC) PFN with sigmoid output (n, 1).

    Input: (n, n_particles, n_features), padded with rows equal to ``mask_value`` in every
    feature; ``n_particles=None`` accepts any padding length. Phi is a Dense stack applied
    to each particle, the latent vectors of real particles are summed, and F is a Dense stack
    on the sum.
    """
    inputs = keras.Input(shape=(n_particles, n_features), name="particles")
    mask = ParticleMask(mask_value, name="mask")(inputs)
    x = inputs
    for units in phi_sizes:
        x = keras.layers.Dense(units, activation="relu")(x)  # acts on each particle
    x = MaskedPooling("sum", name="sum_over_particles")([x, mask])
    for units in f_sizes:
        x = keras.layers.Dense(units, activation="relu")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="score")(x)
    return compile_classifier(keras.Model(inputs, outputs, name="particle_flow_network"), learning_rate)
