"""The graders' reference WGAN-GP functions of exercise 03 (not part of the student-facing API).

Exercise 03 asks students to write the gradient penalty and the Wasserstein losses of WGAN-GP
(Gulrajani et al., arXiv:1704.00028); `hepcourse.models.gan.ConditionalWGAN` takes them as
required arguments. These references are what the hidden tests compare with (under
`hepcourse.instructor.guards.own_code`, so that calling them fails), what task 3 of the exercise
falls back to where a student's function fails its checks, and what the unit tests train with.
"""

from __future__ import annotations

import keras
from keras import ops


def gradient_penalty(critic, real, fake, condition, epsilon=None):
    """WGAN-GP penalty: mean over the batch of (||grad_xhat critic(xhat)||_2 - 1)^2.

    xhat = epsilon * real + (1 - epsilon) * fake with one epsilon ~ U(0, 1) per shower
    (or the given ``epsilon``, shape (B,) or broadcastable to the showers); the norm runs over
    all cells of a shower. ``critic`` is called as ``critic([xhat, condition])``.
    """
    import tensorflow as tf

    real = ops.convert_to_tensor(real)
    fake = ops.convert_to_tensor(fake, dtype=real.dtype)
    condition = ops.convert_to_tensor(condition, dtype=real.dtype)
    batch = ops.shape(real)[0]
    cell_axes = tuple(range(1, len(real.shape)))
    if epsilon is None:
        epsilon = keras.random.uniform((batch,) + (1,) * len(cell_axes), dtype=real.dtype)
    else:
        epsilon = ops.convert_to_tensor(epsilon, dtype=real.dtype)
        if len(epsilon.shape) == 1:
            epsilon = ops.reshape(epsilon, (-1,) + (1,) * len(cell_axes))
    interpolates = epsilon * real + (1.0 - epsilon) * fake
    with tf.GradientTape() as tape:
        tape.watch(interpolates)
        scores = critic([interpolates, condition])
    gradients = tape.gradient(scores, interpolates)
    norms = ops.sqrt(ops.sum(ops.square(gradients), axis=cell_axes) + 1e-12)
    return ops.mean(ops.square(norms - 1.0))


def critic_loss(real_scores, fake_scores):
    """Critic's Wasserstein loss E[D(fake)] - E[D(real)]: minus the estimated W1 distance."""
    return ops.mean(fake_scores) - ops.mean(real_scores)


def generator_loss(fake_scores):
    """Generator's Wasserstein loss -E[D(fake)]: fakes should score like real showers."""
    return -ops.mean(fake_scores)
