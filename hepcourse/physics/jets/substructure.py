"""Jet substructure observables computed from padded constituent arrays (n, N, 4).

N-subjettiness (Thaler & Van Tilburg, arXiv:1011.2268) with beta = 1:
tau_N = sum_i pT_i min_k dR(i, axis_k) / (sum_i pT_i * R0), with the axes taken as the
exclusive-kT subjets of the jet (FastJet, R = 10 so that every constituent is merged).
tau32 = tau3/tau2 is small for three-prong (top) jets, tau21 for two-prong (W) jets.
"""

from __future__ import annotations

import warnings

import awkward as ak
import numpy as np

from .kinematics import delta_r, eta, mass, phi, pt

HLF_NAMES = ("mass", "pt", "tau1", "tau2", "tau3", "tau21", "tau32", "n_constituents")


def _exclusive_axes(constituents: np.ndarray, n_axes: int) -> np.ndarray:
    """(eta, phi) of the ``n_axes`` exclusive-kT subjets of each jet: shape (n, n_axes, 2)."""
    from .clustering import _quiet_fastjet

    fastjet = _quiet_fastjet()
    real = constituents[..., 0] > 0
    flat = constituents[real]
    events = ak.unflatten(
        ak.zip({"px": flat[:, 1], "py": flat[:, 2], "pz": flat[:, 3], "E": flat[:, 0]}), real.sum(axis=1)
    )
    sequence = fastjet.ClusterSequence(events, fastjet.JetDefinition(fastjet.kt_algorithm, 10.0))
    with warnings.catch_warnings():
        # fastjet warns about exclusive jets for non-kT finders even when the finder is kT.
        warnings.filterwarnings("ignore", message="dcut and exclusive jets")
        axes = sequence.exclusive_jets(n_jets=n_axes)
    p4 = np.stack([ak.to_numpy(ak.to_regular(axes[f])) for f in ("E", "px", "py", "pz")], axis=-1)
    return np.stack([eta(p4), phi(p4)], axis=-1)


def nsubjettiness(constituents: np.ndarray, n_max: int = 3, radius: float = 0.8) -> np.ndarray:
    """tau_1 .. tau_n_max for each jet: shape (n, n_max)."""
    n_real = (constituents[..., 0] > 0).sum(axis=1)
    if np.any(n_real < n_max):
        raise ValueError(f"N-subjettiness tau_{n_max} needs at least {n_max} constituents per jet; "
                         f"{int(np.sum(n_real < n_max))} jets have fewer")
    c_pt, c_eta, c_phi = pt(constituents), eta(constituents), phi(constituents)
    norm = c_pt.sum(axis=1) * radius
    taus = []
    for n in range(1, n_max + 1):
        axes = _exclusive_axes(constituents, n)
        dr = delta_r(c_eta[..., None], c_phi[..., None], axes[:, None, :, 0], axes[:, None, :, 1])
        taus.append((c_pt * dr.min(axis=2)).sum(axis=1) / norm)
    return np.stack(taus, axis=1)


def high_level_features(constituents: np.ndarray, radius: float = 0.8) -> np.ndarray:
    """The high-level features named in ``HLF_NAMES``, shape (n, len(HLF_NAMES)), float32."""
    jet = constituents.sum(axis=1)
    taus = nsubjettiness(constituents, 3, radius)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau21 = np.where(taus[:, 0] > 0, taus[:, 1] / taus[:, 0], 0.0)
        tau32 = np.where(taus[:, 1] > 0, taus[:, 2] / taus[:, 1], 0.0)
    n_const = (constituents[..., 0] > 0).sum(axis=1)
    return np.column_stack([mass(jet), pt(jet), taus, tau21, tau32, n_const]).astype(np.float32)
