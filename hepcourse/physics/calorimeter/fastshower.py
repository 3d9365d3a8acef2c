"""A GFlash-style parametrised fast simulation of EM showers, tuned to the detailed simulation.

The second baseline for the generative lecture: instead of following particles
(`hepcourse.physics.calorimeter`), each shower is drawn from parametrised distributions, as in
GFlash (G. Grindhammer and S. Peters, arXiv:hep-ex/0001020):

* Longitudinal: a Gamma profile dE/dt = E b (bt)^(a-1) e^(-bt) / Gamma(a) per shower, with
  (ln T, ln a), T = (a - 1)/b the depth of the maximum, drawn from a correlated Gaussian
  whose means depend linearly on ln E (GFlash's form; constant covariance here).
* Energy: the visible (silicon) sum is E r(E) (1 + z), r linear in ln E, z Gaussian with
  variance a_s^2/E + b_s^2 (the stochastic part not already produced by the spots below).
* Lateral: per layer, the GFlash core + tail density
  f(r) = p 2 r R_C^2/(r^2 + R_C^2)^2 + (1 - p) 2 r R_T^2/(r^2 + R_T^2)^2,
  with (R_C, R_T, p) a function of the depth relative to the shower maximum, tau = t / T
  (tabulated in bins of tau rather than GFlash's analytic tau dependence).
* Fluctuations: each layer's energy is split into spots of one MIP of visible energy
  (0.214 MeV), distributed multinomially over the cells with the lateral weights; then the
  electronic noise and zero suppression of `calorimeter.digitise`.

Every parameter is FITTED to showers of the detailed simulation by :func:`fit` (per-shower
profile moments, linear regressions in ln E, core/tail fits of the mean cell fractions);
nothing is copied from GFlash's tungsten tables. :func:`generate` then draws showers shaped
like `calorimeter.simulate`'s output (float32 GeV, [layer, y, x]).

Measured (``python -m hepcourse.physics.calorimeter.fastshower`` = `comparison_summary`, fit on 300
detailed e- showers log-uniform in 1-100 GeV; 2026-12-01, a shared machine under load):

    E/GeV  model     visible/E  sigma/E  t_max/X0  within R_M  cells>0  CPU ms/shower
        2  detailed  0.02080  0.1148      4.64       0.880       38      2.28
        2  fast      0.02057  0.1187      4.87       0.841       77      0.22
       10  detailed  0.02048  0.0526      6.27       0.880      123     13.44
       10  fast      0.02046  0.0536      6.23       0.868      219      0.29
       50  detailed  0.02028  0.0328      8.15       0.886      340     56.04
       50  fast      0.02039  0.0240      8.05       0.890      519      0.29

(the detailed sigma/E at 50 GeV comes from 20 showers only). The fast simulation is 10-200
times faster and gets the mean response, the shower maximum and the containment roughly
right, but it hits about 1.5-2 times too many cells (one-MIP spots spread by the mean
lateral density, without the clustering of real tracks) and misses the correlations between
longitudinal and lateral fluctuations: the kind of shortcoming a generative model should do
better on, at similar speed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import shower_shapes
from .cascade import simulate_deposits
from .digitisation import digitise, simulate
from .geometry import GEOMETRY, CalorimeterGeometry

TAU_EDGES = (0.0, 0.4, 0.8, 1.2, 1.6, 2.0, 2.6, 3.5, np.inf)
_SUB = 8  # sub-samples per cell side when integrating the lateral density over a cell


@dataclass(frozen=True)
class FastShowerParameters:
    """Fitted parameters; see the module docstring for their meaning. Energies in GeV, radii in mm."""

    ln_t: tuple[float, float]  # mean ln T = ln_t[0] + ln_t[1] ln E
    ln_alpha: tuple[float, float]
    covariance: tuple[tuple[float, float], tuple[float, float]]  # of (ln T, ln a)
    response: tuple[float, float]  # visible/E = response[0] + response[1] ln E
    resolution: tuple[float, float]  # (a_s, b_s) of the extra Gaussian fluctuation
    r_core_mm: tuple[float, ...]  # per tau bin
    r_tail_mm: tuple[float, ...]
    p_core: tuple[float, ...]
    spot_MeV: float
    n_reference: int


def _layer_moments(vis: np.ndarray, g: CalorimeterGeometry):
    e = vis.sum(axis=(2, 3))
    total = e.sum(axis=1)
    t = g.active_depth_X0()
    mean = (e * t).sum(axis=1) / total
    var = (e * (t - mean[:, None]) ** 2).sum(axis=1) / total
    alpha = np.maximum(mean ** 2 / var, 1.05)
    t_max = np.maximum(mean - var / mean, 0.2)
    return e, total, alpha, t_max


def _cell_weights(r_core, r_tail, p, g: CalorimeterGeometry) -> np.ndarray:
    """Fraction of a core+tail shower (axis at the beam) in each cell, [y, x] (sums to <= 1)."""
    offsets = ((np.arange(_SUB) + 0.5) / _SUB - 0.5) * g.cell_size_mm
    pts = (g.cell_centres_mm()[:, None] + offsets[None, :]).ravel()
    r2 = pts[:, None] ** 2 + pts[None, :] ** 2
    density = (p * r_core ** 2 / (np.pi * (r2 + r_core ** 2) ** 2)
               + (1 - p) * r_tail ** 2 / (np.pi * (r2 + r_tail ** 2) ** 2))  # per mm^2, integrates to 1
    area = (g.cell_size_mm / _SUB) ** 2
    n = g.n_cells
    return (density * area).reshape(n, _SUB, n, _SUB).sum(axis=(1, 3))


def _fit_lateral(fractions: np.ndarray, g: CalorimeterGeometry) -> tuple[float, float, float]:
    from scipy.optimize import curve_fit

    def model(_, rc, rt, p):
        w = _cell_weights(rc, rt, p, g)
        return (w / w.sum()).ravel()

    rm = g.moliere_radius_mm
    popt, _ = curve_fit(model, None, fractions.ravel(), p0=(0.3 * rm, 1.5 * rm, 0.7),
                        bounds=([0.01 * rm, 0.1 * rm, 0.0], [3 * rm, 10 * rm, 1.0]), maxfev=5000)
    rc, rt, p = popt
    if rc > rt:  # keep the "core" the narrower component
        rc, rt, p = rt, rc, 1 - p
    return float(rc), float(rt), float(p)


def fit(energies_GeV=None, *, particle: str = "e-", n: int = 400, energy_range=(1.0, 100.0), seed: int = 0,
        geometry: CalorimeterGeometry = GEOMETRY, reference=None) -> FastShowerParameters:
    """Fit the parametrisation to detailed-simulation showers.

    ``reference`` = (visible MeV noise-free (n, L, C, C), energies GeV) from
    `calorimeter.simulate_deposits`; without it ``n`` showers (log-uniform in ``energy_range``,
    or at ``energies_GeV``) are simulated first.
    """
    g = geometry
    if reference is None:
        if energies_GeV is None:
            rng = np.random.default_rng(seed)
            energies_GeV = np.exp(rng.uniform(np.log(energy_range[0]), np.log(energy_range[1]), n))
        energies_GeV = np.asarray(energies_GeV, dtype=float)
        vis, _ = simulate_deposits(energies_GeV, particle=particle, seed=seed, geometry=g)
    else:
        vis, energies_GeV = np.asarray(reference[0], dtype=float), np.asarray(reference[1], dtype=float)
    if vis.ndim != 4 or vis.shape[0] != energies_GeV.size or vis.shape[0] < 20:
        raise ValueError("the reference needs >= 20 showers (n, L, C, C) and one energy per shower")
    if len(np.unique(np.round(np.log(energies_GeV), 3))) < 2:
        raise ValueError("the reference must span at least two energies to fit the energy dependence")
    layers, total, alpha, t_max = _layer_moments(vis, g)
    log_e = np.log(energies_GeV)
    design = np.column_stack([np.ones_like(log_e), log_e])
    coef_t, *_ = np.linalg.lstsq(design, np.log(t_max), rcond=None)
    coef_a, *_ = np.linalg.lstsq(design, np.log(alpha), rcond=None)
    resid = np.column_stack([np.log(t_max) - design @ coef_t, np.log(alpha) - design @ coef_a])
    cov = np.cov(resid.T)
    ratio = total / (energies_GeV * 1000.0)
    coef_r, *_ = np.linalg.lstsq(design, ratio, rcond=None)
    z2 = (ratio / (design @ coef_r) - 1.0) ** 2
    spot = g.mip_MeV
    target = z2 - spot / (ratio * energies_GeV * 1000.0)  # the spots supply this part already
    from scipy.optimize import nnls

    ab, _ = nnls(np.column_stack([1.0 / energies_GeV, np.ones_like(energies_GeV)]), target)
    # lateral: mean normalised cell fractions per tau bin, weighted by layer energy
    tau = g.active_depth_X0()[None, :] / t_max[:, None]
    bins = np.digitize(tau, TAU_EDGES[1:-1])
    per_cell = vis / np.maximum(layers[..., None, None], 1e-30)
    rc, rt, pc = [], [], []
    for k in range(len(TAU_EDGES) - 1):
        sel = (bins == k) & (layers > 0)
        if sel.sum() < 5:
            raise ValueError(f"too few layers of the reference in tau bin {k}; use more or longer showers")
        w = layers[sel]
        mean = (per_cell[sel] * w[:, None, None]).sum(axis=0) / w.sum()
        fit_k = _fit_lateral(mean / mean.sum(), g)
        rc.append(fit_k[0])
        rt.append(fit_k[1])
        pc.append(fit_k[2])
    return FastShowerParameters(
        ln_t=tuple(map(float, coef_t)), ln_alpha=tuple(map(float, coef_a)),
        covariance=tuple(tuple(map(float, row)) for row in cov), response=tuple(map(float, coef_r)),
        resolution=(float(np.sqrt(ab[0])), float(np.sqrt(ab[1]))), r_core_mm=tuple(rc), r_tail_mm=tuple(rt),
        p_core=tuple(pc), spot_MeV=float(spot), n_reference=int(vis.shape[0]))


def generate(energies_GeV, params: FastShowerParameters, *, seed: int = 0,
             geometry: CalorimeterGeometry = GEOMETRY) -> np.ndarray:
    """Draw showers of incident ``energies_GeV``: float32 (n, L, C, C) [layer, y, x] silicon energy in GeV."""
    from scipy.special import gammainc

    g = geometry
    e = np.asarray(energies_GeV, dtype=float)
    if e.ndim != 1 or not np.all(np.isfinite(e)) or np.any(e <= 0):
        raise ValueError("energies_GeV must be a 1-d array of positive, finite energies in GeV")
    if len(params.r_core_mm) != len(TAU_EDGES) - 1:
        raise ValueError("params do not match this module's tau bins; refit them")
    rng = np.random.default_rng(seed)
    n = e.size
    log_e = np.log(e)
    mean = np.column_stack([params.ln_t[0] + params.ln_t[1] * log_e, params.ln_alpha[0] + params.ln_alpha[1] * log_e])
    draw = mean + rng.multivariate_normal(np.zeros(2), np.asarray(params.covariance), size=n)
    t_max, alpha = np.exp(draw[:, 0]), np.maximum(np.exp(draw[:, 1]), 1.05)
    beta = (alpha - 1.0) / t_max
    centre = g.active_depth_X0()
    lo = np.maximum(centre - 0.5 * g.layer_X0, 0.0)
    hi = centre + 0.5 * g.layer_X0
    frac = gammainc(alpha[:, None], beta[:, None] * hi[None, :]) - gammainc(alpha[:, None], beta[:, None] * lo[None, :])
    frac /= np.maximum(frac.sum(axis=1, keepdims=True), 1e-30)
    sigma = np.sqrt(params.resolution[0] ** 2 / e + params.resolution[1] ** 2)
    visible_MeV = e * 1000.0 * (params.response[0] + params.response[1] * log_e) * np.maximum(
        1.0 + sigma * rng.standard_normal(n), 0.0)
    layer_MeV = visible_MeV[:, None] * frac
    tau = centre[None, :] / t_max[:, None]
    bins = np.digitize(tau, TAU_EDGES[1:-1])
    out = np.zeros((n, g.n_layers, g.n_cells * g.n_cells))
    spots = rng.poisson(layer_MeV / params.spot_MeV)
    for k in range(len(TAU_EDGES) - 1):
        sel = np.nonzero(bins == k)
        if sel[0].size == 0:
            continue
        w = _cell_weights(params.r_core_mm[k], params.r_tail_mm[k], params.p_core[k], g).ravel()
        counts = rng.multinomial(spots[sel], w / w.sum())
        out[sel] = counts * params.spot_MeV
    return digitise(out.reshape(n, g.n_layers, g.n_cells, g.n_cells), rng, g)


def comparison_summary(*, n_fit: int = 300, seed: int = 0, energies=(2.0, 10.0, 50.0), verbose: bool = True,
                       geometry: CalorimeterGeometry = GEOMETRY) -> list[dict]:
    """Fit on ``n_fit`` detailed showers, then compare fast and detailed showers at ``energies``.

    Prints, per energy: response (visible/E), sigma/E of the visible sum, shower maximum (X0),
    fraction within one Moliere radius, cells above zero, and CPU ms per shower of each.
    """
    import time

    g = geometry
    params = fit(n=n_fit, seed=seed, geometry=g)
    rows = []
    for j, e in enumerate(energies):
        n = max(20, int(600 / e))
        start = time.process_time()
        detailed = simulate(np.full(n, e), seed=seed + 10 + j, geometry=g)
        t_detailed = (time.process_time() - start) / n * 1e3
        start = time.process_time()
        fast = generate(np.full(2000, e), params, seed=seed + 20 + j, geometry=g)
        t_fast = (time.process_time() - start) / 2000 * 1e3
        for name, x, ms in (("detailed", detailed, t_detailed), ("fast", fast, t_fast)):
            s = x.sum(axis=(1, 2, 3), dtype=np.float64)
            rows.append({"E": e, "model": name, "response": s.mean() / e, "sigma_over_E": s.std() / s.mean(),
                         "t_max": shower_shapes.shower_max_X0(x, g),
                         "containment_RM": float(np.mean(shower_shapes.containment(x, g.moliere_radius_mm, g))),
                         "occupancy": float(shower_shapes.occupancy(x, 0.0).mean()), "ms_per_shower": ms})
    if verbose:
        print("E/GeV  model     visible/E  sigma/E  t_max/X0  within R_M  cells>0  CPU ms/shower")
        for r in rows:
            print(f"{r['E']:5.0f}  {r['model']:8s}  {r['response']:.5f}  {r['sigma_over_E']:.4f}  {r['t_max']:8.2f}"
                  f"  {r['containment_RM']:10.3f}  {r['occupancy']:7.0f}  {r['ms_per_shower']:8.2f}")
    return rows


if __name__ == "__main__":
    comparison_summary()
