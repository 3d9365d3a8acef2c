"""Vectorised kinematics of four-momenta stored as (..., 4) arrays in the order (E, px, py, pz).

That order is the one of the public top-tagging dataset, so the same helpers serve
generated and public data. Zero-padded entries (all four components 0) give pT = 0 and
eta = phi = 0 instead of NaN, so padded arrays can be processed without masking first.
"""

from __future__ import annotations

import numpy as np

E, PX, PY, PZ = range(4)


def pt(p4: np.ndarray) -> np.ndarray:
    """Transverse momentum."""
    return np.hypot(p4[..., PX], p4[..., PY])


def phi(p4: np.ndarray) -> np.ndarray:
    """Azimuth in (-pi, pi]."""
    return np.arctan2(p4[..., PY], p4[..., PX])


def eta(p4: np.ndarray) -> np.ndarray:
    """Pseudorapidity; 0 for zero-padded entries."""
    pt_ = pt(p4)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.arcsinh(np.where(pt_ > 0, p4[..., PZ] / np.where(pt_ > 0, pt_, 1.0), 0.0))
    return out


def mass(p4: np.ndarray) -> np.ndarray:
    """Invariant mass, with small negative m^2 from rounding clipped to 0."""
    m2 = p4[..., E] ** 2 - p4[..., PX] ** 2 - p4[..., PY] ** 2 - p4[..., PZ] ** 2
    return np.sqrt(np.clip(m2, 0.0, None))


def delta_phi(phi1, phi2):
    """phi1 - phi2 wrapped into [-pi, pi)."""
    return (np.asarray(phi1) - np.asarray(phi2) + np.pi) % (2 * np.pi) - np.pi


def delta_r(eta1, phi1, eta2, phi2):
    """Distance in the (eta, phi) plane."""
    return np.hypot(np.asarray(eta1) - np.asarray(eta2), delta_phi(phi1, phi2))


def from_pt_eta_phi_m(pt_, eta_, phi_, m=0.0) -> np.ndarray:
    """Build (E, px, py, pz) arrays from (pT, eta, phi, m)."""
    pt_, eta_, phi_ = (np.asarray(a, dtype=np.float64) for a in (pt_, eta_, phi_))
    px, py, pz = pt_ * np.cos(phi_), pt_ * np.sin(phi_), pt_ * np.sinh(eta_)
    e = np.sqrt(px**2 + py**2 + pz**2 + np.asarray(m, dtype=np.float64) ** 2)
    return np.stack([e, px, py, pz], axis=-1)
