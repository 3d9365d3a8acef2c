"""Exercise 03: correct answers written differently, plausible mistakes (each losing only its own
task's points: when graded, task 3 trains with the graders' functions, defined in a hidden test, in
place of any that fails the checks of tasks 1 and 2), and careless training answers that the graded
thresholds must reject."""

from exercise_variants import Variant, answered, combined, edit_cell, replaced

TOTAL = 9

_GP_TF = '''
import sys

def gradient_penalty(critic, real, fake, condition, epsilon=None):
    """WGAN-GP penalty written with TensorFlow functions; it also reports on stderr."""
    real = tf.cast(real, tf.float32)
    fake = tf.cast(fake, tf.float32)
    condition = tf.cast(condition, tf.float32)
    if epsilon is None:
        epsilon = tf.random.uniform(tf.shape(real)[:1])
    epsilon = tf.reshape(tf.cast(epsilon, tf.float32), [-1, 1, 1, 1])
    xhat = fake + epsilon * (real - fake)
    with tf.GradientTape() as tape:
        tape.watch(xhat)
        total = tf.reduce_sum(critic([xhat, condition], training=True))
    grads = tape.gradient(total, xhat)
    norms = tf.norm(tf.reshape(grads, [tf.shape(grads)[0], -1]), axis=1)
    print("gradient_penalty: traced", file=sys.stderr)
    return tf.reduce_mean((norms - 1.0) ** 2)
'''

_LOSSES_OPS = '''
import warnings


def critic_loss(real_scores, fake_scores):
    warnings.warn("critic_loss: scores are assumed to have shape (B, 1)")
    return ops.mean(ops.convert_to_tensor(fake_scores) - ops.convert_to_tensor(real_scores))


def generator_loss(fake_scores):
    return -tf.reduce_mean(tf.cast(fake_scores, tf.float32))
'''

_GP_EPS_ONE_MINUS = '''
def gradient_penalty(critic, real, fake, condition, epsilon=None):
    real = ops.convert_to_tensor(real, dtype="float32")
    fake = ops.convert_to_tensor(fake, dtype="float32")
    condition = ops.convert_to_tensor(condition, dtype="float32")
    if epsilon is None:
        epsilon = keras.random.uniform((ops.shape(real)[0], 1, 1, 1))
    epsilon = ops.reshape(ops.convert_to_tensor(epsilon, dtype="float32"), (-1, 1, 1, 1))
    interpolates = epsilon * real + (1.0 - epsilon) * fake
    with tf.GradientTape() as tape:
        tape.watch(interpolates)
        scores = critic([interpolates, condition])
    gradients = tape.gradient(scores, interpolates)
    squared = ops.sum(ops.reshape(ops.square(gradients), (ops.shape(gradients)[0], -1)), axis=1)
    return ops.mean((ops.sqrt(squared + 1e-12) - 1.0) ** 2)
'''

_GP_LINE = "epsilon = keras.random.uniform((ops.shape(real)[0],))"
_GP_RETURN = "return ops.mean(ops.square(norms - 1.0))"

CORRECT = {
    "tensorflow penalty that prints to stderr": Variant(
        answered("gradient_penalty", _GP_TF),
        "the penalty with tf.random.uniform, fake + eps (real - fake), the gradient of the summed scores and "
        "tf.norm, printing to stderr while it is traced: another valid formulation, and stderr costs nothing"),
    "losses as a mean of differences, one warns": Variant(
        answered("losses", _LOSSES_OPS),
        "critic loss as ops.mean(fake - real) (which warns), generator loss with tf.reduce_mean: the same values"),
    "eps drawn as (B, 1, 1, 1), norms from a flattened gradient": Variant(
        answered("gradient_penalty", _GP_EPS_ONE_MINUS),
        "eps drawn directly in the broadcast shape (B, 1, 1, 1), the norm over the flattened cells"),
}

WRONG = {
    "one eps for the whole batch": Variant(
        replaced("gradient_penalty", _GP_LINE, "epsilon = keras.random.uniform(())"),
        "all showers of a batch interpolated at the same fraction eps: WGAN-GP draws one per real/fake pair; "
        "the penalty is right for a given epsilon, so only task 1b's check of the drawn eps fails",
        loses={"test_gp_interpolates": 2}),
    "penalty of the squared norm": Variant(
        replaced("gradient_penalty", _GP_RETURN, "return ops.mean(ops.square(norms))"),
        "||grad||^2 instead of (||grad|| - 1)^2: it pulls the gradient to 0, not to 1 (task 3 trains with "
        "the graders' penalty)",
        loses={"test_gp_linear": 1, "test_gp_interpolates": 2}),
    "penalty without the square": Variant(
        replaced("gradient_penalty", _GP_RETURN, "return ops.mean(norms - 1.0)"),
        "mean of ||grad|| - 1 without the square: it rewards gradients below 1 instead of penalising them",
        loses={"test_gp_linear": 1, "test_gp_interpolates": 2}),
    "critic loss sign": Variant(
        replaced("losses", "return ops.mean(fake_scores) - ops.mean(real_scores)",
                 "return ops.mean(real_scores) - ops.mean(fake_scores)"),
        "the critic loss as E[D(real)] - E[D(fake)], the W1 estimate instead of its negative (task 3 trains "
        "with the graders' critic loss)",
        loses={"test_critic_loss": 1}),
    "generator loss sign": Variant(
        replaced("losses", "return -ops.mean(fake_scores)", "return ops.mean(fake_scores)"),
        "the generator loss as +E[D(fake)]: fakes pushed towards low critic scores",
        loses={"test_generator_loss": 1}),
    "generator loss calls the graders' function": Variant(
        replaced("losses", "    return -ops.mean(fake_scores)",
                 "    graders = globals().get(\"_graders_wgan_functions\")  # the hidden test's name, when graded\n"
                 "    if graders:\n        return graders[\"generator_loss\"](fake_scores)\n"
                 "    return -ops.mean(fake_scores)"),
        "a generator loss that hands over to the graders' function where it exists (only when graded): the "
        "hidden test disables that function while it calls yours, so the task's point is lost",
        loses={"test_generator_loss": 1}),
    "task 1 skipped": Variant(
        replaced("gradient_penalty", "    real = ops.convert_to_tensor(real, dtype=\"float32\")\n",
                 "    raise NotImplementedError()\n    real = ops.convert_to_tensor(real, dtype=\"float32\")\n"),
        "the gradient penalty left as released (raises NotImplementedError): task 3 trains with the "
        "graders' penalty, so only task 1's points are lost",
        loses={"test_gp_linear": 1, "test_gp_interpolates": 2}),
}


def _critic_loss_sign_trained(source_nb):
    """The critic loss with the wrong sign, and the training given the student's functions directly
    (not ``training_functions``): the critic rewards fakes, the generator runs away from real showers."""
    return combined(WRONG["critic loss sign"].make,
                    replaced("train_gan", "**training_functions)",
                             "gradient_penalty_fn=gradient_penalty,\n"
                             "                      critic_loss_fn=critic_loss, generator_loss_fn=generator_loss)"))(source_nb)


def _generator_loss_sign_trained(source_nb):
    """The generator loss with the wrong sign, passed directly to the training."""
    return combined(WRONG["generator loss sign"].make,
                    replaced("train_gan", "**training_functions)",
                             "gradient_penalty_fn=gradient_penalty,\n"
                             "                      critic_loss_fn=critic_loss, generator_loss_fn=generator_loss)"))(source_nb)


def _learning_rate_too_large(source_nb):
    """Adam at a learning rate of 1e-2 "to train faster": the training runs away, the generated
    showers fluctuate many times more than the simulated ones (and their response is off)."""
    return edit_cell(source_nb, "train_gan", "gan.compile(learning_rate=1e-3)", "gan.compile(learning_rate=1e-2)")


CARELESS = {"critic loss sign": _critic_loss_sign_trained, "generator loss sign": _generator_loss_sign_trained,
            "learning rate 1e-2": _learning_rate_too_large}
