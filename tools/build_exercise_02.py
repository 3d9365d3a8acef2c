"""Writes solutions/02_regression/02_regression.ipynb (the nbgrader source).

The notebook is kept in git; this script is how it was written and how to rewrite it after an
edit here (cells and their nbgrader metadata are defined in one place, so ids and points
cannot drift). Run: python tools/build_exercise_02.py
"""

from pathlib import Path

from hepcourse.instructor.authoring import code, locked, md, solution, tests, write_source
from hepcourse.instructor.sandbox import Limits

ASSIGNMENT = "02_regression"
LIMITS = Limits()  # what `hepcourse grade` enforces by default; stated in the notebook
COMPACT_LAYERS = 12  # task 3: the compact calorimeter reads only the first 12 layers (12 X0)
IMPROVEMENT = 0.10  # task 3: full points for a mean resolution >= 10 % better than the calibrated sum
EPOCHS = 30

NOT_THE_REFERENCE = '''
import hepcourse.metrics as _metrics
import hepcourse.models as _models
import hepcourse.models.calorimeter as _calorimeter

_PATCHED = ((_metrics, "resolution_model"), (_metrics, "fit_resolution"), (_models, "calibration_constant"),
            (_calorimeter, "calibration_constant"))
_REFERENCE = {(module.__name__, name): getattr(module, name) for module, name in _PATCHED}


def _forbidden(*args, **kwargs):
    raise AssertionError("this task must be solved by your own code, not by calling the hepcourse reference")


def _call_own(function, *args):
    """Call the student's function with the hepcourse references disabled."""
    assert not any(function is ref or any(value is ref for value in function.__globals__.values())
                   for ref in _REFERENCE.values()), (
        "this task must be solved by your own code, not by importing it from hepcourse")
    try:
        for module, name in _PATCHED:
            setattr(module, name, _forbidden)
        return function(*args)
    finally:
        for module, name in _PATCHED:
            setattr(module, name, _REFERENCE[(module.__name__, name)])
'''

cells = [
    md(f"""
# Exercise 02: calibrating a calorimeter and beating it with a network

**What is graded** (8 points, autograded):

| task | what you write | points |
|---|---|---|
| 1a | `resolution_model` - sigma/E = a/sqrt(E) (+) b (+) c/E | 1 |
| 1b | `fit_resolution` - fit the three terms with their errors | 2 |
| 2 | `calibration_constant` - the calibrated sum E = k x (visible energy) | 1 |
| 3a | `build_regressor` - a Keras 3 energy regressor on layer energies | 1 |
| 3b | train it on the compact calorimeter: beat the calibrated sum (1 point), by at least {IMPROVEMENT:.0%} in mean resolution (2 more points) on held-out test showers | 3 |

Each test cell is worth its points on its own, so a task you skip costs only its own points.
Cells marked *read-only* are the tests; hidden tests run when your notebook is graded.

**Limits**: the grader (`hepcourse grade`) runs the whole notebook from the top in a sandbox
that holds only this notebook's folder and the course data, with no network, on one or two
CPU cores: at most {LIMITS.wall_s / 60:.0f} minutes for the notebook, {LIMITS.cell_s / 60:.0f} minutes for one cell and
{LIMITS.memory_bytes / 2**30:.0f} GB of memory. A cell that runs past its limit is stopped and
scores 0, as do the cells after a crash. The reference solution needs well under a minute.

**Before you submit**: *Kernel > Restart & Run All*, then click **Validate** in the notebook
toolbar (or run `hepcourse validate 02_regression.ipynb` in a terminal): it runs the
notebook with its visible tests and tells you what fails. The `hepcourse.grading.check_*`
functions used below say what is physically wrong; you can call them yourself at any time.

Write your code only where it says `YOUR CODE HERE` (delete the `raise NotImplementedError()`).
Do not import `resolution_model`, `fit_resolution` or `calibration_constant` from `hepcourse`:
those are the references the graders compare with.
"""),
    md("""
## Setup

The showers come from `hepcourse.data.showers` (lecture 02): electrons of 1-100 GeV
(log-uniform) in a tungsten-silicon sampling calorimeter of 22 layers (1 X0 each) with
11 x 11 cells. `X` is the energy seen by the silicon in each cell, in GeV: only about 2 % of
the incident energy `E`, the rest is absorbed in the tungsten. `layer_energies` sums each
layer, giving arrays of shape `(n_showers, 22)`.
"""),
    locked(code(f"""
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's start-up messages off stderr
import keras
import numpy as np
from scipy.optimize import curve_fit

from hepcourse import config, grading, metrics
from hepcourse.data import showers
from hepcourse.physics.shower_shapes import layer_energies

SEED = 0  # seeds every random step of the graded training, so that a rerun grades the same
keras.utils.set_random_seed(SEED)
profile = config.profile()
EPOCHS = {EPOCHS}  # the training budget of task 3b: the grader runs every student's notebook
COMPACT_LAYERS = {COMPACT_LAYERS}  # task 3: the compact calorimeter reads the first {COMPACT_LAYERS} layers
sizes = showers.sizes(profile)
X_train, E_train = showers.load(sizes["train"], split="train")
X_val, E_val = showers.load(sizes["val"], split="val")
layers_train, layers_val = layer_energies(X_train), layer_energies(X_val)
visible_train, visible_val = layers_train.sum(axis=1), layers_val.sum(axis=1)
print(f"{{len(E_train)}} training and {{len(E_val)}} validation showers of shape {{X_train.shape[1:]}}, "
      f"profile {{profile.name!r}}; visible/E = {{np.median(visible_train / E_train):.4f}} (median)")
"""), "setup"),
    md("""
## Task 1a: the resolution model (1 point)

The relative energy resolution of a calorimeter has three contributions with different
energy dependence:

* the **stochastic term** a/sqrt(E): sampling (and photon-statistics) fluctuations, Poisson-like
  in the number of shower particles crossing the silicon, so sigma ~ sqrt(E);
* the **constant term** b: non-uniformity, calibration errors and leakage fluctuations that
  scale with E;
* the **noise term** c/E: electronic noise, the same number of GeV whatever the energy.

The three are independent, so their *variances* add: sigma/E = a/sqrt(E) (+) b (+) c/E,
where (+) means the sum in quadrature. Write `resolution_model(E, a, b, c)` for arrays of `E`
(in GeV).
"""),
    solution('''
def resolution_model(E, a, b, c):
    """Relative resolution sigma/E at energies E (GeV): the three terms in quadrature."""
    ### BEGIN SOLUTION
    E = np.asarray(E, dtype=float)
    return np.sqrt((a / np.sqrt(E)) ** 2 + b**2 + (c / E) ** 2)
    ### END SOLUTION
''', "resolution_model"),
    tests('''
grading.check_resolution_model(resolution_model)
value = float(resolution_model(np.array([25.0]), 0.15, 0.01, 0.2)[0])
assert np.isclose(value, 0.0326190, rtol=1e-5), (
    f"at E = 25 GeV with a = 0.15 sqrt(GeV), b = 0.01, c = 0.2 GeV the terms are 0.03, 0.01 and 0.008, "
    f"so sigma/E = sqrt(0.03^2 + 0.01^2 + 0.008^2) = 0.0326; you give {value:.4f}")
### BEGIN HIDDEN TESTS
''' + NOT_THE_REFERENCE + '''
_rng = np.random.default_rng(7)
_E = _rng.uniform(0.5, 300, 50)
_abc = _rng.uniform(0.001, 0.5, 3)
assert np.allclose(_call_own(resolution_model, _E, *_abc), _metrics.resolution_model(_E, *_abc), rtol=1e-9)
### END HIDDEN TESTS
''', "test_resolution_model", 1),
    md("""
## Task 1b: fit the resolution (2 points)

Write `fit_resolution(E, sigma_over_E, err)` that fits your `resolution_model` to measured
points (energies in GeV, sigma/E and its uncertainty) with `scipy.optimize.curve_fit` and
returns two arrays of length 3: the terms `(a, b, c)` and their 1-sigma errors.

* Give `curve_fit` the uncertainties (`sigma=err, absolute_sigma=True`), so that the errors
  come from the measurements, not from the scatter of a few points.
* The model only sees the squares of the terms: keep them non-negative with
  `bounds=(0, np.inf)`, and start from a sensible `p0` (e.g. `(0.1, 0.01, 0.1)`).
* The errors are the square roots of the diagonal of the covariance matrix.
"""),
    solution('''
def fit_resolution(E, sigma_over_E, err):
    """Fit sigma/E = a/sqrt(E) (+) b (+) c/E; return (terms (a, b, c), their errors)."""
    ### BEGIN SOLUTION
    terms, cov = curve_fit(resolution_model, E, sigma_over_E, p0=(0.1, 0.01, 0.1), sigma=err,
                           absolute_sigma=True, bounds=(0.0, np.inf))
    return terms, np.sqrt(np.diag(cov))
    ### END SOLUTION
''', "fit_resolution"),
    md("""
First on points we made ourselves (a = 0.15 sqrt(GeV), b = 0.01, c = 0.2 GeV, with 2 %
uncertainties and no scatter: the fit must return exactly these terms), then on the
calibrated sum of the real showers: `metrics.binned_resolution` measures sigma/E in eight
energy bins (the half-width of the 16-84 % interval of E_reco/E_true, divided by its median).
"""),
    tests('''
toy_E = np.geomspace(1.0, 100.0, 10)
toy_sigma = np.sqrt(0.15**2 / toy_E + 0.01**2 + (0.2 / toy_E) ** 2)
toy_terms, toy_errors = fit_resolution(toy_E, toy_sigma, 0.02 * toy_sigma)
grading.check_resolution_fit(toy_terms, toy_errors, toy_E, toy_sigma, 0.02 * toy_sigma, resolution_model)
assert np.allclose(toy_terms, (0.15, 0.01, 0.2), rtol=1e-3), (
    f"the toy points were made with a, b, c = 0.15, 0.01, 0.2 and no scatter; your fit gives "
    f"{np.round(toy_terms, 4).tolist()}. Is resolution_model the one you fit?")
# the calibrated sum of the real showers (a calibration constant from the training showers)
k_ref = np.median(E_train / visible_train)
binned = metrics.binned_resolution(E_val, k_ref * visible_val, bins=8, energy_range=(1.0, 100.0))
with warnings.catch_warnings():  # a term fitted to 0 makes curve_fit warn about the covariance
    warnings.simplefilter("ignore")
    real_terms, real_errors = fit_resolution(binned.energy, binned.resolution, binned.resolution_err)
print(f"calibrated sum: a = {real_terms[0]:.3f} sqrt(GeV), b = {real_terms[1]:.4f}, c = {real_terms[2]:.3f} GeV")
assert 0.05 < real_terms[0] < 0.4, (
    f"the stochastic term of a W/Si sampling calorimeter is 10-30 % sqrt(GeV); your fit gives a = "
    f"{real_terms[0]:.3f}. Did you fit sigma/E (not sigma in GeV)?")
### BEGIN HIDDEN TESTS
''' + NOT_THE_REFERENCE + '''
with warnings.catch_warnings():
    warnings.filterwarnings("ignore")
    real_terms, _ = _call_own(fit_resolution, binned.energy, binned.resolution, binned.resolution_err)
_reference = _metrics.fit_resolution(binned.energy, binned.resolution, binned.resolution_err)
_chi2 = np.sum(((binned.resolution - _metrics.resolution_model(binned.energy, *np.abs(real_terms)))
                / binned.resolution_err) ** 2)
assert _chi2 <= _reference.chi2 + 0.1, f"your fit misses the chi2 minimum: {_chi2:.2f} > {_reference.chi2:.2f}"
assert abs(abs(real_terms[0]) - _reference.a) < max(0.25 * _reference.a_err, 0.01 * _reference.a)
_rng = np.random.default_rng(11)
_E = np.geomspace(2.0, 200.0, 9)
_truth = _rng.uniform((0.05, 0.002, 0.05), (0.3, 0.03, 0.5))
_sigma = _metrics.resolution_model(_E, *_truth)
_terms, _errors = _call_own(fit_resolution, _E, _sigma, 0.01 * _sigma)
grading.check_resolution_fit(_terms, _errors, _E, _sigma, 0.01 * _sigma, resolution_model)
assert np.allclose(_terms, _truth, rtol=1e-3), f"the fit does not recover {_truth}: {_terms}"
### END HIDDEN TESTS
''', "test_resolution_fit", 2),
    md("""
## Task 2: the calibrated sum (1 point)

The simplest energy estimate multiplies the visible energy by one constant k, fitted on the
training showers: E_reco = k x visible. Write `calibration_constant(visible, E)` returning the
k that minimises the **relative** squared error sum_i (k visible_i / E_i - 1)^2, so that every
shower counts the same in sigma/E whatever its energy (set the derivative with respect to k to
zero: the result is a ratio of two sums). For a sampling calorimeter without leakage, 1/k is
the sampling fraction.
"""),
    solution('''
def calibration_constant(visible, E):
    """k minimising sum((k * visible / E - 1)^2) over the showers."""
    ### BEGIN SOLUTION
    ratio = np.asarray(visible, dtype=float) / np.asarray(E, dtype=float)
    return float(ratio.sum() / (ratio**2).sum())
    ### END SOLUTION
''', "calibration_constant"),
    tests('''
toy_k = calibration_constant(np.array([0.02, 0.2, 2.0]), np.array([1.0, 10.0, 100.0]))
assert np.isclose(toy_k, 50.0), f"showers that all see 2 % of their energy need k = 50; you give {toy_k:.3f}"
k_full = calibration_constant(visible_train, E_train)
response = np.median(k_full * visible_val / E_val)
assert 0.97 < response < 1.03, (
    f"with k = {k_full:.2f} the calibrated sum has a median response E_reco/E_true = {response:.3f} on the "
    f"validation showers; a calibration should bring it to 1")
print(f"k = {k_full:.2f}, i.e. a visible fraction 1/k = {1 / k_full:.4f}")
### BEGIN HIDDEN TESTS
''' + NOT_THE_REFERENCE + '''
_k = _models.calibration_constant(visible_train, E_train)
assert np.isclose(_call_own(calibration_constant, visible_train, E_train), _k, rtol=1e-6), f"k = {k_full} differs from the relative least-squares k = {_k}"
_toy_v, _toy_E = np.array([0.021, 0.18, 1.7, 0.5]), np.array([1.0, 10.0, 100.0, 30.0])
assert np.isclose(calibration_constant(_toy_v, _toy_E), _models.calibration_constant(_toy_v, _toy_E), rtol=1e-9)
### END HIDDEN TESTS
''', "test_calibration", 1),
    md(f"""
## Task 3: a compact calorimeter and a network that corrects its leakage

Suppose the experiment could afford only **{COMPACT_LAYERS} radiation lengths**: we read the first
{COMPACT_LAYERS} layers and ignore the rest. A 100 GeV shower has its maximum near 9 X0, so a
large and fluctuating part of its energy now leaks out of the back. The calibrated sum can
only correct the *average* loss with one k; it is biased (too high at low energy, too low at
high energy) and its resolution has a large constant term. A network that sees the energy in
each layer can tell a late-starting (leaking) shower from an early one and correct it.

The cell below shows the calibrated sum of the compact calorimeter on the validation showers.
"""),
    locked(code(f"""
compact_train, compact_val = layers_train[:, :COMPACT_LAYERS], layers_val[:, :COMPACT_LAYERS]
k_compact = np.median(E_train / compact_train.sum(axis=1))
compact_sum = metrics.binned_resolution(E_val, k_compact * compact_val.sum(axis=1), bins=8)
print(compact_sum.to_frame()[["E_median", "response", "sigma_over_E"]].round(3).to_string())
print(f"calibrated sum of {{COMPACT_LAYERS}} layers: mean sigma/E over the bins = {{compact_sum.mean_resolution():.4f}}")
"""), "compact_sum"),
    md(f"""
### Task 3a: the regressor (1 point)

Write `build_regressor()` returning a **compiled** Keras 3 model that maps the
`({COMPACT_LAYERS},)` layer energies of a shower (raw GeV, as in `compact_train`) to one
output: the incident energy in GeV. Ideas that make a small network train in seconds:

* scale the inputs **inside** the model (the graders feed raw GeV): e.g. the fraction of the
  visible energy in each layer plus log(visible), using `keras.ops` on the symbolic tensors;
* predict a **correction to the calibrated sum**, E = visible x exp(r), with r starting near
  log(50) (the visible fraction is about 2 %), rather than the energy from scratch;
* a loss that measures the **relative** error, e.g. the squared log ratio
  `keras.ops.square(keras.ops.log(y_pred / y_true))` on the flattened tensors: plain MSE in
  GeV^2 is dominated by the 100 GeV showers. (The output must then stay positive, which
  visible x exp(r) does.)

Keep it under about 20k parameters.
"""),
    solution('''
def build_regressor(n_layers=COMPACT_LAYERS):
    """A compiled Keras 3 model: (n_layers,) layer energies in GeV -> E in GeV."""
    ### BEGIN SOLUTION
    inputs = keras.Input((n_layers,))
    visible = keras.ops.maximum(keras.ops.sum(inputs, axis=1, keepdims=True), 1e-3)
    features = keras.layers.Concatenate()([inputs / visible, keras.ops.log(visible)])
    x = keras.layers.Dense(32, activation="relu")(features)
    x = keras.layers.Dense(32, activation="relu")(x)
    r = keras.layers.Dense(1, kernel_initializer="zeros",
                           bias_initializer=keras.initializers.Constant(np.log(50.0)))(x)
    model = keras.Model(inputs, visible * keras.ops.exp(r))

    def squared_log_error(y_true, y_pred):  # log(E_reco/E_true)^2: a relative error, unbiased
        y_true = keras.ops.reshape(keras.ops.cast(y_true, y_pred.dtype), (-1,))
        return keras.ops.square(keras.ops.log(keras.ops.reshape(y_pred, (-1,)) / y_true))

    model.compile(optimizer=keras.optimizers.Adam(5e-3), loss=squared_log_error)
    return model
    ### END SOLUTION
''', "build_regressor"),
    tests(f'''
regressor = build_regressor()
assert regressor.input_shape == (None, {COMPACT_LAYERS}), (
    f"the regressor must take the {COMPACT_LAYERS} layer energies, it takes {{regressor.input_shape}}")
assert regressor.output_shape == (None, 1), f"one energy per shower is expected, got {{regressor.output_shape}}"
assert regressor.optimizer is not None, "compile the model inside build_regressor"
n_params = regressor.count_params()
assert n_params < 100_000, f"{{n_params}} parameters is too many to train within the time limit; aim for < 20k"
''', "test_regressor_structure", 1),
    md(f"""
### Task 3b: train it (3 points)

Train a fresh `build_regressor()` model on `compact_train`, `E_train`, validating on
`compact_val`, `E_val`, and leave the trained model in the variable `model`. Use
`epochs=EPOCHS` ({EPOCHS}), `verbose=0` and
`keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)`: a whole class is
graded on a couple of CPU cores, so training gets about 15 seconds.

The graders compute the mean resolution sigma/E over eight energy bins on held-out **test**
showers: better than the calibrated sum of the compact calorimeter earns 1 point, at least
{IMPROVEMENT:.0%} better (mean sigma/E below {1 - IMPROVEMENT:.2f} x that of the sum) 2 more. The
response E_reco/E_true must stay within 10 % of 1 in every bin.
"""),
    solution('''
### BEGIN SOLUTION
model = build_regressor()
history = model.fit(
    compact_train, E_train, validation_data=(compact_val, E_val), epochs=EPOCHS, batch_size=256, verbose=0,
    callbacks=[keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)],
)
print(f"trained {len(history.history['loss'])} epochs, best val_loss {min(history.history['val_loss']):.5f}")
### END SOLUTION
''', "train_regressor"),
    tests('''
E_pred_val = model.predict(compact_val, verbose=0)
mean_val = grading.check_energy_regressor(E_val, E_pred_val, target=compact_sum.mean_resolution(),
                                          what="your regressor (validation showers)")
print(f"validation: mean sigma/E = {mean_val:.4f}, calibrated sum {compact_sum.mean_resolution():.4f}")
### BEGIN HIDDEN TESTS
X_test, E_test = showers.load(sizes["test"], split="test")
compact_test = layer_energies(X_test)[:, :COMPACT_LAYERS]
# sigma/E is the width of E_reco/E_true divided by its median: the same for any calibration constant
_sum_test = metrics.binned_resolution(E_test, k_compact * compact_test.sum(axis=1), bins=8).mean_resolution()
E_pred_test = model.predict(compact_test, verbose=0)
# bound to a name: nbgrader would read a bare number left as the cell's value as partial credit
mean_test = grading.check_energy_regressor(E_test, E_pred_test, target=_sum_test, what="your regressor (test showers)")
### END HIDDEN TESTS
''', "test_regressor_partial", 1),
    tests(f'''
print("graded with held-out test showers (hidden test)")
### BEGIN HIDDEN TESTS
mean_test = grading.check_energy_regressor(E_test, E_pred_test, target={1 - IMPROVEMENT:.2f} * _sum_test,
                                           what="your regressor (test showers)")
### END HIDDEN TESTS
''', "test_regressor_target", 2),
]

out = write_source(cells, ASSIGNMENT, Path(__file__).resolve().parents[1])
print(f"wrote {out}")
