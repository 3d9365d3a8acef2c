"""Exercise 01 (jet images and a CNN top tagger): submissions for the autograding round trip.

Task 1 asks for the hardest-constituent recipe (centre on the hardest constituent, second-hardest
onto +phi', third-hardest to eta' >= 0, two-channel 41 x 41 images), which neither hepcourse nor
the lectures contain. Each test cell of Task 1 prepares its own inputs (toy jets, real jets prepared
by the reference steps written in the hidden tests) and Task 2 trains on the course's reference
images, so a wrong or skipped step loses only its own task's points.
"""

from exercise_variants import Variant, answered, combined, replaced

TOTAL = 11

# --- correct answers written differently -----------------------------------------------------

_LOOPS_CENTRE = '''
def centre(pt, eta, phi):
    """Return (eta, phi) shifted so that each jet's hardest constituent is at (0, 0)."""
    eta_out, phi_out = np.empty_like(eta), np.empty_like(phi)
    for i in range(len(pt)):
        hardest = max(range(pt.shape[1]), key=lambda k: pt[i, k])
        eta_out[i] = eta[i] - eta[i, hardest]
        phi_out[i] = phi[i] - phi[i, hardest]
    return eta_out, phi_out
'''

_LOOPS_ROTATE = '''
def rotate(pt, eta, phi):
    """Rotate centred jets about the origin so that the second-hardest constituent is on +phi'; return (eta, phi)."""
    eta_out, phi_out = eta.copy(), phi.copy()
    for i in range(len(pt)):
        real = np.flatnonzero(pt[i] > 0)
        if len(real) < 2:
            continue
        second = sorted(real, key=lambda k: -pt[i, k])[1]
        angle = np.arctan2(phi[i, second], eta[i, second])
        turn = np.array([[np.cos(np.pi / 2 - angle), -np.sin(np.pi / 2 - angle)],
                         [np.sin(np.pi / 2 - angle), np.cos(np.pi / 2 - angle)]])
        eta_out[i], phi_out[i] = turn @ np.vstack([eta[i], phi[i]])
    return eta_out, phi_out
'''

_LOOPS_FLIP = '''
def flip(pt, eta, phi):
    """Mirror jets so that the third-hardest constituent has eta' >= 0; return (eta, phi)."""
    eta_out = eta.copy()
    for i in range(len(pt)):
        real = np.flatnonzero(pt[i] > 0)
        if len(real) >= 3:
            third = real[np.argsort(pt[i, real])[::-1][2]]
            if eta[i, third] < 0:
                eta_out[i] = -eta[i]
    return eta_out, phi.copy()
'''

_HISTOGRAM_IMAGES = '''
def make_images(pt, eta, phi, n_pixels=41, pixel_size=0.05):
    """Return (n_jets, n_pixels, n_pixels, 2) images: pT fraction and constituent count per pixel."""
    edges = pixel_size * (np.arange(n_pixels + 1) - n_pixels / 2)
    images = np.zeros((len(pt), n_pixels, n_pixels, 2))
    for i in range(len(pt)):
        real = pt[i] > 0
        # rows = phi' bins, columns = eta' bins
        pt_sum, _, _ = np.histogram2d(phi[i][real], eta[i][real], bins=[edges, edges], weights=pt[i][real])
        count, _, _ = np.histogram2d(phi[i][real], eta[i][real], bins=[edges, edges])
        images[i, ..., 0] = pt_sum / pt_sum.sum() if pt_sum.sum() > 0 else 0.0
        images[i, ..., 1] = count
    return images
'''

# the angle from arctan of a ratio instead of arctan2, the quadrant fixed by hand: beta, measured
# from +phi', is arctan(eta_2 / phi_2). On the graded toy jet whose second-hardest constituent is
# at (0.4, 0), phi_2 = 0 and numpy warns "divide by zero" (arctan(+inf) = pi/2 is still right).
_ARCTAN_ROTATE = '''
def rotate(pt, eta, phi):
    """Rotate centred jets about the origin so that the second-hardest constituent is on +phi'; return (eta, phi)."""
    order = np.argsort(pt, axis=1)[:, ::-1]
    eta_2 = eta[np.arange(len(pt)), order[:, 1]][:, None]
    phi_2 = phi[np.arange(len(pt)), order[:, 1]][:, None]
    beta = np.arctan(eta_2 / phi_2)
    beta = np.where(phi_2 < 0, beta + np.pi, beta)  # arctan only covers the upper half-plane
    beta = np.where(pt[np.arange(len(pt)), order[:, 1]][:, None] > 0, beta, 0.0)
    return np.cos(beta) * eta - np.sin(beta) * phi, np.sin(beta) * eta + np.cos(beta) * phi
'''

_BINCOUNT_IMAGES = '''
def make_images(pt, eta, phi, n_pixels=41, pixel_size=0.05):
    """Return (n_jets, n_pixels, n_pixels, 2) images: pT fraction and constituent count per pixel."""
    half = n_pixels * pixel_size / 2
    col = np.floor((eta + half) * (1 / pixel_size)).astype(np.int64)
    row = np.floor((phi + half) * (1 / pixel_size)).astype(np.int64)
    keep = (pt > 0) & (col >= 0) & (col < n_pixels) & (row >= 0) & (row < n_pixels)
    index = (np.arange(len(pt))[:, None] * n_pixels + row) * n_pixels + col
    size = len(pt) * n_pixels * n_pixels
    pt_sum = np.bincount(index[keep], weights=pt[keep], minlength=size).reshape(len(pt), n_pixels, n_pixels)
    count = np.bincount(index[keep], minlength=size).reshape(len(pt), n_pixels, n_pixels)
    total = pt_sum.sum(axis=(1, 2))[:, None, None]
    with np.errstate(invalid="ignore"):
        fraction = np.nan_to_num(pt_sum / total)
    return np.moveaxis(np.array([fraction, count]), 0, -1)
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
    "loops over jets, sorted() and histogram2d": Variant(
        combined(answered("centre", _LOOPS_CENTRE), answered("rotate", _LOOPS_ROTATE),
                 answered("flip", _LOOPS_FLIP), answered("make_images", _HISTOGRAM_IMAGES)),
        "all of Task 1 written jet by jet: max()/sorted() over the slots for the hardest constituents, "
        "a 2x2 rotation matrix per jet, the third-hardest from argsort()[::-1] of the real slots, "
        "np.histogram2d with explicit bin edges for both channels - slower but the same images"),
    "arctan angle that divides by zero, bincount images": Variant(
        combined(answered("rotate", _ARCTAN_ROTATE), answered("make_images", _BINCOUNT_IMAGES)),
        "the angle from arctan(eta_2 / phi_2) with the quadrant fixed by hand (np.argsort(pt)[:, ::-1] "
        "for the order): correct, but numpy warns 'divide by zero' in the graded cell on the toy jet "
        "whose second-hardest constituent has phi = 0; images from np.bincount on flat pixel indices, "
        "channels stacked with np.moveaxis"),
    "wider CNN with dropout, warning on stderr": Variant(
        combined(answered("build_cnn", _WIDE_CNN), answered("train_cnn", _WIDE_TRAIN)),
        "another architecture (5x5 kernels, dropout, an AUC metric, a shorter patience); Keras warns "
        "about input_shape= in the graded cell and the training cell warns and prints to stderr"),
}

# --- plausible mistakes, each losing only its own task's points ------------------------------

WRONG = {
    "hardest constituent taken from the first slot": Variant(
        replaced("centre", "hardest = np.argmax(pt, axis=1)[:, None]",
                 "hardest = np.zeros((len(pt), 1), dtype=int)  # the course data are sorted by pT"),
        "assumes the slots are sorted by pT (true for the course data, which the task says not to rely "
        "on): the unsorted toy jet is centred on the wrong constituent",
        loses={"test_centre": 2}),
    "centre skipped": Variant(
        answered("centre", '''
def centre(pt, eta, phi):
    """Return (eta, phi) shifted so that each jet's hardest constituent is at (0, 0)."""
    # YOUR CODE HERE
    raise NotImplementedError()
'''),
        "Task 1a left as released: the rest of Task 1 and Task 2 must keep their points, and the "
        "notebook must run on",
        loses={"test_centre": 2}),
    "rotation clockwise (sign of the rotation matrix)": Variant(
        replaced("rotate",
                 "return np.cos(alpha) * eta - np.sin(alpha) * phi, np.sin(alpha) * eta + np.cos(alpha) * phi",
                 "return np.cos(alpha) * eta + np.sin(alpha) * phi, -np.sin(alpha) * eta + np.cos(alpha) * phi"),
        "the transposed matrix turns the jet clockwise by the counter-clockwise angle: the second-hardest "
        "constituent does not land on +phi'",
        loses={"test_rotate": 2}),
    "rotation about the pT-weighted centroid": Variant(
        answered("rotate", '''
def rotate(pt, eta, phi):
    """Rotate centred jets about the origin so that the second-hardest constituent is on +phi'; return (eta, phi)."""
    total = pt.sum(axis=1, keepdims=True)
    eta_0, phi_0 = (pt * eta).sum(axis=1, keepdims=True) / total, (pt * phi).sum(axis=1, keepdims=True) / total
    second = np.argsort(-pt, axis=1, kind="stable")[:, 1:2]
    eta_2 = np.take_along_axis(eta, second, axis=1) - eta_0
    phi_2 = np.take_along_axis(phi, second, axis=1) - phi_0
    alpha = np.where(np.take_along_axis(pt, second, axis=1) > 0, np.pi / 2 - np.arctan2(phi_2, eta_2), 0.0)
    d_eta, d_phi = eta - eta_0, phi - phi_0
    return eta_0 + np.cos(alpha) * d_eta - np.sin(alpha) * d_phi, phi_0 + np.sin(alpha) * d_eta + np.cos(alpha) * d_phi
'''),
        "rotates about the jet's pT centroid (the lecture's recipe) instead of the origin, where 1a put "
        "the hardest constituent: the second-hardest ends up above the centroid, not on the phi' axis",
        loses={"test_rotate": 2}),
    "flip by the pT sum, not the third-hardest": Variant(
        answered("flip", '''
def flip(pt, eta, phi):
    """Mirror jets so that the third-hardest constituent has eta' >= 0; return (eta, phi)."""
    sign = np.where((pt * np.sign(eta)).sum(axis=1, keepdims=True) < 0, -1.0, 1.0)
    return eta * sign, phi.copy()
'''),
        "mirrors towards the side with more pT (the course's recipe) instead of "
        "the side of the third-hardest constituent that the task asks for",
        loses={"test_flip": 1}),
    "third-hardest taken among padded slots": Variant(
        replaced("flip", "np.where(has_third & (eta_3 < 0), -eta, eta)", "np.where(eta_3 < 0, -eta, eta)"),
        "a jet with two real constituents is mirrored according to a padded slot's eta'",
        loses={"test_flip": 1}),
    "padded slots counted in the multiplicity": Variant(
        replaced("make_images", "np.add.at(count, pixels, 1.0)",
                 "in_grid = (col >= 0) & (col < n_pixels) & (row >= 0) & (row < n_pixels)\n"
                 "    np.add.at(count, (jet[in_grid], row[in_grid], col[in_grid]), 1.0)"),
        "channel 1 counts every slot inside the grid, padded ones (pT = 0) included",
        loses={"test_images": 2}),
    "normalised before the crop": Variant(
        replaced("make_images", "total = pt_sum.sum(axis=(1, 2), keepdims=True)",
                 "total = np.where(pt > 0, pt, 0.0).sum(axis=1)[:, None, None]"),
        "divides by the pT of the whole jet, constituents outside the grid included: channel 0 sums to "
        "less than 1",
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
