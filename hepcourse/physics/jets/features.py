"""Per-constituent input features for Deep Sets / PFN and graph networks (ParticleNet-style).

For each of the ``n_max`` hardest constituents of a jet: (d_eta, d_phi) relative to the jet
axis, log pT, log E, log(pT / pT_jet), log(E / E_jet) and dR to the axis. The first two
columns are the coordinates EdgeConv uses to find neighbours. Padded slots stay exactly zero,
which is how the models recognise (and mask) them.
"""

from __future__ import annotations

import numpy as np

from .kinematics import delta_phi, eta, phi, pt

CONSTITUENT_FEATURES = ("d_eta", "d_phi", "log_pt", "log_e", "log_pt_rel", "log_e_rel", "d_r")


def constituent_features(constituents: np.ndarray, n_max: int = 100) -> np.ndarray:
    """(n, N, 4) padded (E, px, py, pz) -> (n, n_max, 7) float32 features (zeros where padded)."""
    constituents = np.asarray(constituents, dtype=np.float64)
    if constituents.ndim != 3 or constituents.shape[-1] != 4:
        raise ValueError(f"constituents must have shape (n_jets, n_constituents, 4), got {constituents.shape}")
    c = constituents[:, :n_max]
    real = c[..., 0] > 0
    jet = constituents.sum(axis=1)
    jet_pt, jet_eta, jet_phi, jet_e = pt(jet)[:, None], eta(jet)[:, None], phi(jet)[:, None], jet[:, 0][:, None]
    c_pt, c_e = pt(c), c[..., 0]
    d_eta = eta(c) - jet_eta
    d_phi = delta_phi(phi(c), jet_phi)
    safe_pt, safe_e = np.where(real, c_pt, 1.0), np.where(real, c_e, 1.0)
    features = np.stack(
        [d_eta, d_phi, np.log(safe_pt), np.log(safe_e), np.log(safe_pt / jet_pt), np.log(safe_e / jet_e),
         np.hypot(d_eta, d_phi)],
        axis=-1,
    )
    features[~real] = 0.0
    out = np.zeros((len(c), n_max, len(CONSTITUENT_FEATURES)), dtype=np.float32)
    out[:, : c.shape[1]] = features
    return out
