"""Self-checks for the exercises: students call them before submitting, the graded tests call them too.

Each check tests a *physical property* of the student's result (a centred image has its
pT-weighted centroid at the origin, a rotated one has its principal axis vertical, ...) and
fails with a message that says what is physically wrong and by how much. They never compute
the reference answer, so calling them reveals nothing the exercise asks the student to write.
``check_centred``, ``check_rotated``, ``check_flipped`` and ``check_images`` describe the
course's own jet-image recipe (centroid and principal axis, hepcourse.physics.jets.images;
tests/test_images.py); exercise 01 asks for another recipe and has its own tests.
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


def check_resolution_fit(terms, errors, energy, sigma_over_e, err, model, max_chi2_ndf: float = 5.0,
                         errors_rtol: float | None = None) -> None:
    """A resolution fit result: three finite terms >= 0 with finite positive errors whose curve
    ``model(E, *terms)`` describes the points (chi^2/ndf at most ``max_chi2_ndf``).

    With ``errors_rtol`` the errors must also be those of a weighted least-squares fit, within
    that relative tolerance: the 1-sigma errors propagated from the points' uncertainties ``err``,
    sqrt(diag(C)) with C = (J^T W J)^-1, J the derivatives of ``model`` with respect to the terms
    at the fitted terms and W = diag(1/err^2) (what ``curve_fit(..., sigma=err,
    absolute_sigma=True)`` returns; least_squares' Jacobian or the Hessian of chi^2 give the same
    to about 1 %). Only for fits with all three terms away from 0 (where the model is flat in a
    term its covariance means nothing).
    """
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
             f"the covariance matrix that curve_fit returns, with sigma=err and absolute_sigma=True (the errors "
             f"propagated from the points' uncertainties, not 0 even when the curve passes through every point)")
    energy = np.asarray(energy, dtype=float)
    sigma_over_e = np.asarray(sigma_over_e, dtype=float)
    err = np.asarray(err, dtype=float)
    curve = np.asarray(model(energy, *terms), dtype=float)
    chi2_ndf = float(np.sum(((sigma_over_e - curve) / err) ** 2) / max(energy.size - 3, 1))
    _require(chi2_ndf <= max_chi2_ndf,
             f"the fitted curve misses the points: chi2/ndf = {chi2_ndf:.1f} with a, b, c = "
             f"{np.round(terms, 4).tolist()}. Did you fit sigma/E (not sigma), give curve_fit the "
             f"uncertainties (sigma=err, absolute_sigma=True) and a sensible starting point p0?")
    if errors_rtol is not None:
        _check_resolution_errors(terms, errors, energy, err, model, errors_rtol)


def _check_resolution_errors(terms, errors, energy, err, model, rtol: float) -> None:
    """The errors are the weighted least-squares ones (see :func:`check_resolution_fit`)."""
    _require(bool(np.all(terms > 0)), f"the errors can be checked only for terms away from 0, got {terms}")
    steps = 1e-6 * terms
    jacobian = np.stack([(np.asarray(model(energy, *(terms + step)), dtype=float)
                          - np.asarray(model(energy, *(terms - step)), dtype=float)) / (2 * step[i])
                         for i, step in enumerate(np.diag(steps))], axis=1)
    expected = np.sqrt(np.diag(np.linalg.inv(jacobian.T @ (jacobian / err[:, None] ** 2))))
    ratio = errors / expected
    if np.all(np.abs(ratio - 1) <= rtol):
        return
    if np.allclose(errors, expected**2, rtol=rtol):
        hint = ("these are the variances, the diagonal of the covariance matrix itself: the errors are "
                "their square roots")
    elif np.all(ratio < 1):
        hint = ("they are too small: the errors asked for are propagated from the points' uncertainties "
                "(sigma=err, absolute_sigma=True); with absolute_sigma=False curve_fit rescales them by "
                "sqrt(chi2/ndf), which is 0 for points without scatter")
    elif np.all(ratio > 1):
        hint = ("they are too large: did you give curve_fit the uncertainties (sigma=err)? Without them "
                "every point counts as uncertain by 1, far more than its sigma/E of a few per cent")
    else:
        hint = "take the square root of the diagonal of the covariance matrix of a fit weighted by 1/err^2"
    _require(False,
             f"the errors of (a, b, c) are {np.array2string(errors, precision=5)}, but the uncertainties of the "
             f"points propagate to {np.array2string(expected, precision=5)} at your terms (ratio "
             f"{np.array2string(ratio, precision=3)}, allowed 1 +- {rtol:g}): {hint}")


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


# ---- exercise 03: the WGAN-GP functions (also decide which functions task 3 trains with) ------

def _one_number(value, what: str) -> float:
    arr = np.asarray(value, dtype=np.float64)
    _require(arr.size == 1, f"{what} must be one number (a scalar tensor), got an array of shape {arr.shape}: "
                            f"did you forget the mean over the batch?")
    return float(arr.reshape(-1)[0])


def _toy_showers(shape, n: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    real = rng.exponential(size=(n, *shape)).astype("float32")
    fake = rng.exponential(size=(n, *shape)).astype("float32")
    return rng, real, fake, np.zeros((n, 1), "float32")


def check_gradient_penalty_linear(gradient_penalty, shape=(22, 11, 11)) -> None:
    """A linear critic D(x) = w.x has the gradient w everywhere: the penalty is (||w|| - 1)^2."""
    import tensorflow as tf

    rng, real, fake, condition = _toy_showers(shape, 6)
    axes = tuple(range(1, len(shape) + 1))
    for norm_w in (0.3, 2.0):
        w = rng.normal(size=shape)
        w = tf.constant((w * norm_w / np.linalg.norm(w)).astype("float32"))

        def linear_critic(inputs, w=w, **kwargs):
            return tf.reduce_sum(inputs[0] * w, axis=axes)[:, None]

        value = _one_number(gradient_penalty(linear_critic, real, fake, condition), "the penalty")
        expected = (norm_w - 1.0) ** 2
        _require(abs(value - expected) < 1e-4,
                 f"for a linear critic with ||w|| = {norm_w} the gradient norm is {norm_w} everywhere, so the "
                 f"penalty is ({norm_w} - 1)^2 = {expected:.3f}; you returned {value:.4f}. "
                 f"(||w||^2 = {norm_w ** 2:.3f} means the -1 is missing; {abs(norm_w - 1):.3f} the square.)")


def check_gradient_penalty_interpolates(gradient_penalty, shape=(22, 11, 11)) -> None:
    """The penalty is evaluated at eps * real + (1 - eps) * fake, with the given ``epsilon`` or,
    without it, with one random eps ~ U(0, 1) per shower (a fresh one at every call)."""
    import tensorflow as tf

    axes = tuple(range(1, len(shape) + 1))
    _, real, fake, condition = _toy_showers(shape, 6)

    # D(x) = sum(x^2)/2 has the gradient x: the penalty depends on WHERE it is evaluated
    def quadratic_critic(inputs, **kwargs):
        return 0.5 * tf.reduce_sum(inputs[0] ** 2, axis=axes)[:, None]

    eps = np.linspace(0.1, 0.9, 6).astype("float32")
    small_real, small_fake = 0.02 * real, 0.02 * fake
    eps_b = eps.reshape((-1,) + (1,) * len(shape))
    xhat = eps_b * small_real + (1 - eps_b) * small_fake

    def penalty_at(x):
        return float(np.mean((np.linalg.norm(x.reshape(len(x), -1), axis=1) - 1) ** 2))

    expected = penalty_at(xhat)
    value = _one_number(gradient_penalty(quadratic_critic, small_real, small_fake, condition, epsilon=eps),
                        "the penalty")
    _require(abs(value - expected) < 1e-4 * max(1.0, expected),
             f"with D(x) = sum(x^2)/2 the penalty at the interpolates is {expected:.4f}, you returned {value:.4f} "
             f"(at the real showers it would be {penalty_at(small_real):.4f}, at the fakes "
             f"{penalty_at(small_fake):.4f}): interpolate each shower with its own eps, eps*real + (1-eps)*fake, "
             f"and differentiate there")

    # without epsilon: real showers of ones and fakes of zeros make the interpolate of each shower
    # its own eps in every cell; a critic that records its input shows them
    n = 64
    ones, zeros = np.ones((n, *shape), "float32"), np.zeros((n, *shape), "float32")
    seen = []

    def recording_critic(inputs, **kwargs):
        seen.append(inputs[0])
        return quadratic_critic(inputs)

    fractions = []
    for _ in range(2):
        seen.clear()
        value = gradient_penalty(recording_critic, ones, zeros, np.zeros((n, 1), "float32"))
        _require(np.ndim(np.asarray(value)) == 0,
                 f"the penalty must be one number (a scalar tensor), got shape {np.shape(np.asarray(value))}")
        _require(len(seen) > 0, "your gradient_penalty never called the critic on the interpolates")
        try:
            xhat = np.asarray(seen[-1], dtype=np.float64)
        except Exception as error:  # a symbolic tensor (the function compiled on its own)
            raise CheckFailed(f"could not read the interpolates your function gave the critic ({error}); "
                              f"call it eagerly: the training step compiles it for you") from None
        _require(xhat.shape == (n, *shape),
                 f"the critic got interpolates of shape {xhat.shape}, expected the {n} showers {(n, *shape)}")
        flat = xhat.reshape(n, -1)
        spread = float(np.max(flat.max(axis=1) - flat.min(axis=1)))
        _require(spread < 1e-5,
                 f"between a real shower of ones and a fake of zeros every cell of the interpolate must be the "
                 f"same eps, but the cells of one shower differ by up to {spread:.3f}: draw one eps per shower "
                 f"(shape (B,), reshaped to (B, 1, 1, 1)), not one per cell")
        eps_drawn = flat[:, 0]
        _require(bool(np.all((eps_drawn >= 0) & (eps_drawn <= 1))),
                 f"eps must lie in [0, 1] (a point between the real and the fake shower); you drew values from "
                 f"{eps_drawn.min():.3f} to {eps_drawn.max():.3f}")
        _require(float(np.ptp(eps_drawn)) > 1e-6,
                 f"all {n} showers of the batch were interpolated at the same fraction eps = {eps_drawn[0]:.4f}: "
                 f"WGAN-GP draws one eps ~ U(0, 1) per shower (per real/fake pair), e.g. "
                 f"keras.random.uniform((ops.shape(real)[0],)), not one number for the whole batch")
        fractions.append(eps_drawn)
    _require(not np.allclose(fractions[0], fractions[1]),
             "two calls without epsilon interpolated at the same eps: draw eps afresh at every call "
             "(keras.random.uniform), so that each training step sees new points between real and fake")


def check_critic_loss(critic_loss) -> None:
    """Real showers scoring 2 and 4, fakes -1 and 0: the critic's loss is -(3 - (-0.5)) = -3.5."""
    real_scores = np.array([[2.0], [4.0]], "float32")
    fake_scores = np.array([[-1.0], [0.0]], "float32")
    value = _one_number(critic_loss(real_scores, fake_scores), "the critic loss")
    _require(abs(value - (-3.5)) < 1e-6,
             f"real showers scoring 2 and 4, fakes -1 and 0: the critic's W1 estimate is 3 - (-0.5) = 3.5 and its "
             f"loss -3.5 (it minimises the loss); you returned {value:.3f}"
             + (": the sign is flipped, your critic would learn to call fakes real" if abs(value - 3.5) < 1e-6 else ""))


def check_generator_loss(generator_loss) -> None:
    """Fakes scoring -1 and 0: the generator's loss -E[D(fake)] is 0.5."""
    fake_scores = np.array([[-1.0], [0.0]], "float32")
    value = _one_number(generator_loss(fake_scores), "the generator loss")
    _require(abs(value - 0.5) < 1e-6,
             f"fakes scoring -1 and 0 (mean -0.5): the generator's loss -E[D(fake)] is 0.5; you returned {value:.3f}"
             + (": the sign is flipped, your generator would make its showers look less real"
                if abs(value + 0.5) < 1e-6 else ""))
