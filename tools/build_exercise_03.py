"""Writes solutions/03_generative/03_generative.ipynb (the nbgrader source).

The notebook is kept in git; this script is how it was written and how to rewrite it after an
edit here (cells and their nbgrader metadata are defined in one place, so ids and points
cannot drift). Run: python tools/build_exercise_03.py
"""

from pathlib import Path

from hepcourse.instructor.authoring import code, locked, md, solution, tests, write_source
from hepcourse.instructor.sandbox import Limits

ASSIGNMENT = "03_generative"
LIMITS = Limits()  # what `hepcourse grade` enforces by default; stated in the notebook
N_TRAIN = 1500  # training showers of task 3 (quick-profile training split)
EPOCHS = 6  # task 3's budget: about 15 s on one core
FACTOR_TARGET = 4.0  # the trained generator's response distance must fall by this factor ...
FACTOR_PARTIAL = 2.0  # ... (or by this one for 1 of 3 points)

NO_REFERENCE = '''
import hepcourse.models.gan as _reference

def _forbidden(*args, **kwargs):
    raise AssertionError("this task must be solved by your own code, not by calling hepcourse.models.gan")

def _call_without_reference(function, *args, **kwargs):
    names = ("gradient_penalty", "critic_loss", "generator_loss")
    saved = {name: getattr(_reference, name) for name in names}
    assert function not in saved.values() and not any(
        value in saved.values() for value in function.__globals__.values() if callable(value)
    ), "this task must be solved by your own code, not by importing it from hepcourse.models.gan"
    try:
        for name in names:
            setattr(_reference, name, _forbidden)
        return function(*args, **kwargs)
    finally:
        for name, value in saved.items():
            setattr(_reference, name, value)
'''

cells = [
    md(f"""
# Exercise 03: the Wasserstein GAN with gradient penalty

You write the three functions that make a GAN a **WGAN-GP** (Gulrajani et al., arXiv:1704.00028)
and train the lecture's conditional shower generator with them.

**What is graded** (8 points, autograded):

| task | what you write | points |
|---|---|---|
| 1a | `gradient_penalty` - the analytic value for a linear critic | 1 |
| 1b | `gradient_penalty` - evaluated on the interpolates between real and fake showers | 2 |
| 2a | `critic_loss` - the critic's Wasserstein loss | 1 |
| 2b | `generator_loss` - the generator's Wasserstein loss | 1 |
| 3 | train the GAN with your functions: the distance of its energy response to the simulation falls by {FACTOR_TARGET:.0f}x ({FACTOR_PARTIAL:.0f}x gives 1 of 3 points) | 3 |

Each test cell is worth its points on its own, so a task you skip costs only its own points.
Cells marked *read-only* are the tests; hidden tests run when your notebook is graded.

**Limits**: the grader (`hepcourse grade`) runs the whole notebook from the top in a sandbox
that holds only this notebook's folder and the course data, with no network, on one or two
CPU cores: at most {LIMITS.wall_s / 60:.0f} minutes for the notebook, {LIMITS.cell_s / 60:.0f} minutes for one cell and
{LIMITS.memory_bytes / 2**30:.0f} GB of memory. A cell that runs past its limit is stopped and
scores 0, as do the cells after a crash. The reference solution needs well under a minute.

**Before you submit**: *Kernel > Restart & Run All*, then click **Validate** in the notebook
toolbar (or run `hepcourse validate 03_generative.ipynb` in a terminal): it runs the
notebook with its visible tests and tells you what fails.

Write your code only where it says `YOUR CODE HERE` (delete the `raise NotImplementedError()`).
Do not call `hepcourse.models.gan.gradient_penalty`, `critic_loss` or `generator_loss`: they are
the reference the graders compare with. Use TensorFlow (`tf.GradientTape`) and `keras.ops`:
your functions run inside the compiled training step.
"""),
    md("""
## Setup

Electron showers from the course's calorimeter simulation (`hepcourse.data.showers`, lecture
03): 22 layers of 11 x 11 silicon cells, energies in GeV, incident energies log-uniform in
1-100 GeV. `ShowerScaling` is the lecture's preprocessing: each shower is divided by its
incident energy (and by a fixed cell scale, so the hottest cell is about 1), and the incident
energy becomes the condition c = log E mapped onto [-1, 1].
"""),
    locked(code(f"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from hepcourse.data import showers
from hepcourse.models.gan import ConditionalWGAN, ShowerScaling, generate_showers, shower_critic, shower_generator
from hepcourse.physics import shower_validation

SEED = 0  # seeds every random step of the graded training, so that a rerun grades the same
keras.utils.set_random_seed(SEED)
EPOCHS = {EPOCHS}  # the training budget of task 3: the grader runs every student's notebook
X_train, E_train = showers.load({N_TRAIN}, split="train")
X_val, E_val = showers.load(800, split="val")
SHAPE = X_train.shape[1:]
scaling = ShowerScaling.fit(X_train, E_train)
x_train, c_train = scaling.to_network(X_train, E_train), scaling.condition(E_train)
print(f"{{len(X_train)}} training showers of shape {{SHAPE}}, {{len(X_val)}} validation showers; "
      f"cell scale {{scaling.cell_scale:.2e}} of E")
"""), "setup"),
    md("""
## Task 1: the gradient penalty (3 points)

A Wasserstein critic must be 1-Lipschitz. WGAN-GP enforces it softly: on random points
x&#770; = eps * real + (1 - eps) * fake between a real and a fake shower (one eps ~ U(0, 1) per
shower), it penalises

$$ \\mathrm{GP} = \\mathbb{E}\\left[\\left(\\lVert \\nabla_{\\hat x}\\, D(\\hat x, c) \\rVert_2 - 1\\right)^2\\right], $$

the norm running over all 22 x 11 x 11 cells of a shower and the mean over the batch.

Write `gradient_penalty(critic, real, fake, condition, epsilon=None)`:

* `real`, `fake`: showers `(B, 22, 11, 11)`; `condition`: `(B, 1)`; `critic([showers, condition])`
  returns scores `(B, 1)`.
* `epsilon`: one number per shower, shape `(B,)`; when `None`, draw it with
  `keras.random.uniform` (use `ops.shape(real)[0]` for the batch size: it is unknown while the
  training step is compiled).
* Take the gradient of the scores with respect to the interpolates with `tf.GradientTape`
  (`tape.watch(interpolates)`), and return a scalar tensor.
"""),
    solution('''
def gradient_penalty(critic, real, fake, condition, epsilon=None):
    """WGAN-GP penalty: mean over showers of (||d critic / d xhat||_2 - 1)^2 at the interpolates xhat."""
    ### BEGIN SOLUTION
    real = ops.convert_to_tensor(real, dtype="float32")
    fake = ops.convert_to_tensor(fake, dtype="float32")
    condition = ops.convert_to_tensor(condition, dtype="float32")
    if epsilon is None:
        epsilon = keras.random.uniform((ops.shape(real)[0],))
    epsilon = ops.reshape(ops.convert_to_tensor(epsilon, dtype="float32"), (-1, 1, 1, 1))
    interpolates = epsilon * real + (1.0 - epsilon) * fake
    with tf.GradientTape() as tape:
        tape.watch(interpolates)
        scores = critic([interpolates, condition])
    gradients = tape.gradient(scores, interpolates)
    norms = ops.sqrt(ops.sum(ops.square(gradients), axis=(1, 2, 3)) + 1e-12)
    return ops.mean(ops.square(norms - 1.0))
    ### END SOLUTION
''', "gradient_penalty"),
    tests('''
# A linear critic D(x) = w.x has the gradient w everywhere: GP = (||w|| - 1)^2 exactly.
rng = np.random.default_rng(1)
real_toy = rng.exponential(size=(6, *SHAPE)).astype("float32")
fake_toy = rng.exponential(size=(6, *SHAPE)).astype("float32")
c_toy = np.zeros((6, 1), "float32")
for norm_w in (0.3, 2.0):
    w = rng.normal(size=SHAPE)
    w = tf.constant((w * norm_w / np.linalg.norm(w)).astype("float32"))
    linear_critic = lambda inputs: tf.reduce_sum(inputs[0] * w, axis=(1, 2, 3))[:, None]
    gp_toy = float(gradient_penalty(linear_critic, real_toy, fake_toy, c_toy))
    expected = (norm_w - 1.0) ** 2
    assert abs(gp_toy - expected) < 1e-4, (
        f"for a linear critic with ||w|| = {norm_w} the gradient norm is {norm_w} everywhere, so the "
        f"penalty is ({norm_w} - 1)^2 = {expected:.3f}; you returned {gp_toy:.4f}. "
        f"(||w||^2 = {norm_w ** 2:.3f} means the -1 is missing; {abs(norm_w - 1):.3f} the square.)")
print("linear critic: penalty = (||w|| - 1)^2, as it must be")
### BEGIN HIDDEN TESTS
''' + NO_REFERENCE + '''
w_hidden = tf.constant(rng.normal(size=SHAPE).astype("float32") * 0.01)
hidden_linear = lambda inputs: tf.reduce_sum(inputs[0] * w_hidden, axis=(1, 2, 3))[:, None]
mine = float(_call_without_reference(gradient_penalty, hidden_linear, real_toy, fake_toy, c_toy))
assert abs(mine - (float(tf.norm(w_hidden)) - 1.0) ** 2) < 1e-4
### END HIDDEN TESTS
''', "test_gp_linear", 1),
    tests('''
# A quadratic critic D(x) = sum(x^2)/2 has the gradient x: the penalty depends on WHERE it is
# evaluated, so it tells whether you used the interpolates eps*real + (1-eps)*fake.
quadratic_critic = lambda inputs: 0.5 * tf.reduce_sum(inputs[0] ** 2, axis=(1, 2, 3))[:, None]
eps_toy = np.linspace(0.1, 0.9, 6).astype("float32")
small_real, small_fake = 0.02 * real_toy, 0.02 * fake_toy
xhat = eps_toy[:, None, None, None] * small_real + (1 - eps_toy[:, None, None, None]) * small_fake
expected = np.mean((np.linalg.norm(xhat.reshape(6, -1), axis=1) - 1) ** 2)
gp_toy = float(gradient_penalty(quadratic_critic, small_real, small_fake, c_toy, epsilon=eps_toy))
at_real = np.mean((np.linalg.norm(small_real.reshape(6, -1), axis=1) - 1) ** 2)
at_fake = np.mean((np.linalg.norm(small_fake.reshape(6, -1), axis=1) - 1) ** 2)
assert abs(gp_toy - expected) < 1e-4 * max(1.0, expected), (
    f"with D(x) = sum(x^2)/2 the penalty at the interpolates is {expected:.4f}, you returned {gp_toy:.4f} "
    f"(at the real showers it would be {at_real:.4f}, at the fakes {at_fake:.4f}): "
    f"interpolate each shower with its own eps, eps*real + (1-eps)*fake, and differentiate there")
gp_random = gradient_penalty(quadratic_critic, small_real, small_fake, c_toy)
assert tuple(gp_random.shape) == (), f"the penalty must be one number (a scalar tensor), got shape {tuple(gp_random.shape)}"
print(f"quadratic critic: penalty at the interpolates = {gp_toy:.4f}, as expected")
### BEGIN HIDDEN TESTS
''' + NO_REFERENCE + '''
keras.utils.set_random_seed(7)
hidden_critic = shower_critic(SHAPE, widths=(32, 16))
hidden_real = scaling.to_network(X_val[:16], E_val[:16])
hidden_fake = np.random.default_rng(3).exponential(0.05, size=hidden_real.shape).astype("float32")
hidden_c = scaling.condition(E_val[:16])
hidden_eps = np.random.default_rng(4).uniform(size=16).astype("float32")
mine = float(_call_without_reference(gradient_penalty, hidden_critic, hidden_real, hidden_fake, hidden_c, epsilon=hidden_eps))
ref = float(_reference.gradient_penalty(hidden_critic, hidden_real, hidden_fake, hidden_c, epsilon=hidden_eps))
assert abs(mine - ref) < 1e-4 * max(1.0, abs(ref)), (mine, ref)
values = [float(gradient_penalty(quadratic_critic, small_real, small_fake, c_toy)) for _ in range(3)]
assert len(set(values)) > 1, "without epsilon the interpolation must be random"
### END HIDDEN TESTS
''', "test_gp_interpolates", 2),
    md("""
## Task 2: the Wasserstein losses (2 points)

The critic estimates the Wasserstein-1 distance as E[D(real)] - E[D(fake)] and *maximises* it;
as a loss to minimise, `critic_loss(real_scores, fake_scores)` returns its negative (the
penalty is added separately, by the training step). The generator wants its fakes to score
like real showers: `generator_loss(fake_scores)` is -E[D(fake)]. Both return scalar tensors;
scores have shape `(B, 1)`.
"""),
    solution('''
def critic_loss(real_scores, fake_scores):
    """The critic's loss: minus its estimate of the Wasserstein distance."""
    ### BEGIN SOLUTION
    return ops.mean(fake_scores) - ops.mean(real_scores)
    ### END SOLUTION


def generator_loss(fake_scores):
    """The generator's loss: fakes should get high critic scores."""
    ### BEGIN SOLUTION
    return -ops.mean(fake_scores)
    ### END SOLUTION
''', "losses"),
    tests('''
real_scores = np.array([[2.0], [4.0]], "float32")
fake_scores = np.array([[-1.0], [0.0]], "float32")
loss_toy = float(critic_loss(real_scores, fake_scores))
assert abs(loss_toy - (-3.5)) < 1e-6, (
    f"real showers scoring 2 and 4, fakes -1 and 0: the critic's W1 estimate is 3 - (-0.5) = 3.5 and its "
    f"loss -3.5 (it minimises the loss); you returned {loss_toy:.3f}"
    + (": the sign is flipped, your critic would learn to call fakes real" if abs(loss_toy - 3.5) < 1e-6 else ""))
### BEGIN HIDDEN TESTS
''' + NO_REFERENCE + '''
r = np.random.default_rng(5).normal(size=(50, 1)).astype("float32")
f = np.random.default_rng(6).normal(size=(50, 1)).astype("float32") - 1.0
assert abs(float(_call_without_reference(critic_loss, r, f)) - (f.mean() - r.mean())) < 1e-5
### END HIDDEN TESTS
''', "test_critic_loss", 1),
    tests('''
loss_toy = float(generator_loss(fake_scores))
assert abs(loss_toy - 0.5) < 1e-6, (
    f"fakes scoring -1 and 0 (mean -0.5): the generator's loss -E[D(fake)] is 0.5; you returned {loss_toy:.3f}"
    + (": the sign is flipped, your generator would make its showers look less real" if abs(loss_toy + 0.5) < 1e-6 else ""))
### BEGIN HIDDEN TESTS
''' + NO_REFERENCE + '''
f = np.random.default_rng(7).normal(size=(50, 1)).astype("float32") + 2.0
assert abs(float(_call_without_reference(generator_loss, f)) + f.mean()) < 1e-5
### END HIDDEN TESTS
''', "test_generator_loss", 1),
    md(f"""
## Task 3: train the shower GAN with your functions (3 points)

Train a `ConditionalWGAN` (the lecture's model) built from
`shower_generator(SHAPE)` and `shower_critic(SHAPE)`, passing **your** functions as
`gradient_penalty_fn`, `critic_loss_fn` and `generator_loss_fn`, with `n_critic=5`
critic updates per generator update. Compile it (`gan.compile(learning_rate=...)` uses
Adam with beta_1 = 0.5, beta_2 = 0.9, as Gulrajani et al. recommend; 1e-3 trains fastest
here) and fit it on `(x_train, c_train)` for `epochs=EPOCHS` ({EPOCHS}) with `batch_size=128`
and `verbose=0` (the grader gives 0 points to a cell that writes progress bars to stderr).
Leave the trained model in the variable `gan`.

The measure: the energy response E_vis / E of the generated showers against the simulated
validation showers at the same energies, as the 1-D Wasserstein distance in units of the
simulated spread (`shower_validation.wasserstein_distances`). The cell below computes it for
the untrained generator; training must reduce it by a factor {FACTOR_TARGET:.0f} (3 points;
{FACTOR_PARTIAL:.0f} gives 1 point). A wrong sign in a loss fails this: the generator then moves
*away* from the real showers. (A penalty that pulls the gradient norm to 0 instead of 1 still
trains: zero-centred penalties are a studied alternative, Mescheder et al. arXiv:1801.04406;
task 1 grades the WGAN-GP penalty.)
"""),
    locked(code("""
simulated = shower_validation.observables(X_val, E_val)


def response_distance(generator, seed=1):
    generated = generate_showers(generator, scaling, E_val, seed=seed)
    return shower_validation.wasserstein_distances(simulated, shower_validation.observables(generated, E_val))["response"]


keras.utils.set_random_seed(SEED)
distance_untrained = response_distance(shower_generator(SHAPE))
print(f"untrained generator: W1(response) = {distance_untrained:.2f} simulated standard deviations")
"""), "untrained"),
    solution('''
keras.utils.set_random_seed(SEED)
### BEGIN SOLUTION
gan = ConditionalWGAN(shower_generator(SHAPE), shower_critic(SHAPE), n_critic=5,
                      gradient_penalty_fn=gradient_penalty, critic_loss_fn=critic_loss,
                      generator_loss_fn=generator_loss)
gan.compile(learning_rate=1e-3)
history = gan.fit((x_train, c_train), batch_size=128, epochs=EPOCHS, verbose=0)
print("critic W1 estimate per epoch:", np.round(-np.array(history.history["critic_loss"]), 2))
### END SOLUTION
''', "train_gan"),
    tests(f'''
distance_trained = response_distance(gan.generator)
print(f"W1(response): untrained {{distance_untrained:.2f}} -> trained {{distance_trained:.2f}} "
      f"(factor {{distance_untrained / distance_trained:.1f}}; {FACTOR_TARGET:.0f} needed for full points)")
assert distance_trained <= distance_untrained / {FACTOR_PARTIAL}, (
    f"after training, the generated energy response is still {{distance_trained:.2f}} simulated standard "
    f"deviations from the simulation (untrained: {{distance_untrained:.2f}}); it should fall at least "
    f"{FACTOR_PARTIAL:.0f}x. Check the signs of your losses: the critic maximises E[D(real)] - E[D(fake)], "
    f"the generator maximises E[D(fake)].")
### BEGIN HIDDEN TESTS
X_test, E_test = showers.load(800, split="test")
simulated_test = shower_validation.observables(X_test, E_test)
generated_test = generate_showers(gan.generator, scaling, E_test, seed=11)
distance_test = shower_validation.wasserstein_distances(
    simulated_test, shower_validation.observables(generated_test, E_test))["response"]
keras.utils.set_random_seed(SEED)  # the untrained generator of the cell above, again
generated_untrained = generate_showers(shower_generator(SHAPE), scaling, E_test, seed=11)
distance_test_untrained = shower_validation.wasserstein_distances(
    simulated_test, shower_validation.observables(generated_untrained, E_test))["response"]
assert distance_test <= distance_test_untrained / {FACTOR_PARTIAL}
### END HIDDEN TESTS
''', "test_training_partial", 1),
    tests(f'''
print("graded with held-out test showers (hidden test)")
### BEGIN HIDDEN TESTS
assert distance_test <= distance_test_untrained / {FACTOR_TARGET}, (
    f"the trained generator's response is {{distance_test:.2f}} standard deviations from the simulated test "
    f"showers (untrained {{distance_test_untrained:.2f}}): it must fall {FACTOR_TARGET:.0f}x")
### END HIDDEN TESTS
''', "test_training_target", 2),
]

out = write_source(cells, ASSIGNMENT, Path(__file__).resolve().parents[1])
print(f"wrote {out}")
