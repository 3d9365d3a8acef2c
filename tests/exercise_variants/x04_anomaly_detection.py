"""Exercise 04: submissions graded by the round trip (tests/test_grading_roundtrip.py).

Correct answers written differently keep all 8 points: the acceptance by comparing every pair,
with Hotelling's T^2 by hand (np.linalg.eigh of the covariance matrix), both warning or writing to
stderr; the acceptance as 1 - (fraction strictly below) with T^2 from sklearn's whitened PCA; and a
dense autoencoder (no convolution) trained with another loss, the cross-entropy between the image
and its reconstruction read as distributions of pT over the pixels. Each plausible mistake loses
exactly its own task's points: the acceptance counting only strictly larger QCD scores (the stated
convention counts ties) or given as the CDF (Task 1); T^2 without dividing by the component
variances, divided by pixel variances instead, or the lecture's reconstruction error submitted for
it (Task 2); and an autoencoder trained on all training jets, top included (Task 3b: an anomaly
detector that saw the signal gets no points, whatever its AUC).

The dense cross-entropy variant was measured like the reference (seeds 0-2, 2 threads): validation
AUC 0.905-0.907, every test cell passed (the reference: test AUC 0.904-0.918 over seeds 0-4 and
1/2 threads, limit 0.87). The careless answers: a decoder without the softmax (nothing keeps the
reconstruction positive and summing to 1) trained with Keras' per-pixel "mse" reaches 0.81-0.84
on the test jets (1 of 3 points); one epoch of training 0.69-0.76.
"""

from exercise_variants import Variant, answered, combined, replaced

TOTAL = 8

_ACCEPTANCE_BROADCAST_WARNS = '''
import sys
import warnings


def qcd_acceptance(qcd_scores, scores):
    """Every pair compared at once: (n, m) booleans, then the mean over the QCD jets."""
    qcd = np.asarray(qcd_scores, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    warnings.warn(f"comparing {len(s)} x {len(qcd)} pairs")  # a warning must not cost points
    print("qcd_acceptance: at least as large, ties counted", file=sys.stderr)
    return (qcd[None, :] >= s[:, None]).mean(axis=1)
'''

_ACCEPTANCE_RIGHT_SIDE = '''
def qcd_acceptance(qcd_scores, scores):
    """The complement of the empirical CDF evaluated just below each score."""
    ordered = np.sort(np.ravel(qcd_scores))
    strictly_below = np.searchsorted(ordered, np.ravel(scores), side="left")
    return 1.0 - strictly_below / ordered.size
'''

_T2_WHITEN = '''
def pca_t2_scores(train_images, images, k):
    """A whitened PCA: every component scaled to unit variance, so T^2 is the squared norm."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=k, whiten=True, svd_solver="full").fit(np.reshape(train_images, (len(train_images), -1)))
    return np.square(pca.transform(np.reshape(images, (len(images), -1)))).sum(axis=1)
'''

_T2_EIGH_WARNS = '''
import sys


def pca_t2_scores(train_images, images, k):
    """By hand: the eigenvectors of the training covariance matrix with the k largest eigenvalues."""
    train = np.reshape(np.asarray(train_images, dtype=np.float64), (len(train_images), -1))
    x = np.reshape(np.asarray(images, dtype=np.float64), (len(images), -1))
    mean = train.mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(train, rowvar=False))
    top = np.argsort(eigenvalues)[::-1][:k]
    z = (x - mean) @ eigenvectors[:, top]
    print(f"pca_t2_scores: {k} components of {train.shape[1]}", file=sys.stderr)
    return np.einsum("ij,ij->i", z, z / eigenvalues[top])
'''

_T2 = "return np.sum(np.square(z) / pca.explained_variance_, axis=1)"
_T2_UNSCALED = "return np.sum(np.square(z), axis=1)"
_ACCEPTANCE_SIDE = 'below = np.searchsorted(reference, scores, side="left")'

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

_TRAIN = "qcd_train[..., None], qcd_train[..., None], validation_data=(qcd_val[..., None], qcd_val[..., None])"
_TRAIN_ALL = (
    "images_train[..., None], images_train[..., None], validation_data=(images_val[..., None], images_val[..., None])")

CORRECT = {
    "broadcast acceptance, eigh T^2, warns": Variant(
        combined(answered("qcd_acceptance", _ACCEPTANCE_BROADCAST_WARNS), answered("pca_t2_scores", _T2_EIGH_WARNS)),
        "the acceptance by comparing every pair and the T^2 by hand (np.linalg.eigh of the covariance matrix), "
        "both emitting a UserWarning or printing to stderr in the graded cells: a warning must not cost points"),
    "complement of the CDF, whitened PCA": Variant(
        combined(answered("qcd_acceptance", _ACCEPTANCE_RIGHT_SIDE), answered("pca_t2_scores", _T2_WHITEN)),
        "the acceptance as 1 - (fraction strictly below), the same number written the other way round, and "
        "T^2 as the squared norm of sklearn's whitened PCA coordinates (full SVD)"),
    "dense autoencoder, cross-entropy": Variant(
        answered("build_autoencoder", _DENSE_CROSSENTROPY),
        "another autoencoder: dense layers only (no convolution) and another loss, the cross-entropy between "
        "the image and its reconstruction as distributions of pT over the pixels"),
}

WRONG = {
    "acceptance counts strictly larger": Variant(
        replaced("qcd_acceptance", _ACCEPTANCE_SIDE, 'below = np.searchsorted(reference, scores, side="right")'),
        "only QCD scores strictly above the jet's are counted: ties are left out, so a jet equal to the "
        "highest QCD score gets 0 instead of 1/m (the stated convention counts ties)",
        loses={"test_acceptance": 2}),
    "acceptance as 1 - fraction": Variant(
        replaced("qcd_acceptance", "return (len(reference) - below) / len(reference)",
                 "return below / len(reference)"),
        "the fraction of QCD scores below the jet's (the empirical CDF): it rises with the score, so the most "
        "anomalous jets get acceptance near 1",
        loses={"test_acceptance": 2}),
    "T^2 without dividing by lambda": Variant(
        replaced("pca_t2_scores", _T2, _T2_UNSCALED),
        "the squared distance inside the subspace without the variances: the leading component dominates",
        loses={"test_t2": 2}),
    "T^2 with the pixel variances": Variant(
        replaced("pca_t2_scores", _T2, "return np.sum(np.square(z) / np.var(train_flat, axis=0)[:k], axis=1)"),
        "the coordinates along the components divided by the variances of the first k pixels (of all 1600 "
        "pixels' variances), not by the variances along the components",
        loses={"test_t2": 2}),
    "reconstruction error for T^2": Variant(
        replaced("pca_t2_scores", _T2, "return np.mean(np.square(flat - pca.inverse_transform(z)), axis=1)"),
        "the lecture's score (the distance outside the subspace, Q) submitted for T^2 (the distance inside)",
        loses={"test_t2": 2}),
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


CARELESS = {"linear output, MSE": _linear_output, "one epoch": _one_epoch,
            "T^2 without lambda": replaced("pca_t2_scores", _T2, _T2_UNSCALED)}
