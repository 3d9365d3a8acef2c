"""A conditional Wasserstein GAN with gradient penalty (WGAN-GP) for calorimeter showers.

The generator maps latent noise z and the incident energy (as a log-energy condition) to a
shower of non-negative cell energies; the critic scores a (shower, condition) pair. Training
follows Gulrajani et al., "Improved Training of Wasserstein GANs", arXiv:1704.00028: the critic
minimises  E[D(fake)] - E[D(real)] + lambda * E[(||grad_xhat D(xhat)|| - 1)^2]  on random
interpolates xhat between real and fake showers, with ``n_critic`` critic updates per generator
update and Adam(beta_1=0.5, beta_2=0.9); the critic has no batch normalisation (the penalty is
per sample). The physics use follows Erdmann, Glombitza, Quast, arXiv:1807.01954 and CaloGAN,
Paganini et al., arXiv:1712.10321.

``ShowerScaling`` is the one preprocessing shared by the lecture, the exercise and the
benchmark: cells are divided by the incident energy and by a fixed cell scale (so the hottest
cell is O(1) for the network), the condition is log(E) mapped linearly onto [-1, 1] over the
dataset's energy range. The generator works in that space; ``ShowerScaling.to_showers``
turns its output back into GeV.

The gradient penalty and the two Wasserstein losses are required arguments of
``ConditionalWGAN``: writing them is exercise 03, so this package does not export them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import numpy as np
from keras import ops


# ---- preprocessing --------------------------------------------------------------------------

@dataclass(frozen=True)
class ShowerScaling:
    """Showers (GeV) <-> network space: x = X / (E * cell_scale); c = log E mapped to [-1, 1].

    ``cell_scale`` is a fraction of the incident energy; ``fit`` sets it to the mean over the
    training showers of the largest cell's fraction of E, so that the hottest cell is about 1.
    """

    energy_range: tuple[float, float] = (1.0, 100.0)
    cell_scale: float = 1.0

    def __post_init__(self):
        low, high = self.energy_range
        if not (0 < low < high and math.isfinite(high)):
            raise ValueError(f"energy_range must be (low, high) with 0 < low < high, got {self.energy_range}")
        if not (self.cell_scale > 0 and math.isfinite(self.cell_scale)):
            raise ValueError(f"cell_scale must be a positive number, got {self.cell_scale}")

    @classmethod
    def fit(cls, showers, energies, energy_range=(1.0, 100.0)) -> "ShowerScaling":
        """The scaling whose cell_scale is the mean hottest-cell fraction of ``showers``."""
        showers, energies = check_showers(showers, energies)
        hottest = showers.reshape(len(showers), -1).max(axis=1) / energies
        return cls(energy_range=tuple(float(e) for e in energy_range), cell_scale=float(hottest.mean()))

    def condition(self, energies) -> np.ndarray:
        """(n,) energies in GeV -> (n, 1) float32 condition, -1 at the lowest energy, +1 at the highest."""
        energies = np.asarray(energies, dtype=np.float64).reshape(-1)
        if not np.all(np.isfinite(energies)) or np.any(energies <= 0):
            raise ValueError("energies must be finite and positive (GeV)")
        low, high = np.log(self.energy_range)
        return ((2 * np.log(energies) - (low + high)) / (high - low)).astype("float32")[:, None]

    def energies(self, condition) -> np.ndarray:
        """Inverse of ``condition``: (n, 1) or (n,) condition -> (n,) energies in GeV."""
        low, high = np.log(self.energy_range)
        c = np.asarray(condition, dtype=np.float64).reshape(-1)
        return np.exp(0.5 * (c * (high - low) + low + high))

    def to_network(self, showers, energies) -> np.ndarray:
        """(n, layers, y, x) showers in GeV -> float32 network inputs of the same shape."""
        showers, energies = check_showers(showers, energies)
        return (showers / (energies[:, None, None, None] * self.cell_scale)).astype("float32")

    def to_showers(self, x, energies) -> np.ndarray:
        """Network-space showers (n, layers, y, x) -> GeV."""
        x = np.asarray(x, dtype=np.float64)
        energies = np.asarray(energies, dtype=np.float64).reshape(-1)
        if x.ndim != 4 or len(x) != len(energies):
            raise ValueError(f"x must have shape (n, layers, y, x) with n = {len(energies)}, got {x.shape}")
        return (x * energies[:, None, None, None] * self.cell_scale).astype("float32")


def check_showers(showers, energies):
    """Validate a (n, layers, y, x) shower array and its (n,) energies; return float64 copies."""
    showers = np.asarray(showers, dtype=np.float64)
    energies = np.asarray(energies, dtype=np.float64).reshape(-1)
    if showers.ndim != 4:
        raise ValueError(f"showers must have shape (n, n_layers, n_cells, n_cells), got {showers.shape}")
    if len(showers) != len(energies):
        raise ValueError(f"{len(showers)} showers but {len(energies)} energies")
    if not np.all(np.isfinite(showers)):
        raise ValueError(f"showers contain {int(np.sum(~np.isfinite(showers)))} NaN/inf cells")
    if np.any(showers < 0):
        raise ValueError("showers contain negative cell energies; visible energies are >= 0")
    if not np.all(np.isfinite(energies)) or np.any(energies <= 0):
        raise ValueError("energies must be finite and positive (GeV)")
    return showers, energies


# ---- networks -------------------------------------------------------------------------------

def shower_generator(shower_shape, latent_dim=32, widths=(64, 128, 256), name="generator"):
    """Generator: [z (latent_dim,), condition (1,)] -> shower ``shower_shape`` (layers, y, x) >= 0.

    A dense network with LeakyReLU; the last layer is a ReLU so cells are non-negative and can
    be exactly zero (empty cells, as in the simulation).
    """
    shower_shape = tuple(int(s) for s in shower_shape)
    if len(shower_shape) != 3:
        raise ValueError(f"shower_shape must be (n_layers, n_cells, n_cells), got {shower_shape}")
    z = keras.Input((latent_dim,), name="z")
    c = keras.Input((1,), name="condition")
    h = keras.layers.Concatenate()([z, c])
    for width in widths:
        h = keras.layers.Dense(width)(h)
        h = keras.layers.LeakyReLU(0.2)(h)
    h = keras.layers.Dense(int(np.prod(shower_shape)), activation="relu", name="cells")(h)
    showers = keras.layers.Reshape(shower_shape, name="shower")(h)
    return keras.Model([z, c], showers, name=name)


@keras.saving.register_keras_serializable(package="hepcourse")
class EnergySums(keras.layers.Layer):
    """(B, layers, y, x) -> (B, layers + 1): the energy in each layer (the longitudinal
    profile) and their total, explicit critic inputs so that it judges them directly."""

    def call(self, showers):
        layers = ops.sum(showers, axis=(2, 3))
        return ops.concatenate([layers, ops.sum(layers, axis=1, keepdims=True)], axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] + 1)


def shower_critic(shower_shape, widths=(128, 64, 32), name="critic"):
    """Critic: [shower (layers, y, x), condition (1,)] -> (B, 1) unbounded score.

    No batch normalisation (the gradient penalty is defined per sample); LeakyReLU; besides
    the cells it sees the layer energies and their total, which a dense critic would
    otherwise have to learn to add up.
    """
    x = keras.Input(tuple(shower_shape), name="shower")
    c = keras.Input((1,), name="condition")
    h = keras.layers.Concatenate()([keras.layers.Flatten()(x), EnergySums()(x), c])
    for width in widths:
        h = keras.layers.Dense(width)(h)
        h = keras.layers.LeakyReLU(0.2)(h)
    score = keras.layers.Dense(1, name="score")(h)
    return keras.Model([x, c], score, name=name)


# ---- the model ------------------------------------------------------------------------------

class ConditionalWGAN(keras.Model):
    """Generator + critic trained as a WGAN-GP with ``fit((x, condition), ...)``.

    Each batch of real showers gives ``n_critic`` critic updates (fresh noise and fresh
    interpolates each time, on the same real batch, as in the Keras WGAN-GP example) and one
    generator update. ``fit`` logs ``critic_loss`` (the Wasserstein term alone: minus the
    critic's estimate of the W1 distance), ``gp`` and ``generator_loss``; callbacks, progress
    bars and ``validation_data`` are not needed beyond that. ``call(condition)`` generates.

    ``gradient_penalty_fn(critic, real, fake, condition)`` -> scalar,
    ``critic_loss_fn(real_scores, fake_scores)`` -> scalar and ``generator_loss_fn(fake_scores)``
    -> scalar are required: the WGAN-GP recipe is what exercise 03 asks students to write.
    """

    def __init__(self, generator, critic, latent_dim=None, n_critic=5, gp_weight=10.0, *,
                 gradient_penalty_fn, critic_loss_fn, generator_loss_fn, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.critic = critic
        self.latent_dim = int(latent_dim or generator.inputs[0].shape[-1])
        if int(n_critic) < 1:
            raise ValueError(f"n_critic must be >= 1, got {n_critic}")
        self.n_critic = int(n_critic)
        self.gp_weight = float(gp_weight)
        self.gradient_penalty_fn = gradient_penalty_fn
        self.critic_loss_fn = critic_loss_fn
        self.generator_loss_fn = generator_loss_fn
        self._trackers = {name: keras.metrics.Mean(name=name) for name in ("critic_loss", "gp", "generator_loss")}

    def compile(self, generator_optimizer=None, critic_optimizer=None, learning_rate=1e-4, **kwargs):
        """Adam(lr, beta_1=0.5, beta_2=0.9) for both networks unless other optimizers are given."""
        super().compile(**kwargs)
        self.generator_optimizer = generator_optimizer or keras.optimizers.Adam(learning_rate, beta_1=0.5, beta_2=0.9)
        self.critic_optimizer = critic_optimizer or keras.optimizers.Adam(learning_rate, beta_1=0.5, beta_2=0.9)

    @property
    def metrics(self):
        return list(self._trackers.values())

    def call(self, condition, training=False):
        condition = ops.convert_to_tensor(condition)
        z = keras.random.normal((ops.shape(condition)[0], self.latent_dim))
        return self.generator([z, condition], training=training)

    def train_step(self, data):
        import tensorflow as tf

        real, condition = data[0] if isinstance(data[0], tuple) else data[:2]
        batch = tf.shape(real)[0]
        for _ in range(self.n_critic):
            z = keras.random.normal((batch, self.latent_dim))
            with tf.GradientTape() as tape:
                fake = self.generator([z, condition], training=True)
                real_scores = self.critic([real, condition], training=True)
                fake_scores = self.critic([fake, condition], training=True)
                w_loss = self.critic_loss_fn(real_scores, fake_scores)
                gp = self.gradient_penalty_fn(self.critic, real, fake, condition)
                loss = w_loss + self.gp_weight * gp
            grads = tape.gradient(loss, self.critic.trainable_weights)
            self.critic_optimizer.apply_gradients(zip(grads, self.critic.trainable_weights))
        z = keras.random.normal((batch, self.latent_dim))
        with tf.GradientTape() as tape:
            fake = self.generator([z, condition], training=True)
            g_loss = self.generator_loss_fn(self.critic([fake, condition], training=True))
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.generator_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        for name, value in (("critic_loss", w_loss), ("gp", gp), ("generator_loss", g_loss)):
            self._trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self._trackers.items()}


def generate_showers(generator, scaling, energies, seed=0, batch_size=1024):
    """Showers in GeV, (n, layers, y, x), from ``generator`` at the given energies (seeded noise)."""
    energies = np.asarray(energies, dtype=np.float64).reshape(-1)
    condition = scaling.condition(energies)
    latent_dim = int(generator.inputs[0].shape[-1])
    z = np.random.default_rng(seed).standard_normal((len(energies), latent_dim)).astype("float32")
    x = generator.predict([z, condition], batch_size=batch_size, verbose=0)
    return scaling.to_showers(x, energies)


def build_wgan(shower_shape, latent_dim=32, n_critic=5, gp_weight=10.0, learning_rate=1e-4, **loss_fns):
    """``shower_generator`` + ``shower_critic`` in a compiled ``ConditionalWGAN``.

    ``loss_fns``: ``gradient_penalty_fn``, ``critic_loss_fn`` and ``generator_loss_fn`` (required).
    """
    gan = ConditionalWGAN(shower_generator(shower_shape, latent_dim), shower_critic(shower_shape),
                          latent_dim=latent_dim, n_critic=n_critic, gp_weight=gp_weight, **loss_fns)
    gan.compile(learning_rate=learning_rate)
    return gan


def generator_ms_per_shower(generator, batch, device="/CPU:0", repeats=3, min_seconds=0.5, seed=0):
    """Median (over ``repeats``) milliseconds per shower of a compiled generator forward pass.

    The pass runs at ``batch`` showers on ``device`` ("/CPU:0", or a GPU name from
    ``tf.config.list_logical_devices("GPU")``) as often as fits in ``min_seconds``, after one
    warm-up call (tracing); ``.numpy()`` waits for the result and copies it to the host, as a
    user of the showers would. The time depends on the architecture, not on the weights.
    """
    import statistics
    import time

    import tensorflow as tf

    if int(batch) < 1 or int(repeats) < 1:
        raise ValueError(f"batch and repeats must be >= 1, got {batch}, {repeats}")
    latent_dim = int(generator.inputs[0].shape[-1])
    with tf.device(device):
        rng = np.random.default_rng(seed)
        z = tf.constant(rng.standard_normal((int(batch), latent_dim)).astype("float32"))
        c = tf.constant(rng.uniform(-1, 1, (int(batch), 1)).astype("float32"))
        forward = tf.function(lambda z, c: generator([z, c], training=False))
        forward(z, c).numpy()
        times = []
        for _ in range(int(repeats)):
            calls, start = 0, time.perf_counter()
            while True:
                forward(z, c).numpy()
                calls += 1
                elapsed = time.perf_counter() - start
                if elapsed >= min_seconds:
                    break
            times.append(elapsed / (calls * int(batch)) * 1e3)
    return statistics.median(times)


def training_budget(profile=None) -> dict:
    """{"epochs", "batch_size", "learning_rate"} of the lecture's GAN for a profile (default: active).

    Read from the profile table (`hepcourse.config.TABLE`, entry "lectures/03_generative").
    """
    from hepcourse import config

    return dict(config.settings("lectures/03_generative", profile).gan)
