"""The taggers every deep-learning model has to beat, and a fair parameter count.

* `mass_window_tau32_score`: the classic cut-based top tagger (a jet-mass window around the
  top mass and an upper cut on tau32 = tau3/tau2), written as a *score*, so that it has a
  full ROC curve like any classifier.
* `fit_boosted_trees`: gradient-boosted trees (scikit-learn's ``HistGradientBoostingClassifier``)
  on the high-level features, the number of boosting iterations chosen on a validation set:
  the strong, cheap baseline ("BDT") of an LHC analysis.
* `n_parameters`: the number of fitted parameters of a Keras model or of boosted trees, for
  "how big is it" columns of comparison tables.

Several notebooks compare against the same baselines (classification, anomaly detection,
decorrelation), so they live here once.
"""

from __future__ import annotations

import numpy as np

from hepcourse.physics.jets.substructure import HLF_NAMES

TOP_MASS_WINDOW = (130.0, 210.0)  # GeV, around m_top = 173 GeV; keeps >90% of truth-matched top jets

__all__ = ["TOP_MASS_WINDOW", "mass_window_tau32_score", "fit_boosted_trees", "n_parameters"]


def _column(hlf: np.ndarray, name: str, names) -> np.ndarray:
    hlf = np.asarray(hlf)
    if hlf.ndim != 2 or hlf.shape[1] != len(names):
        raise ValueError(
            f"hlf must have shape (n_jets, {len(names)}) with columns {tuple(names)}, got {hlf.shape}"
        )
    if name not in names:
        raise ValueError(f"the features {tuple(names)} have no column {name!r}")
    return hlf[:, list(names).index(name)].astype(np.float64)


def mass_window_tau32_score(hlf, mass_window=TOP_MASS_WINDOW, names=HLF_NAMES) -> np.ndarray:
    """Score of the cut-based tagger "mass in window AND tau32 < c", for every threshold c.

    Jets inside the mass window get ``1 - tau32`` (in [0, 1] for tau32 in [0, 1]), jets outside
    get ``-tau32`` (below every jet inside). Cutting ``score >= t`` therefore reproduces the
    cut-based tagger for every tau32 cut up to the window's signal efficiency; beyond that,
    jets outside the window are admitted in order of tau32, so the ROC curve reaches
    eps_S = 1 instead of stopping at the window efficiency.
    """
    low, high = mass_window
    if not low < high:
        raise ValueError(f"mass_window must be (low, high) with low < high, got {mass_window!r}")
    mass = _column(hlf, "mass", names)
    tau32 = np.clip(_column(hlf, "tau32", names), 0.0, 1.0)
    inside = (mass > low) & (mass < high)
    return np.where(inside, 1.0 - tau32, -tau32)


def fit_boosted_trees(x_train, y_train, x_val, y_val, max_iter=300, learning_rate=0.1,
                      max_leaf_nodes=31, random_state=0):
    """Gradient-boosted trees with the number of iterations chosen on a validation set.

    Fits ``max_iter`` iterations on the training set, finds the iteration with the smallest
    validation log-loss (scikit-learn's staged predictions), then refits with exactly that many
    iterations (deterministic: without subsampling the refit is the same model, truncated).
    The returned classifier carries ``val_log_loss_`` (the validation curve) and
    ``best_iteration_``.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import log_loss

    def make(n_iter):
        return HistGradientBoostingClassifier(
            max_iter=n_iter, learning_rate=learning_rate, max_leaf_nodes=max_leaf_nodes,
            early_stopping=False, random_state=random_state,
        )

    y_train, y_val = np.ravel(y_train), np.ravel(y_val)
    full = make(max_iter).fit(x_train, y_train)
    curve = np.array([log_loss(y_val, proba[:, 1], labels=[0, 1])
                      for proba in full.staged_predict_proba(x_val)])
    best = int(np.argmin(curve)) + 1
    model = full if best == max_iter else make(best).fit(x_train, y_train)
    model.val_log_loss_ = curve
    model.best_iteration_ = best
    return model


def n_parameters(model) -> int:
    """Number of fitted parameters: trainable weights of a Keras model; for boosted trees, the
    number of tree nodes (a split threshold or a leaf value each)."""
    if hasattr(model, "trainable_weights"):  # Keras
        return int(sum(np.prod(weight.shape) for weight in model.trainable_weights))
    predictors = getattr(model, "_predictors", None)  # sklearn HistGradientBoosting*
    if predictors is not None:
        return int(sum(len(tree.nodes) for iteration in predictors for tree in iteration))
    raise TypeError(f"cannot count the parameters of a {type(model).__name__}; "
                    "expected a Keras model or a fitted HistGradientBoostingClassifier")
