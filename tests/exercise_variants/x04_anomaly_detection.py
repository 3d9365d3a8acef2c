"""Exercise 04: submissions graded by the round trip (tests/test_grading_roundtrip.py).

Correct answers written differently keep all 8 points: the score with np.einsum and the PCA by
hand with np.linalg.svd in a function that warns and writes to stderr; and a dense autoencoder
(no convolution) trained with another loss, the cross-entropy between the image and its
reconstruction read as distributions of pT over the pixels. Each plausible mistake loses exactly
its own task's points: the score with the wrong sign, the score broadcast over a channel axis
(Task 1), PCA without the mean (Task 2), and an autoencoder trained on all training jets, top
included (Task 3b: an anomaly detector that saw the signal gets no points, whatever its AUC).

The dense cross-entropy variant was measured like the reference (seeds 0-2, 2 threads): validation
AUC 0.905-0.907, every test cell passed (the reference: test AUC 0.904-0.918 over seeds 0-4 and
1/2 threads, limit 0.87). The careless answers: a decoder without the softmax (nothing keeps the
reconstruction positive and summing to 1) trained with Keras' per-pixel "mse" reaches 0.81-0.84
on the test jets (1 of 3 points); one epoch of training 0.69-0.76.
"""

from exercise_variants import Variant, answered, combined, replaced

TOTAL = 8

_SCORE = "return np.mean(np.square(images - reconstructed), axis=1)"

_SCORE_EINSUM = '''
def anomaly_score(images, reconstructed):
    """Per-jet mean squared error: flatten both to (n, pixels), then a row-wise dot product."""
    n = len(images)
    diff = np.reshape(np.asarray(images, dtype=np.float64), (n, -1)) - np.reshape(reconstructed, (n, -1))
    return np.einsum("ij,ij->i", diff, diff) / diff.shape[1]
'''

_PCA_SVD_WARNS = '''
import sys
import warnings


def pca_scores(train_images, images, k):
    """PCA by hand: the top-k right singular vectors of the centred training matrix."""
    train = np.reshape(np.asarray(train_images, dtype=np.float64), (len(train_images), -1))
    x = np.reshape(np.asarray(images, dtype=np.float64), (len(images), -1))
    mean = train.mean(axis=0)
    _, singular, vt = np.linalg.svd(train - mean, full_matrices=False)
    basis = vt[:k]  # (k, pixels), orthonormal rows
    reconstructed = mean + ((x - mean) @ basis.T) @ basis
    kept = np.sum(singular[:k] ** 2) / np.sum(singular**2)
    warnings.warn(f"{k} components keep {kept:.1%} of the variance")  # a warning must not cost points
    print(f"pca_scores: {len(train)} training images, {len(x)} scored", file=sys.stderr)
    return np.mean(np.square(x - reconstructed), axis=1)
'''

_DENSE_CROSSENTROPY = '''
def build_autoencoder(latent=12):
    """Dense layers only; the loss is the cross-entropy of the pT distribution over the pixels."""
    model = keras.Sequential([
        keras.Input((40, 40, 1)),
        keras.layers.Flatten(),
        keras.layers.Rescaling(100.0),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(latent),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(40 * 40, activation="softmax"),
        keras.layers.Reshape((40, 40, 1)),
    ])

    def pixel_crossentropy(y_true, y_pred):  # -sum_pixels x log(x_hat): both sum to 1
        return -keras.ops.sum(y_true * keras.ops.log(y_pred + 1e-9), axis=(1, 2, 3))

    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=pixel_crossentropy)
    return model
'''

_PCA_UNCENTRED = '''
def pca_scores(train_images, images, k):
    """A truncated SVD of the raw (uncentred) images: planes through the origin."""
    from sklearn.decomposition import TruncatedSVD

    train = np.reshape(train_images, (len(train_images), -1))
    x = np.reshape(images, (len(images), -1))
    svd = TruncatedSVD(n_components=k, random_state=0).fit(train)
    return np.mean(np.square(x - svd.inverse_transform(svd.transform(x))), axis=1)
'''

_TRAIN = "qcd_train[..., None], qcd_train[..., None], validation_data=(qcd_val[..., None], qcd_val[..., None])"
_TRAIN_ALL = (
    "images_train[..., None], images_train[..., None], validation_data=(images_val[..., None], images_val[..., None])")

CORRECT = {
    "einsum score, SVD by hand, warns": Variant(
        combined(answered("anomaly_score", _SCORE_EINSUM), answered("pca_scores", _PCA_SVD_WARNS)),
        "the score as a row-wise einsum and the PCA by hand (np.linalg.svd of the centred matrix) in a "
        "function that emits a UserWarning and prints to stderr in the graded cells: a warning must not cost points"),
    "dense autoencoder, cross-entropy": Variant(
        answered("build_autoencoder", _DENSE_CROSSENTROPY),
        "another autoencoder: dense layers only (no convolution) and another loss, the cross-entropy between "
        "the image and its reconstruction as distributions of pT over the pixels"),
}

WRONG = {
    "score with the wrong sign": Variant(
        replaced("anomaly_score", _SCORE, "return -np.mean(np.square(images - reconstructed), axis=1)"),
        "the score is minus the error (a 'similarity'): QCD-like jets score high, top jets look normal",
        loses={"test_score": 2}),
    "score broadcast over a channel axis": Variant(
        answered("anomaly_score", '''
def anomaly_score(images, reconstructed):
    """Mean over the image axes, without making the shapes equal first."""
    return np.mean(np.square(np.asarray(images) - np.asarray(reconstructed)), axis=(1, 2))
'''),
        "(n, 40, 40) minus (n, 40, 40, 1) broadcasts to (n, 40, 40, 40): the result has shape (n, 40), not one "
        "number per jet",
        loses={"test_score": 2}),
    "PCA without the mean": Variant(
        answered("pca_scores", _PCA_UNCENTRED),
        "sklearn's TruncatedSVD on the raw images: the k directions pass through the origin instead of the "
        "mean image, a different (worse) reconstruction than PCA",
        loses={"test_pca": 2}),
    "trained on all jets": Variant(
        replaced("train_autoencoder", _TRAIN, _TRAIN_ALL),
        "the autoencoder trained and validated on all jets, top included: a model that saw the signal is not "
        "an anomaly detector; loses Task 3b (3 points) whatever its AUC",
        loses={"test_autoencoder_auc_partial": 1, "test_autoencoder_auc_target": 2}),
}


def _linear_output(source_nb):
    """A decoder with a linear output (no softmax) and the plain per-pixel MSE."""
    from exercise_variants import edit_cell

    from exercise_variants import cell

    nb = edit_cell(source_nb, "build_autoencoder", "x = keras.layers.Softmax()(keras.layers.Dense(40 * 40)(x))",
                   "x = keras.layers.Dense(40 * 40)(x)")
    answer = cell(nb, "build_autoencoder")
    assert "loss=summed_squared_error" in answer.source
    answer.source = answer.source.replace("loss=summed_squared_error", 'loss="mse"')
    return nb


def _one_epoch(source_nb):
    """Training stopped after one epoch."""
    from exercise_variants import edit_cell

    return edit_cell(source_nb, "train_autoencoder", "epochs=EPOCHS", "epochs=1")


CARELESS = {"linear output, MSE": _linear_output, "one epoch": _one_epoch}
