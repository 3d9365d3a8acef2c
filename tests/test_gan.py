"""Tests of the conditional WGAN-GP (hepcourse.models.gan, trained with the WGAN-GP penalty and
losses defined in this test module: the package does not ship them, writing them is exercise 03):
the gradient penalty against its analytic value on a linear critic, the Wasserstein losses, that hepcourse.models does not export them (exercise 03),
the shared preprocessing, the networks' shapes and non-negativity, seeded determinism, and that
a few train steps change both networks."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from hepcourse.models.gan import (
    ConditionalWGAN,
    ShowerScaling,
    build_wgan,
    generate_showers,
    shower_critic,
    shower_generator,
)


def gradient_penalty(critic, real, fake, condition, epsilon=None):
    """WGAN-GP penalty (Gulrajani et al., arXiv:1704.00028): mean over the batch of
    (||grad_xhat critic(xhat)||_2 - 1)^2 at xhat = eps * real + (1 - eps) * fake, one eps per shower."""
    real = ops.convert_to_tensor(real)
    fake = ops.convert_to_tensor(fake, dtype=real.dtype)
    condition = ops.convert_to_tensor(condition, dtype=real.dtype)
    cell_axes = tuple(range(1, len(real.shape)))
    if epsilon is None:
        epsilon = keras.random.uniform((ops.shape(real)[0],) + (1,) * len(cell_axes), dtype=real.dtype)
    else:
        epsilon = ops.reshape(ops.convert_to_tensor(epsilon, dtype=real.dtype), (-1,) + (1,) * len(cell_axes))
    interpolates = epsilon * real + (1.0 - epsilon) * fake
    with tf.GradientTape() as tape:
        tape.watch(interpolates)
        scores = critic([interpolates, condition])
    gradients = tape.gradient(scores, interpolates)
    norms = ops.sqrt(ops.sum(ops.square(gradients), axis=cell_axes) + 1e-12)
    return ops.mean(ops.square(norms - 1.0))


def critic_loss(real_scores, fake_scores):
    """Critic's Wasserstein loss E[D(fake)] - E[D(real)]."""
    return ops.mean(fake_scores) - ops.mean(real_scores)


def generator_loss(fake_scores):
    """Generator's Wasserstein loss -E[D(fake)]."""
    return -ops.mean(fake_scores)

LOSSES = dict(gradient_penalty_fn=gradient_penalty, critic_loss_fn=critic_loss, generator_loss_fn=generator_loss)

pytestmark = pytest.mark.unit

SHAPE = (3, 4, 4)


def linear_critic(w, shape=SHAPE):
    """f([x, c]) = w . x (the condition ignored): its gradient is w everywhere."""
    w = tf.constant(np.asarray(w, "float32").reshape(shape))

    def critic(inputs):
        x, _ = inputs
        return tf.reduce_sum(x * w, axis=(1, 2, 3))[:, None]

    return critic


def random_showers(n, seed=0, shape=SHAPE):
    return np.random.default_rng(seed).exponential(size=(n, *shape)).astype("float32")


@pytest.mark.parametrize("scale", [0.05, 0.3, 1.0, 2.5])
def test_gradient_penalty_of_a_linear_critic_is_analytic(scale):
    w = np.random.default_rng(1).normal(size=SHAPE)
    w *= scale / np.linalg.norm(w)
    real, fake = random_showers(6, 2), random_showers(6, 3)
    gp = float(gradient_penalty(linear_critic(w), real, fake, np.zeros((6, 1), "float32")))
    assert gp == pytest.approx((scale - 1.0) ** 2, rel=1e-4, abs=1e-6)


def test_gradient_penalty_uses_interpolates():
    """A quadratic critic f(x) = sum(x^2)/2 has gradient x: the penalty depends on where it is
    evaluated, so it must equal the value at epsilon*real + (1-epsilon)*fake."""

    def critic(inputs):
        return 0.5 * tf.reduce_sum(inputs[0] ** 2, axis=(1, 2, 3))[:, None]

    real, fake = random_showers(5, 4), random_showers(5, 5)
    eps = np.linspace(0.1, 0.9, 5).astype("float32")
    xhat = eps[:, None, None, None] * real + (1 - eps[:, None, None, None]) * fake
    expected = np.mean((np.linalg.norm(xhat.reshape(5, -1), axis=1) - 1) ** 2)
    got = float(gradient_penalty(critic, real, fake, np.zeros((5, 1), "float32"), epsilon=eps))
    assert got == pytest.approx(expected, rel=1e-5)
    at_real = np.mean((np.linalg.norm(real.reshape(5, -1), axis=1) - 1) ** 2)
    assert got != pytest.approx(at_real, rel=1e-3)


def test_gradient_penalty_is_differentiable_in_the_critic_weights():
    critic = shower_critic(SHAPE, widths=(8,))
    real, fake = random_showers(4, 6), random_showers(4, 7)
    c = np.zeros((4, 1), "float32")
    with tf.GradientTape() as tape:
        gp = gradient_penalty(critic, real, fake, c)
    grads = dict(zip((w.path for w in critic.trainable_weights), tape.gradient(gp, critic.trainable_weights)))
    # the input gradient does not depend on the last bias; every kernel must get a gradient
    kernels = {path: g for path, g in grads.items() if path.endswith("kernel")}
    assert kernels and all(g is not None and float(tf.reduce_sum(tf.abs(g))) > 0 for g in kernels.values())


def test_wasserstein_losses():
    real, fake = np.array([[2.0], [4.0]]), np.array([[-1.0], [0.0]])
    assert float(critic_loss(real, fake)) == pytest.approx(-0.5 - 3.0)
    assert float(generator_loss(fake)) == pytest.approx(0.5)


def test_scaling_round_trip_and_condition_range():
    X = random_showers(10, 8)
    E = np.geomspace(1, 100, 10)
    scaling = ShowerScaling.fit(X, E)
    assert np.allclose(scaling.to_showers(scaling.to_network(X, E), E), X, rtol=1e-5)
    c = scaling.condition([1.0, 10.0, 100.0])
    assert c.shape == (3, 1) and np.allclose(c.ravel(), [-1, 0, 1])
    assert np.allclose(scaling.energies(c), [1, 10, 100])
    assert scaling.to_network(X, E).reshape(10, -1).max(axis=1).mean() == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize("bad, message", [
    (np.full((2, 3, 4, 4), np.nan), "NaN"),
    (-np.ones((2, 3, 4, 4)), "negative"),
    (np.ones((2, 4, 4)), "shape"),
])
def test_scaling_rejects_bad_showers(bad, message):
    with pytest.raises(ValueError, match=message):
        ShowerScaling().to_network(bad, np.ones(len(bad)))


def test_scaling_rejects_bad_energies():
    with pytest.raises(ValueError, match="positive"):
        ShowerScaling().condition([10.0, -1.0])
    with pytest.raises(ValueError, match="energy_range"):
        ShowerScaling(energy_range=(10.0, 1.0))


def test_generator_shapes_non_negative_and_seeded():
    keras.utils.set_random_seed(0)
    gen = shower_generator(SHAPE, latent_dim=8, widths=(16,))
    scaling = ShowerScaling(cell_scale=0.1)
    E = np.array([1.0, 5.0, 50.0])
    a = generate_showers(gen, scaling, E, seed=3)
    assert a.shape == (3, *SHAPE) and a.dtype == np.float32
    assert np.all(a >= 0) and np.any(a > 0)
    assert np.array_equal(a, generate_showers(gen, scaling, E, seed=3))
    assert not np.array_equal(a, generate_showers(gen, scaling, E, seed=4))
    keras.utils.set_random_seed(0)
    again = shower_generator(SHAPE, latent_dim=8, widths=(16,))
    assert np.array_equal(a, generate_showers(again, scaling, E, seed=3))


def test_critic_has_no_batch_norm_and_scores_per_shower():
    critic = shower_critic(SHAPE, widths=(8,))
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in critic.layers)
    scores = critic.predict([random_showers(5), np.zeros((5, 1), "float32")], verbose=0)
    assert scores.shape == (5, 1)


def test_train_steps_change_both_networks_and_log_losses():
    keras.utils.set_random_seed(1)
    gan = build_wgan(SHAPE, latent_dim=8, n_critic=2, learning_rate=1e-3, **LOSSES)
    x = random_showers(64, 9)
    c = np.random.default_rng(0).uniform(-1, 1, (64, 1)).astype("float32")
    gan.predict(c[:2], verbose=0)  # build
    before_g = [w.copy() for w in gan.generator.get_weights()]
    before_c = [w.copy() for w in gan.critic.get_weights()]
    history = gan.fit((x, c), batch_size=32, epochs=2, verbose=0)
    assert set(history.history) == {"critic_loss", "gp", "generator_loss"}
    assert all(np.all(np.isfinite(v)) for v in history.history.values())
    assert any(not np.array_equal(a, b) for a, b in zip(before_g, gan.generator.get_weights()))
    assert any(not np.array_equal(a, b) for a, b in zip(before_c, gan.critic.get_weights()))


def test_custom_loss_functions_are_used():
    """The model trains with the loss functions it is given (the exercise relies on it)."""
    calls = []

    def counting_gp(critic, real, fake, condition):
        calls.append("gp")
        return gradient_penalty(critic, real, fake, condition)

    keras.utils.set_random_seed(2)
    gan = ConditionalWGAN(shower_generator(SHAPE, 4, (8,)), shower_critic(SHAPE, (8,)), n_critic=1,
                          **{**LOSSES, "gradient_penalty_fn": counting_gp})
    gan.compile()
    gan.fit((random_showers(16), np.zeros((16, 1), "float32")), batch_size=16, epochs=1, verbose=0)
    assert calls, "the gradient penalty passed to ConditionalWGAN was not used"


def test_n_critic_must_be_positive():
    with pytest.raises(ValueError, match="n_critic"):
        ConditionalWGAN(shower_generator(SHAPE, 4, (8,)), shower_critic(SHAPE, (8,)), n_critic=0, **LOSSES)


def test_the_exercise_answers_are_not_exported_and_are_required():
    """Exercise 03 asks for the penalty and the losses: the package neither exports nor defaults them."""
    import hepcourse.models
    import hepcourse.models.gan as gan_module

    for name in ("gradient_penalty", "critic_loss", "generator_loss"):
        assert not hasattr(gan_module, name) and not hasattr(hepcourse.models, name), name
    with pytest.raises(TypeError, match="gradient_penalty_fn"):
        ConditionalWGAN(shower_generator(SHAPE, 4, (8,)), shower_critic(SHAPE, (8,)))


def test_generator_timing_and_budgets():
    from hepcourse.models.gan import generator_ms_per_shower, training_budget

    gen = shower_generator(SHAPE, latent_dim=4, widths=(8,))
    ms = generator_ms_per_shower(gen, batch=16, repeats=1, min_seconds=0.05)
    assert 0 < ms < 1000
    with pytest.raises(ValueError, match="batch"):
        generator_ms_per_shower(gen, batch=0)
    assert training_budget("quick")["epochs"] < training_budget("full")["epochs"]
    with pytest.raises(ValueError, match="profile"):
        training_budget("huge")
