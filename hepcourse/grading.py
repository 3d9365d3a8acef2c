"""Self-checks for the exercises: students call them before submitting, the graded tests call them too.

Each check tests a *physical property* of the student's result (a centred image has its
pT-weighted centroid at the origin, a rotated one has its principal axis vertical, ...) and
fails with a message that says what is physically wrong and by how much. They never compute
the reference answer, so calling them reveals nothing the exercise asks the student to write.
"""

from __future__ import annotations

import numpy as np


class CheckFailed(AssertionError):
    """A self-check found a physics or shape problem; the message explains it."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def _as_arrays(*arrays, names):
    out = []
    for arr, name in zip(arrays, names):
        arr = np.asarray(arr, dtype=np.float64)
        _require(arr.ndim == 2, f"{name} must have shape (n_jets, n_constituents), got {arr.shape}")
        _require(bool(np.all(np.isfinite(arr))), f"{name} contains NaN or inf ({int(np.sum(~np.isfinite(arr)))} entries)")
        out.append(arr)
    shapes = {a.shape for a in out}
    _require(len(shapes) == 1, f"{', '.join(names)} must have the same shape, got {[a.shape for a in out]}")
    return out


def weighted_centroid(pt, eta, phi):
    """pT-weighted mean (eta, phi) per jet."""
    total = pt.sum(axis=1)
    return (pt * eta).sum(axis=1) / total, (pt * phi).sum(axis=1) / total


def check_centred(pt, eta, phi, tol: float = 1e-3) -> None:
    """The pT-weighted centroid of every jet is at (0, 0)."""
    pt, eta, phi = _as_arrays(pt, eta, phi, names=("pt", "eta", "phi"))
    c_eta, c_phi = weighted_centroid(pt, eta, phi)
    worst = int(np.argmax(np.hypot(c_eta, c_phi)))
    _require(
        np.hypot(c_eta[worst], c_phi[worst]) < tol,
        f"the jet is not centred: jet {worst} has its pT-weighted centroid at "
        f"({c_eta[worst]:.3f}, {c_phi[worst]:.3f}), expected (0, 0)",
    )


def principal_angle(pt, eta, phi):
    """Angle (rad, in (-pi/2, pi/2]) between the principal axis and the eta axis, per jet."""
    s_ee = (pt * eta * eta).sum(axis=1)
    s_pp = (pt * phi * phi).sum(axis=1)
    s_ep = (pt * eta * phi).sum(axis=1)
    return 0.5 * np.arctan2(2 * s_ep, s_ee - s_pp)


def check_rotated(pt, eta, phi, tol_deg: float = 1.0) -> None:
    """The principal axis of every (centred) jet points along phi (vertical in the image)."""
    pt, eta, phi = _as_arrays(pt, eta, phi, names=("pt", "eta", "phi"))
    check_centred(pt, eta, phi)
    off = np.degrees(np.abs(np.abs(principal_angle(pt, eta, phi)) - np.pi / 2))
    worst = int(np.argmax(off))
    _require(
        off[worst] < tol_deg,
        f"the jet is not rotated: the principal axis of jet {worst} is {off[worst]:.1f} degrees away from "
        f"the vertical (phi) axis; rotate by the angle of the largest-variance direction",
    )


def check_flipped(pt, eta, phi) -> None:
    """Most of every jet's pT lies at eta > 0 and at phi > 0."""
    pt, eta, phi = _as_arrays(pt, eta, phi, names=("pt", "eta", "phi"))
    for name, coord in (("eta", eta), ("phi", phi)):
        positive = (pt * (coord > 0)).sum(axis=1)
        negative = (pt * (coord < 0)).sum(axis=1)
        bad = np.flatnonzero(negative > positive + 1e-9)
        _require(
            bad.size == 0,
            f"the jet is not flipped: {bad.size} jets carry more pT at {name} < 0 than at {name} > 0 "
            f"(first: jet {bad[0] if bad.size else -1}); mirror {name} -> -{name} for those jets",
        )


def check_images(images, n_jets: int | None = None, n_pixels: int = 40) -> None:
    """Shape (n, 40, 40), finite, non-negative, each image normalised to a pixel sum of 1."""
    images = np.asarray(images)
    _require(images.ndim == 3 and images.shape[1:] == (n_pixels, n_pixels),
             f"images must have shape (n_jets, {n_pixels}, {n_pixels}), got {images.shape}")
    if n_jets is not None:
        _require(images.shape[0] == n_jets, f"expected {n_jets} images (one per jet), got {images.shape[0]}")
    _require(bool(np.all(np.isfinite(images))), "images contain NaN or inf: check the normalisation of empty images")
    _require(bool(np.all(images >= 0)), "images contain negative pixels: pixel intensities are transverse momenta")
    sums = images.sum(axis=(1, 2))
    worst = int(np.argmax(np.abs(sums - 1)))
    _require(np.abs(sums[worst] - 1) < 1e-3,
             f"images are not normalised: image {worst} sums to {sums[worst]:.4f}, expected 1")


def check_classifier_auc(y_true, score, target: float, what: str = "the classifier") -> float:
    """AUC of ``score`` is at least ``target``; returns the AUC."""
    from .metrics import auc

    value = auc(y_true, score)
    _require(value >= target,
             f"{what} reaches AUC = {value:.3f} on the held-out jets; the target is {target:.3f}. "
             f"Check the preprocessing first (mean images of top and QCD should look different), then train longer.")
    return value
