"""Exercise 01 (jet images and a CNN top tagger): submissions for the autograding round trip.

Each test cell of Task 1 prepares its inputs with the reference steps
(hepcourse.physics.jets.images) and Task 2 trains on the reference images, so a wrong or skipped
step loses only its own task's points.
"""

from exercise_variants import Variant, answered, combined, replaced

TOTAL = 11

# --- correct answers written differently -----------------------------------------------------

_LOOPS_CENTRE = '''
def centre(pt, eta, phi):
    """Return (eta, phi) shifted so that each jet's pT-weighted centroid is at (0, 0)."""
    eta_out, phi_out = np.empty_like(eta), np.empty_like(phi)
    for i in range(len(pt)):
        eta_out[i] = eta[i] - np.average(eta[i], weights=pt[i])
        phi_out[i] = phi[i] - np.average(phi[i], weights=pt[i])
    return eta_out, phi_out
'''

_EIGEN_ROTATE = '''
def rotate(pt, eta, phi):
    """Rotate centred jets so that their principal axis is along phi; return (eta, phi)."""
    eta_out, phi_out = np.empty_like(eta), np.empty_like(phi)
    for i in range(len(pt)):
        w, e, p = pt[i], eta[i], phi[i]
        covariance = np.array([[np.sum(w * e * e), np.sum(w * e * p)], [np.sum(w * e * p), np.sum(w * p * p)]])
        axis = np.linalg.eigh(covariance)[1][:, -1]  # eigenvector of the largest eigenvalue
        alpha = np.pi / 2 - np.arctan2(axis[1], axis[0])  # turn it onto +phi
        eta_out[i] = np.cos(alpha) * e - np.sin(alpha) * p
        phi_out[i] = np.sin(alpha) * e + np.cos(alpha) * p
    return eta_out, phi_out
'''

_LOOPS_FLIP = '''
def flip(pt, eta, phi):
    """Mirror jets so that most pT lies at positive eta and at positive phi; return (eta, phi)."""
    eta_out, phi_out = eta.copy(), phi.copy()
    for i in range(len(pt)):
        if pt[i][eta[i] > 0].sum() < pt[i][eta[i] < 0].sum():
            eta_out[i] = -eta[i]
        if pt[i][phi[i] > 0].sum() < pt[i][phi[i] < 0].sum():
            phi_out[i] = -phi[i]
    return eta_out, phi_out
'''

_HISTOGRAM_IMAGES = '''
def make_images(pt, eta, phi, n_pixels=40, half_width=1.0):
    """Return normalised (n_jets, n_pixels, n_pixels) images of preprocessed jets."""
    images = np.zeros((len(pt), n_pixels, n_pixels))
    for i in range(len(pt)):
        real = pt[i] > 0
        # rows = phi' bins, columns = eta' bins
        images[i], _, _ = np.histogram2d(phi[i][real], eta[i][real], bins=n_pixels,
                                         range=[[-half_width, half_width], [-half_width, half_width]],
                                         weights=pt[i][real])
        if images[i].sum() > 0:
            images[i] /= images[i].sum()
    return images
'''

# the angle from arctan (not arctan2) with the branch fixed by hand: on the test's diagonal toy jet
# S_ee = S_pp, so numpy warns "divide by zero" (arctan(+inf) = pi/2 is still right)
_ARCTAN_ROTATE = '''
def rotate(pt, eta, phi):
    """Rotate centred jets so that their principal axis is along phi; return (eta, phi)."""
    s_ee = (pt * eta**2).sum(axis=1)
    s_pp = (pt * phi**2).sum(axis=1)
    s_ep = (pt * eta * phi).sum(axis=1)
    theta = 0.5 * np.arctan(2 * s_ep / (s_ee - s_pp))
    theta = np.where(s_ee < s_pp, theta + np.pi / 2, theta)  # arctan gives the minor axis there
    alpha = (np.pi / 2 - theta)[:, None]
    return np.cos(alpha) * eta - np.sin(alpha) * phi, np.sin(alpha) * eta + np.cos(alpha) * phi
'''

# another architecture; input_shape= on the first layer makes Keras 3 warn (UserWarning) in the
# graded cell that calls build_cnn, and the training cell warns and prints to stderr as well
_WIDE_CNN = '''
import sys
import warnings


def build_cnn():
    """A compiled Keras 3 CNN: (40, 40, 1) image -> P(top)."""
    model = keras.Sequential([
        keras.layers.Rescaling(100.0, input_shape=(40, 40, 1)),
        keras.layers.Conv2D(16, 5, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(16, 5, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["auc"])
    return model
'''

_WIDE_TRAIN = '''
warnings.warn("training on 2 CPU cores only: this takes a while")
print("starting training", file=sys.stderr)
model = build_cnn()
model.fit(images_train[..., None], y_train, validation_data=(images_val[..., None], y_val),
          epochs=EPOCHS, batch_size=128, verbose=0,
          callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)])
'''

CORRECT = {
    "loops over jets, eigenvectors and histogram2d": Variant(
        combined(answered("centre", _LOOPS_CENTRE), answered("rotate", _EIGEN_ROTATE),
                 answered("flip", _LOOPS_FLIP), answered("make_images", _HISTOGRAM_IMAGES)),
        "all of Task 1 written jet by jet: np.average for the centroid, the eigenvector of the 2x2 "
        "covariance (np.linalg.eigh) for the axis, boolean masks for the flip, np.histogram2d for the "
        "pixels - slower but the same images"),
    "arctan angle that divides by zero": Variant(
        answered("rotate", _ARCTAN_ROTATE),
        "the principal angle from arctan(2 S_ep / (S_ee - S_pp)) with the quadrant fixed by hand: "
        "correct, but numpy warns 'divide by zero' on the symmetric toy jet of the graded test"),
    "wider CNN with dropout, warning on stderr": Variant(
        combined(answered("build_cnn", _WIDE_CNN), answered("train_cnn", _WIDE_TRAIN)),
        "another architecture (5x5 kernels, dropout, an AUC metric, a shorter patience); Keras warns "
        "about input_shape= in the graded cell and the training cell warns and prints to stderr"),
}

# --- plausible mistakes, each losing only its own task's points ------------------------------

WRONG = {
    "centroid not pT-weighted": Variant(
        answered("centre", '''
def centre(pt, eta, phi):
    """Return (eta, phi) shifted so that each jet's centroid is at (0, 0)."""
    return eta - eta.mean(axis=1, keepdims=True), phi - phi.mean(axis=1, keepdims=True)
'''),
        "the plain mean of the constituent positions (padded slots included) instead of the "
        "pT-weighted centroid: the hard core is not at the origin",
        loses={"test_centre": 2}),
    "centre skipped": Variant(
        answered("centre", '''
def centre(pt, eta, phi):
    """Return (eta, phi) shifted so that each jet's pT-weighted centroid is at (0, 0)."""
    # YOUR CODE HERE
    raise NotImplementedError()
'''),
        "Task 1a left as released: the rest of Task 1 and Task 2 must keep their points, and the "
        "notebook must run on",
        loses={"test_centre": 2}),
    "rotation by theta instead of pi/2 - theta": Variant(
        replaced("rotate", "alpha = (np.pi / 2 - 0.5 * np.arctan2(2 * s_ep, s_ee - s_pp))[:, None]",
                 "alpha = (0.5 * np.arctan2(2 * s_ep, s_ee - s_pp))[:, None]"),
        "rotates by the principal angle itself: the principal axis is not turned onto phi",
        loses={"test_rotate": 2}),
    "flip by constituent count, not pT": Variant(
        combined(replaced("flip", "(pt * np.sign(eta)).sum(axis=1, keepdims=True)",
                          "np.sign(eta).sum(axis=1, keepdims=True)"),
                 replaced("flip", "(pt * np.sign(phi)).sum(axis=1, keepdims=True)",
                          "np.sign(phi).sum(axis=1, keepdims=True)")),
        "mirrors towards the side with more constituents instead of more pT",
        loses={"test_flip": 1}),
    "image rows and columns swapped": Variant(
        replaced("make_images", "(jet[inside], row[inside], col[inside])", "(jet[inside], col[inside], row[inside])"),
        "indexes the image [eta' bin, phi' bin]: the principal axis ends up horizontal",
        loses={"test_images": 2}),
    "model compiled outside build_cnn": Variant(
        combined(replaced("build_cnn",
                          '    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")\n', ""),
                 replaced("train_cnn", "model = build_cnn()\n",
                          'model = build_cnn()\nmodel.compile(optimizer=keras.optimizers.Adam(1e-3), '
                          'loss="binary_crossentropy")\n')),
        "build_cnn returns an uncompiled model (the task asks for a compiled one); the training cell "
        "compiles it, so the trained CNN is as good as the reference",
        loses={"test_cnn_structure": 1}),
    "trained on inverted labels": Variant(
        replaced("train_cnn", "images_train[..., None], y_train, validation_data=(images_val[..., None], y_val)",
                 "images_train[..., None], 1 - y_train, validation_data=(images_val[..., None], 1 - y_val)"),
        "the CNN learns P(QCD) instead of P(top) (class 1 is top): its AUC is 1 minus the right one",
        loses={"test_cnn_auc_partial": 1, "test_cnn_auc_target": 2}),
}

# --- careless answers that the graded AUC threshold must reject (benchmarks/thresholds.py) -----


def _no_rescaling(source_nb):
    """Pixels that sum to 1 fed to the CNN unscaled: it trains far more slowly in 3 epochs."""
    from exercise_variants import edit_cell

    return edit_cell(source_nb, "build_cnn", "keras.layers.Rescaling(100.0),", "")


def _one_epoch(source_nb):
    """Training stopped after one epoch instead of the budget of three."""
    from exercise_variants import edit_cell

    return edit_cell(source_nb, "train_cnn", "epochs=EPOCHS,", "epochs=1,")


CARELESS = {"no pixel rescaling": _no_rescaling, "one epoch": _one_epoch}
