"""Writes solutions/01_classification/01_classification.ipynb (the nbgrader source).

The notebook is kept in git; this script is how it was written and how to rewrite it after an
edit here (cells and their nbgrader metadata are defined in one place, so ids and points
cannot drift). Run: python tools/build_exercise_01.py
"""

from pathlib import Path

from hepcourse.instructor.authoring import code, locked, md, solution, tests, write_source
from hepcourse.instructor.sandbox import Limits

ASSIGNMENT = "01_classification"
LIMITS = Limits()  # what `hepcourse grade` enforces by default; stated in the notebook
AUC_TARGET = 0.95
AUC_PARTIAL = 0.90

NO_REFERENCE = '''
import hepcourse.physics.images as _reference

def _forbidden(*args, **kwargs):
    raise AssertionError("this task must be solved by your own code, not by calling hepcourse.physics.images")

def _call_without_reference(function, *args):
    names = ("centre", "rotate", "flip", "pixelate", "normalise", "jet_images")
    saved = {name: getattr(_reference, name) for name in names}
    assert function not in saved.values() and not any(
        value in saved.values() for value in function.__globals__.values() if callable(value)
    ), "this task must be solved by your own code, not by importing it from hepcourse.physics.images"
    try:
        for name in names:
            setattr(_reference, name, _forbidden)
        return function(*args)
    finally:
        for name, value in saved.items():
            setattr(_reference, name, value)
'''

cells = [
    md(f"""
# Exercise 01: a CNN top tagger on jet images

**What is graded** (11 points, autograded):

| task | what you write | points |
|---|---|---|
| 1a | `centre` - shift jets to their pT-weighted centroid | 2 |
| 1b | `rotate` - principal axis vertical | 2 |
| 1c | `flip` - most pT at positive eta' and phi' | 1 |
| 1d | `make_images` - pixelate and normalise | 2 |
| 2a | `build_cnn` - a small Keras 3 CNN | 1 |
| 2b | train it: AUC >= {AUC_TARGET} on held-out test jets ({AUC_PARTIAL} gives 1 of 3 points) | 3 |

Each test cell is worth its points on its own, so a task you skip costs only its own points.
Cells marked *read-only* are the tests; hidden tests run when your notebook is graded.

**Limits**: the grader (`hepcourse grade`) runs the whole notebook from the top in a sandbox
that holds only this notebook's folder and the course data, with no network, on one or two
CPU cores: at most {LIMITS.wall_s / 60:.0f} minutes for the notebook, {LIMITS.cell_s / 60:.0f} minutes for one cell and
{LIMITS.memory_bytes / 2**30:.0f} GB of memory. A cell that runs past its limit is stopped and
scores 0, as do the cells after a crash. The reference solution needs well under a minute.

**Before you submit**: *Kernel > Restart & Run All*, then click **Validate** in the notebook
toolbar (or run `hepcourse validate 01_classification.ipynb` in a terminal): it runs the
notebook with its visible tests and tells you what fails. The `hepcourse.grading.check_*`
functions used below say what is physically wrong; you can call them yourself at any time.

Write your code only where it says `YOUR CODE HERE` (delete the `raise NotImplementedError()`).
Do not call `hepcourse.physics.images`: that is the reference the graders compare with.
"""),
    md("""
## Setup

The jets come from `hepcourse.data.jets` (Pythia 8 + FastJet, see the dataset card in
lecture 00). `constituent_coordinates` turns the (E, px, py, pz) constituents into three
arrays of shape `(n_jets, 200)`: pT, eta and phi (phi unwrapped around the hardest
constituent, so a jet never straddles the +-pi boundary). Padded slots have pT = 0.
"""),
    locked(code("""
import keras
import numpy as np

from hepcourse import config, grading
from hepcourse.data import jets
from hepcourse.physics.images import constituent_coordinates

SEED = 0  # seeds every random step of the graded training, so that a rerun grades the same
keras.utils.set_random_seed(SEED)
profile = config.profile()
EPOCHS = 3  # the training budget of task 2b: the grader runs every student's notebook
C_train, y_train = jets.load(profile.n_train, split="train")
C_val, y_val = jets.load(profile.n_val, split="val")
pt_train, eta_train, phi_train = constituent_coordinates(C_train)
print(f"{len(y_train)} training jets, {len(y_val)} validation jets, profile {profile.name!r}")
"""), "setup"),
    md("""
## Task 1a: centre (2 points)

Shift every jet so that its **pT-weighted centroid** is at the origin:
eta' = eta - sum(pT eta)/sum(pT), and the same for phi. Work on whole arrays
(`axis=1`, `keepdims=True`), not a Python loop over jets.
"""),
    solution('''
def centre(pt, eta, phi):
    """Return (eta, phi) shifted so that each jet's pT-weighted centroid is at (0, 0)."""
    ### BEGIN SOLUTION
    total = pt.sum(axis=1, keepdims=True)
    eta_c = (pt * eta).sum(axis=1, keepdims=True) / total
    phi_c = (pt * phi).sum(axis=1, keepdims=True) / total
    return eta - eta_c, phi - phi_c
    ### END SOLUTION
''', "centre"),
    tests('''
# A two-particle jet: 3 GeV at (1, 0) and 1 GeV at (-1, 0) has its centroid at (0.5, 0).
toy_eta, toy_phi = centre(np.array([[3.0, 1.0]]), np.array([[1.0, -1.0]]), np.array([[0.0, 0.0]]))
assert np.allclose(toy_eta, [[0.5, -1.5]]) and np.allclose(toy_phi, 0), (
    f"for a 3 GeV particle at eta=1 and a 1 GeV one at eta=-1 the centroid is at eta=0.5, "
    f"so the centred etas are [0.5, -1.5]; you returned {np.round(toy_eta, 3).tolist()}")
eta_c, phi_c = centre(pt_train[:500], eta_train[:500], phi_train[:500])
grading.check_centred(pt_train[:500], eta_c, phi_c)
### BEGIN HIDDEN TESTS
''' + NO_REFERENCE + '''
mine = _call_without_reference(centre, pt_train[:300], eta_train[:300], phi_train[:300])
ref = _reference.centre(pt_train[:300], eta_train[:300], phi_train[:300])
real = pt_train[:300] > 0
assert np.allclose(mine[0][real], ref[0][real], atol=1e-6) and np.allclose(mine[1][real], ref[1][real], atol=1e-6)
### END HIDDEN TESTS
''', "test_centre", 2),
    md("""
## Task 1b: rotate (2 points)

Jets have a preferred direction (for a top jet: the plane of its three prongs). Rotate
each **centred** jet about the origin so that its **principal axis** - the eigenvector with
the largest eigenvalue of the pT-weighted covariance matrix
[[S_ee, S_ep], [S_ep, S_pp]] with S_ee = sum(pT eta^2), S_ep = sum(pT eta phi),
S_pp = sum(pT phi^2) - points along phi (vertical in the image).

Hint: the principal axis makes the angle theta = 0.5 * arctan2(2 S_ep, S_ee - S_pp) with the
eta axis; rotating by pi/2 - theta makes it vertical.
"""),
    solution('''
def rotate(pt, eta, phi):
    """Rotate centred jets so that their principal axis is along phi; return (eta, phi)."""
    ### BEGIN SOLUTION
    s_ee = (pt * eta**2).sum(axis=1)
    s_pp = (pt * phi**2).sum(axis=1)
    s_ep = (pt * eta * phi).sum(axis=1)
    alpha = (np.pi / 2 - 0.5 * np.arctan2(2 * s_ep, s_ee - s_pp))[:, None]
    return np.cos(alpha) * eta - np.sin(alpha) * phi, np.sin(alpha) * eta + np.cos(alpha) * phi
    ### END SOLUTION
''', "rotate"),
    tests('''
# A jet elongated along the diagonal eta = phi must end up elongated along phi.
line = np.linspace(-0.5, 0.5, 11)[None, :]
toy_eta, toy_phi = rotate(np.ones_like(line), line, line)
assert np.allclose(toy_eta, 0, atol=1e-9), (
    f"a jet along the diagonal should lie on the phi axis after rotation, but its eta' values "
    f"span {toy_eta.min():.3f} .. {toy_eta.max():.3f}")
eta_r, phi_r = rotate(pt_train[:500], eta_c, phi_c)
grading.check_rotated(pt_train[:500], eta_r, phi_r)
radius_before = np.hypot(eta_c, phi_c)
radius_after = np.hypot(eta_r, phi_r)
assert np.allclose(radius_before, radius_after), "a rotation must not change distances to the jet axis"
### BEGIN HIDDEN TESTS
''' + NO_REFERENCE + '''
e, p = _reference.centre(pt_train[:300], eta_train[:300], phi_train[:300])
mine = _call_without_reference(rotate, pt_train[:300], e, p)
grading.check_rotated(pt_train[:300], *mine)
### END HIDDEN TESTS
''', "test_rotate", 2),
    md("""
## Task 1c: flip (1 point)

A rotation leaves two mirror images. Mirror each jet so that **more pT lies at eta' > 0
than at eta' < 0**, and the same for phi'. (Use `np.where` on per-jet sums.)
"""),
    solution('''
def flip(pt, eta, phi):
    """Mirror jets so that most pT lies at positive eta and at positive phi; return (eta, phi)."""
    ### BEGIN SOLUTION
    sign_eta = np.where((pt * np.sign(eta)).sum(axis=1, keepdims=True) < 0, -1.0, 1.0)
    sign_phi = np.where((pt * np.sign(phi)).sum(axis=1, keepdims=True) < 0, -1.0, 1.0)
    return eta * sign_eta, phi * sign_phi
    ### END SOLUTION
''', "flip"),
    tests('''
toy_eta, toy_phi = flip(np.array([[5.0, 1.0]]), np.array([[-0.2, 0.3]]), np.array([[0.1, -0.4]]))
assert np.allclose(toy_eta, [[0.2, -0.3]]) and np.allclose(toy_phi, [[0.1, -0.4]]), (
    "a 5 GeV particle at eta'=-0.2 must be mirrored to +0.2 (and phi left alone, as it is already "
    f"positive); got eta'={toy_eta.tolist()}, phi'={toy_phi.tolist()}")
eta_f, phi_f = flip(pt_train[:500], eta_r, phi_r)
grading.check_flipped(pt_train[:500], eta_f, phi_f)
grading.check_rotated(pt_train[:500], eta_f, phi_f)
### BEGIN HIDDEN TESTS
''' + NO_REFERENCE + '''
mine = _call_without_reference(flip, pt_train[:300], eta_r[:300], phi_r[:300])
ref = _reference.flip(pt_train[:300], eta_r[:300], phi_r[:300])
assert np.allclose(mine[0], ref[0]) and np.allclose(mine[1], ref[1])
### END HIDDEN TESTS
''', "test_flip", 1),
    md("""
## Task 1d: pixelate and normalise (2 points)

Sum the pT of the constituents into a **40 x 40** grid covering -1 <= eta', phi' < 1
(pixels of 0.05 x 0.05; constituents outside are dropped, and so are padded ones with pT = 0).
Index the image as `[row, column] = [phi' bin, eta' bin]`, row 0 at phi' = -1. Then divide
each image by its pixel sum so it sums to 1. Vectorise with `np.bincount` or `np.add.at`.
"""),
    solution('''
def make_images(pt, eta, phi, n_pixels=40, half_width=1.0):
    """Return normalised (n_jets, n_pixels, n_pixels) images of preprocessed jets."""
    ### BEGIN SOLUTION
    n_jets = pt.shape[0]
    col = np.floor((eta + half_width) / (2 * half_width) * n_pixels).astype(int)
    row = np.floor((phi + half_width) / (2 * half_width) * n_pixels).astype(int)
    inside = (col >= 0) & (col < n_pixels) & (row >= 0) & (row < n_pixels) & (pt > 0)
    jet = np.broadcast_to(np.arange(n_jets)[:, None], pt.shape)
    images = np.zeros((n_jets, n_pixels, n_pixels))
    np.add.at(images, (jet[inside], row[inside], col[inside]), pt[inside])
    total = images.sum(axis=(1, 2), keepdims=True)
    return np.divide(images, total, out=np.zeros_like(images), where=total > 0)
    ### END SOLUTION
''', "make_images"),
    tests('''
toy = make_images(np.array([[2.0, 2.0, 0.0]]), np.array([[0.01, -0.99, 0.0]]), np.array([[0.01, 0.99, 0.0]]))
assert toy.shape == (1, 40, 40), f"expected one 40 x 40 image, got shape {toy.shape}"
assert np.isclose(toy[0, 20, 20], 0.5) and np.isclose(toy[0, 39, 0], 0.5), (
    "a particle at (eta', phi') = (0.01, 0.01) belongs in pixel [row 20, column 20] and one at "
    "(-0.99, 0.99) in [row 39, column 0], each with half of the normalised intensity; "
    f"found {toy[0, 20, 20]:.3f} and {toy[0, 39, 0]:.3f}")
images_small = make_images(pt_train[:500], eta_f, phi_f)
grading.check_images(images_small, n_jets=500)
### BEGIN HIDDEN TESTS
''' + NO_REFERENCE + '''
mine = _call_without_reference(make_images, pt_train[:300], eta_f[:300], phi_f[:300])
ref = _reference.normalise(_reference.pixelate(pt_train[:300], eta_f[:300], phi_f[:300]))
assert np.allclose(mine, ref, atol=1e-6)
### END HIDDEN TESTS
''', "test_images", 2),
    md("""
## The full preprocessing

This cell (given, not graded) chains your four functions. Look at the mean images: top
jets show their three prongs, QCD jets one hard core. If they look alike, fix Task 1 first.
"""),
    locked(code("""
import matplotlib.pyplot as plt

from hepcourse import plotting


def preprocess(constituents):
    pt, eta, phi = constituent_coordinates(constituents)
    eta, phi = centre(pt, eta, phi)
    eta, phi = rotate(pt, eta, phi)
    eta, phi = flip(pt, eta, phi)
    return make_images(pt, eta, phi).astype("float32")


images_train, images_val = preprocess(C_train), preprocess(C_val)
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
plotting.jet_image(images_train[y_train == 1], ax=axes[0], title="top (mean)")
plotting.jet_image(images_train[y_train == 0], ax=axes[1], title="QCD (mean)")
plt.show()
"""), "preprocess"),
    md(f"""
## Task 2a: a CNN (1 point)

Write `build_cnn()` returning a **compiled** Keras 3 model that maps a `(40, 40, 1)` image to
one sigmoid output (the probability that the jet is a top), with
`loss="binary_crossentropy"`. A few `Conv2D` + `MaxPooling2D` blocks and a small dense head
are enough; keep it under about 100k parameters so that three epochs train in about 15 seconds on one core.
"""),
    solution('''
def build_cnn():
    """A compiled Keras 3 CNN: (40, 40, 1) image -> P(top)."""
    ### BEGIN SOLUTION
    model = keras.Sequential([
        keras.Input((40, 40, 1)),
        keras.layers.Rescaling(100.0),  # pixels sum to 1: bring them to O(1)
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    return model
    ### END SOLUTION
''', "build_cnn"),
    tests('''
cnn = build_cnn()
assert cnn.input_shape == (None, 40, 40, 1), f"the CNN must take (40, 40, 1) images, it takes {cnn.input_shape}"
assert cnn.output_shape == (None, 1), f"one sigmoid output per jet is expected, got output shape {cnn.output_shape}"
assert cnn.optimizer is not None, "compile the model inside build_cnn"
n_params = cnn.count_params()
assert n_params < 300_000, f"{n_params} parameters is too many to train within the time limit; aim for < 100k"
''', "test_cnn_structure", 1),
    md(f"""
## Task 2b: train it (3 points)

Train a fresh `build_cnn()` model on `images_train[..., None]`, `y_train`, validating on the
validation images, and leave the trained model in the variable `model`. Pixel intensities
are small (they sum to 1): if you scale them, do it inside the model (for example a
`keras.layers.Rescaling(100.0)` layer first in `build_cnn`), because the graders feed the
model the output of `preprocess` unchanged.
Use `keras.callbacks.EarlyStopping(restore_best_weights=True)` and `epochs=EPOCHS` (3): a
whole class is graded on a couple of CPU cores, so training gets about 15 seconds, and three
epochs of a small CNN reach the target.

The graders compute the AUC on held-out **test** jets: at least {AUC_TARGET} earns 3 points,
at least {AUC_PARTIAL} earns 1.
"""),
    solution('''
### BEGIN SOLUTION
model = build_cnn()
history = model.fit(
    images_train[..., None], y_train, validation_data=(images_val[..., None], y_val),
    epochs=EPOCHS, batch_size=profile.batch_size, verbose=0,
    callbacks=[keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)],
)
print(f"trained {len(history.history['loss'])} epochs, best val_loss {min(history.history['val_loss']):.3f}")
### END SOLUTION
''', "train_cnn"),
    tests(f'''
val_score = model.predict(images_val[..., None], verbose=0).ravel()
auc_val = grading.check_classifier_auc(y_val, val_score, {AUC_PARTIAL}, what="your CNN (validation jets)")
print(f"validation AUC = {{auc_val:.3f}} (full points need {AUC_TARGET} on the test jets)")
### BEGIN HIDDEN TESTS
C_test, y_test = jets.load(2000, split="test")
test_score = model.predict(preprocess(C_test)[..., None], verbose=0).ravel()
# bound to a name: nbgrader would read a bare number left as the cell's value as partial credit
auc_test = grading.check_classifier_auc(y_test, test_score, {AUC_PARTIAL}, what="your CNN (test jets)")
### END HIDDEN TESTS
''', "test_cnn_auc_partial", 1),
    tests(f'''
print("graded with held-out test jets (hidden test)")
### BEGIN HIDDEN TESTS
auc_test = grading.check_classifier_auc(y_test, test_score, {AUC_TARGET}, what="your CNN (test jets)")
### END HIDDEN TESTS
''', "test_cnn_auc_target", 2),
]

out = write_source(cells, ASSIGNMENT, Path(__file__).resolve().parents[1])
print(f"wrote {out}")
