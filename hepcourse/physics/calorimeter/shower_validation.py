"""Validation of generated calorimeter showers against the simulation, as a physicist checks a fast simulation.

Three levels, from the observables a calorimeter physicist looks at first to a global test:

* **Response**: the visible energy over the incident energy, its mean and relative width per
  energy bin (generated vs simulated): a fast simulation that gets the energy scale or the
  resolution wrong is useless for physics, whatever its pictures look like.
* **Shapes**: per-shower observables (layer energies, shower depth, lateral width,
  containment, occupancy) compared as distributions, each with the 1-D Wasserstein distance
  (``scipy.stats.wasserstein_distance``) in units of the simulated spread.
* **Classifier test** (CaloChallenge, Krause et al., arXiv:2410.21611): a gradient-boosted
  classifier is trained to tell generated from simulated showers on those observables; its
  AUC on held-out showers is 0.5 for a perfect generator and 1 when every shower is
  recognised. It catches correlations that 1-D histograms miss. ``cell_classifier_auc`` is the
  CaloChallenge's low-level version: the same classifier on every cell (log-scaled) instead of
  the observables.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import wasserstein_distance

from . import shower_shapes
from .geometry import GEOMETRY, CalorimeterGeometry


def _check_pair(showers, energies, geometry):
    showers = np.asarray(showers, dtype=np.float64)
    energies = np.asarray(energies, dtype=np.float64).reshape(-1)
    expected = (geometry.n_layers, geometry.n_cells, geometry.n_cells)
    if showers.ndim != 4 or showers.shape[1:] != expected:
        raise ValueError(f"showers must have shape (n, {', '.join(map(str, expected))}), got {showers.shape}")
    if len(showers) != len(energies):
        raise ValueError(f"{len(showers)} showers but {len(energies)} energies")
    if not np.all(np.isfinite(showers)):
        raise ValueError(f"showers contain {int(np.sum(~np.isfinite(showers)))} NaN/inf cells")
    if not np.all(np.isfinite(energies)) or np.any(energies <= 0):
        raise ValueError("energies must be finite and positive (GeV)")
    return showers, energies


def response(showers, energies, geometry: CalorimeterGeometry = GEOMETRY) -> np.ndarray:
    """Visible energy / incident energy per shower, (n,)."""
    showers, energies = _check_pair(showers, energies, geometry)
    return showers.sum(axis=(1, 2, 3)) / energies


def response_vs_energy(showers, energies, edges, geometry: CalorimeterGeometry = GEOMETRY) -> dict:
    """Per energy bin: {"centre", "mean", "mean_error", "width", "width_error", "n"} arrays.

    ``mean`` is the mean response, ``width`` its relative spread std/mean (the sampling
    resolution sigma/E of the visible energy); errors are the usual large-sample estimates.
    """
    r = response(showers, energies, geometry)
    edges = np.asarray(edges, dtype=float)
    index = np.digitize(np.asarray(energies, dtype=float).reshape(-1), edges) - 1
    out = {key: [] for key in ("centre", "mean", "mean_error", "width", "width_error", "n")}
    for k in range(len(edges) - 1):
        rk = r[index == k]
        if len(rk) < 2:
            raise ValueError(f"energy bin [{edges[k]:.3g}, {edges[k + 1]:.3g}) GeV holds {len(rk)} showers; "
                             f"use wider bins or more showers")
        mean, std = rk.mean(), rk.std(ddof=1)
        out["centre"].append(np.sqrt(edges[k] * edges[k + 1]))
        out["mean"].append(mean)
        out["mean_error"].append(std / np.sqrt(len(rk)))
        out["width"].append(std / mean)
        out["width_error"].append(std / mean / np.sqrt(2 * (len(rk) - 1)))
        out["n"].append(len(rk))
    return {key: np.asarray(value) for key, value in out.items()}


def observables(showers, energies, geometry: CalorimeterGeometry = GEOMETRY) -> dict[str, np.ndarray]:
    """Per-shower observables {name: (n,)} used by the distances and the classifier test.

    The response E_vis/E, the fraction of the visible energy in each layer, the
    energy-weighted depth (X0), the lateral RMS width (mm), the containment within one
    Moliere radius and the number of cells above the readout threshold. Empty showers get
    zero fractions and the depth/width/containment of 0 (a generator producing them is
    penalised, not crashed).
    """
    showers, energies = _check_pair(showers, energies, geometry)
    layers = shower_shapes.layer_energies(showers)
    total = layers.sum(axis=1)
    safe_total = np.where(total > 0, total, 1.0)
    out = {"response": total / energies}
    for k in range(geometry.n_layers):
        out[f"layer {k} fraction"] = layers[:, k] / safe_total
    with np.errstate(invalid="ignore", divide="ignore"):
        out["depth [X0]"] = np.nan_to_num(shower_shapes.centroid_depth_X0(showers, geometry))
        out["lateral width [mm]"] = np.nan_to_num(shower_shapes.lateral_width_mm(showers, geometry))
        out["containment in R_M"] = np.nan_to_num(
            shower_shapes.containment(showers, geometry.moliere_radius_mm, geometry))
    out["occupancy"] = shower_shapes.occupancy(showers, geometry.threshold_MeV * 1e-3).astype(float)
    return out


def wasserstein_distances(simulated: dict, generated: dict) -> dict[str, float]:
    """{observable: W1(simulated, generated) / std(simulated)}: 0 is identical, ~1 is off by a whole spread."""
    missing = set(simulated) ^ set(generated)
    if missing:
        raise ValueError(f"observables differ between the two samples: {sorted(missing)}")
    out = {}
    for name, sim in simulated.items():
        scale = np.std(sim)
        distance = wasserstein_distance(sim, generated[name])
        out[name] = float(distance / scale) if scale > 0 else float(distance)
    return out


def classifier_auc(simulated: dict, generated: dict, energies_simulated, energies_generated,
                   test_fraction: float = 0.5, seed: int = 0) -> float:
    """AUC of a boosted-tree classifier separating generated from simulated showers (held-out half).

    Features: every observable of ``observables`` plus log(E). 0.5 means the classifier cannot
    tell them apart; values below 0.5 are statistical fluctuations of a perfect generator.
    """
    names = sorted(simulated)
    if set(names) != set(generated):
        raise ValueError("the two samples must have the same observables")

    def matrix(obs, energies):
        return np.column_stack([obs[n] for n in names] + [np.log(np.asarray(energies, float).reshape(-1))])

    X = np.vstack([matrix(simulated, energies_simulated), matrix(generated, energies_generated)])
    return _boosted_tree_auc(X, len(simulated[names[0]]), test_fraction, seed)


def cell_classifier_auc(simulated, generated, energies_simulated, energies_generated, test_fraction: float = 0.5,
                        seed: int = 0, geometry: CalorimeterGeometry = GEOMETRY) -> float:
    """Low-level classifier test (CaloChallenge style): a neural network on the cells themselves.

    Features: log(1 + cell / threshold) for every cell (0 for an empty one) plus log(E),
    standardised; classifier: scikit-learn's ``MLPClassifier`` (two hidden layers of 64,
    early stopping), trained on one part and evaluated (AUC) on the held-out ``test_fraction``.
    It sees what the observables summarise away (the pattern of hit cells, single hot cells).
    """
    simulated, energies_simulated = _check_pair(simulated, energies_simulated, geometry)
    generated, energies_generated = _check_pair(generated, energies_generated, geometry)
    threshold = geometry.threshold_MeV * 1e-3

    def matrix(showers, energies):
        cells = np.log1p(np.maximum(showers, 0).reshape(len(showers), -1) / threshold)
        return np.column_stack([cells, np.log(energies)])

    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = np.vstack([matrix(simulated, energies_simulated), matrix(generated, energies_generated)])
    y = np.concatenate([np.zeros(len(simulated)), np.ones(len(generated))])
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_fraction, random_state=seed, stratify=y)
    classifier = make_pipeline(StandardScaler(), MLPClassifier((64, 64), alpha=1e-3, early_stopping=True,
                                                               max_iter=100, random_state=seed))
    with _one_thread():
        classifier.fit(X_train, y_train)
        return float(roc_auc_score(y_test, classifier.predict_proba(X_test)[:, 1]))


def _one_thread():
    """Run small fits on one BLAS/OpenMP thread: on a busy 2-core machine, more threads made them
    3-4 times slower (measured for these sample sizes), and the results do not depend on it."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def _boosted_tree_auc(X, n_simulated, test_fraction, seed):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    y = np.concatenate([np.zeros(n_simulated), np.ones(len(X) - n_simulated)])
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_fraction, random_state=seed, stratify=y)
    classifier = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, early_stopping=True,
                                                validation_fraction=0.2, random_state=seed)
    with _one_thread():
        classifier.fit(X_train, y_train)
        return float(roc_auc_score(y_test, classifier.predict_proba(X_test)[:, 1]))
