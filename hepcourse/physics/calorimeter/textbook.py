"""Textbook properties of the calorimeter simulation, measured: the validation summary and timing.

Run ``python -m hepcourse.physics.calorimeter`` to print them for the current code.
"""

from __future__ import annotations

import math

import numpy as np

from ...metrics import fit_resolution
from . import shower_shapes
from .cascade import simulate_deposits
from .digitisation import digitise, simulate
from .geometry import GEOMETRY, CalorimeterGeometry


def timing(energies_GeV=(1.0, 10.0, 50.0, 100.0), n_showers: int | None = None, seed: int = 0,
           geometry: CalorimeterGeometry = GEOMETRY) -> dict[float, float]:
    """CPU milliseconds per shower of `simulate` at each energy (one process, batches of showers)."""
    import time

    out = {}
    for e in energies_GeV:
        n = n_showers or max(4, int(400 / e))
        start = time.process_time()
        simulate(np.full(n, float(e)), seed=seed, geometry=geometry)
        out[float(e)] = 1000.0 * (time.process_time() - start) / n
    return out


def validation_summary(*, n_per_energy: int = 300, seed: int = 0, geometry: CalorimeterGeometry = GEOMETRY,
                       verbose: bool = True) -> dict:
    """Measure textbook shower properties of this simulation and print them against expectations.

    * shower maximum (Gamma fit of the mean profile) of e- and gamma at 2, 10 and 50 GeV vs
      t_max = ln(E/Ec) - 0.5 (e-) / + 0.5 (gamma) (PDG, Rossi approximation B);
    * fraction of the visible energy within one Moliere radius of the axis (exact deposit
      radius, and from cells), 10 GeV electrons (expected ~ 90 %);
    * response (visible / incident energy) at 1-100 GeV, relative to 10 GeV, with the
      fraction of the energy deposited anywhere in the calorimeter (the rest leaks out);
    * relative resolution of the visible sum (noise included) and the fitted a/sqrt(E) (+) b (+) c/E;
    * CPU time per shower.
    """
    g = geometry
    out: dict = {"shower_max": [], "response": [], "geometry": g.to_dict()}
    lines = [f"Calorimeter: {g.n_layers} layers x {g.n_cells}x{g.n_cells} cells of {g.cell_size_mm} mm, "
             f"{g.depth_X0:.1f} X0; X0 = {g.X0_mm:.3f} mm, Ec = {g.critical_energy_MeV:.2f} MeV, "
             f"R_M = {g.moliere_radius_mm:.2f} mm, MIP sampling fraction {g.sampling_fraction:.4f}",
             "shower maximum (X0):  particle  E/GeV  measured  expected ln(E/Ec)+C  difference"]
    for k, (particle, c_j) in enumerate((("e-", -0.5), ("gamma", 0.5))):
        for j, e in enumerate((2.0, 10.0, 50.0)):
            n = max(20, int(n_per_energy * 4 / e)) if e < 10 else max(20, int(n_per_energy * 10 / (3 * e)))
            vis, _ = simulate_deposits(np.full(n, e), particle=particle, seed=seed + 100 * k + j, geometry=g)
            t_max = shower_shapes.shower_max_X0(vis, g)
            expected = math.log(e * 1000.0 / g.critical_energy_MeV) + c_j
            out["shower_max"].append({"particle": particle, "E": e, "t_max": t_max, "expected": expected})
            lines.append(f"  {particle:8s} {e:6.0f}  {t_max:8.2f}  {expected:8.2f}  {t_max - expected:+8.2f}")
    edges = np.arange(0.0, 2 * g.half_width_mm, 0.25)
    vis, _, radial = simulate_deposits(np.full(n_per_energy // 3, 10.0), seed=seed + 7, geometry=g,
                                       radial_edges_mm=edges)
    cum = np.cumsum(radial.sum(axis=0))
    exact = float(np.interp(g.moliere_radius_mm, edges[1:], cum / cum[-1]))
    cells = float(np.mean(shower_shapes.containment(vis, g.moliere_radius_mm, g)))
    out["containment_RM"] = {"exact": exact, "cells": cells}
    lines.append(f"visible energy within 1 R_M (10 GeV e-): {exact:.3f} (exact radius), {cells:.3f} (cells); "
                 "expected ~0.90")
    energies = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
    res, res_err = [], []
    lines.append("response:  E/GeV  visible/E  rel. to 10 GeV  deposited/E  sigma/E")
    rows = []
    for j, e in enumerate(energies):
        n = n_per_energy if e <= 20 else max(60, n_per_energy // 3)
        vis, total = simulate_deposits(np.full(n, e), seed=seed + 1000 + j, geometry=g)
        digitised = digitise(vis, np.random.default_rng([seed, j, 0x5EED]), g).sum(axis=(1, 2, 3), dtype=np.float64)
        mean, std = digitised.mean(), digitised.std(ddof=1)
        rows.append((e, mean / e, float(total.mean() / (e * 1000.0)), std / mean))
        res.append(std / mean)
        res_err.append(std / mean / math.sqrt(2 * (n - 1)))
    ref = rows[energies.index(10.0)][1]
    for e, r, dep, s in rows:
        out["response"].append({"E": e, "visible_over_E": r, "relative": r / ref, "deposited_fraction": dep,
                                "sigma_over_E": s})
        lines.append(f"  {e:6.0f}  {r:.5f}  {r / ref:.4f}  {dep:.4f}  {s:.4f}")
    fit = fit_resolution(energies, res, res_err).as_dict()
    out["resolution_fit"] = fit
    out["em_sampling_fraction"] = ref
    lines.append(f"resolution fit: a = {fit['a']:.4f} +- {fit['a_err']:.4f} sqrt(GeV), b = {fit['b']:.4f} +- "
                 f"{fit['b_err']:.4f}, c = {fit['c']:.4f} +- {fit['c_err']:.4f} GeV")
    lines.append(f"EM sampling fraction (visible/E at 10 GeV) {ref:.5f} = {ref / g.sampling_fraction:.3f} x MIP value")
    t = timing(geometry=g, seed=seed)
    out["ms_per_shower"] = t
    lines.append("CPU time per shower: " + ", ".join(f"{e:g} GeV {v:.1f} ms" for e, v in t.items()))
    if verbose:
        print("\n".join(lines))
    return out

