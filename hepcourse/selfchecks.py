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


# --- Exercise 02: calorimeter energy resolution and regression ------------------------------


def check_resolution_model(model) -> None:
    """``model(E, a, b, c)`` is sigma/E with a stochastic, a constant and a noise term in quadrature.

    Tests the physics of each term alone (a/sqrt(E), b, c/E) and that the three combine in
    quadrature, using only the student's own function.
    """
    energy = np.array([1.0, 4.0, 25.0, 100.0])
    try:
        terms = {name: np.asarray(model(energy, *args), dtype=float) for name, args in
                 (("a", (0.2, 0.0, 0.0)), ("b", (0.0, 0.03, 0.0)), ("c", (0.0, 0.0, 0.5)), ("all", (0.2, 0.03, 0.5)))}
    except Exception as exc:  # noqa: BLE001 - any failure is the student's to see
        raise CheckFailed(f"calling your model with an array of energies failed: {type(exc).__name__}: {exc}. "
                          f"It must work on NumPy arrays (use np.sqrt, not math.sqrt).") from None
    for name, values in terms.items():
        _require(values.shape == energy.shape,
                 f"your model returned shape {values.shape} for {energy.size} energies; return one sigma/E per energy")
        _require(bool(np.all(np.isfinite(values))), f"your model returned NaN/inf for terms {name}")
    stochastic = terms["a"] * np.sqrt(energy)
    _require(np.allclose(stochastic, stochastic[0], rtol=1e-6),
             f"with only the stochastic term (a = 0.2) sigma/E * sqrt(E) should be constant (sampling "
             f"fluctuations are Poisson-like: sigma ~ sqrt(E)); you give {np.round(stochastic, 4).tolist()}")
    _require(np.allclose(terms["b"], terms["b"][0], rtol=1e-6),
             f"with only the constant term (b = 0.03) sigma/E should not depend on E; you give "
             f"{np.round(terms['b'], 4).tolist()}")
    noise = terms["c"] * energy
    _require(np.allclose(noise, noise[0], rtol=1e-6),
             f"with only the noise term (c = 0.5 GeV) sigma = c is fixed, so sigma/E * E should be constant; "
             f"you give {np.round(noise, 4).tolist()}")
    quadrature = np.sqrt(terms["a"] ** 2 + terms["b"] ** 2 + terms["c"] ** 2)
    linear = terms["a"] + terms["b"] + terms["c"]
    hint = " - that is the linear sum of the terms" if np.allclose(terms["all"], linear, rtol=1e-6) else ""
    _require(np.allclose(terms["all"], quadrature, rtol=1e-6),
             f"the terms must add in quadrature (independent fluctuations: their variances add): "
             f"at E = 1 GeV with a = 0.2, b = 0.03, c = 0.5 you give {terms['all'][0]:.4f}{hint}")


def check_resolution_fit(terms, errors, energy, sigma_over_e, err, model, max_chi2_ndf: float = 5.0) -> None:
    """A resolution fit result: three finite terms >= 0 with finite positive errors whose curve
    ``model(E, *terms)`` describes the points (chi^2/ndf at most ``max_chi2_ndf``)."""
    terms = np.asarray(terms, dtype=float).ravel()
    errors = np.asarray(errors, dtype=float).ravel()
    _require(terms.shape == (3,), f"return the three terms (a, b, c), got {terms.size} numbers")
    _require(errors.shape == (3,), f"return one error per term, got {errors.size} numbers")
    _require(bool(np.all(np.isfinite(terms))), f"the fitted terms are not finite: {terms}")
    _require(bool(np.all(terms >= 0)),
             f"the fitted terms must be >= 0 (each is the size of a fluctuation; the model only sees "
             f"their squares), got a, b, c = {np.round(terms, 4).tolist()}: pass bounds=(0, np.inf) to curve_fit")
    _require(bool(np.all(np.isfinite(errors)) and np.all(errors > 0)),
             f"the errors must be finite and positive, got {errors}: take the square root of the diagonal of "
             f"the covariance matrix that curve_fit returns")
    energy = np.asarray(energy, dtype=float)
    sigma_over_e = np.asarray(sigma_over_e, dtype=float)
    err = np.asarray(err, dtype=float)
    curve = np.asarray(model(energy, *terms), dtype=float)
    chi2_ndf = float(np.sum(((sigma_over_e - curve) / err) ** 2) / max(energy.size - 3, 1))
    _require(chi2_ndf <= max_chi2_ndf,
             f"the fitted curve misses the points: chi2/ndf = {chi2_ndf:.1f} with a, b, c = "
             f"{np.round(terms, 4).tolist()}. Did you fit sigma/E (not sigma), give curve_fit the "
             f"uncertainties (sigma=err, absolute_sigma=True) and a sensible starting point p0?")


def check_energy_regressor(e_true, e_reco, target: float, what: str = "your regressor", bins: int = 8,
                           max_bias: float = 0.1) -> float:
    """Energies (GeV) reconstructed for showers of true energy ``e_true``: finite, unbiased within
    ``max_bias`` in every energy bin, and a mean resolution sigma/E over the bins below ``target``.
    Returns the mean resolution.

    ``max_bias`` is loose on purpose: a regressor trained on 1-100 GeV is pulled towards the inside
    of that range near its ends (a few per cent in the lowest bin); the check catches wrong units.
    """
    from .metrics import binned_resolution

    e_true = np.asarray(e_true, dtype=np.float64).ravel()
    e_reco = np.asarray(e_reco, dtype=np.float64)
    _require(e_reco.size == e_true.size and e_reco.ndim <= 2,
             f"expected one energy per shower ({e_true.size}), got an array of shape {e_reco.shape}")
    e_reco = e_reco.ravel()
    _require(bool(np.all(np.isfinite(e_reco))), f"{what} returns NaN/inf for {int(np.sum(~np.isfinite(e_reco)))} showers")
    binned = binned_resolution(e_true, e_reco, bins=bins)
    worst = int(np.argmax(np.abs(binned.response - 1)))
    _require(abs(binned.response[worst] - 1) <= max_bias,
             f"{what} is biased: the median E_reco/E_true is {binned.response[worst]:.3f} at E = "
             f"{binned.energy[worst]:.1f} GeV (allowed 1 +- {max_bias}). Does it predict the energy in GeV "
             f"(not the visible energy, not log E)? Did training converge?")
    value = binned.mean_resolution()
    _require(value < target,
             f"{what} reaches a mean resolution sigma/E = {value:.4f} over {bins} energy bins; the target is "
             f"{target:.4f}. Per bin: {np.round(binned.resolution, 3).tolist()} at E = "
             f"{np.round(binned.energy, 1).tolist()} GeV. A network that only rescales the sum cannot win: "
             f"it must use the layer profile (leakage at high energy).")
    return value
