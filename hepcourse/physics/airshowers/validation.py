"""The simulation's properties measured against the numbers it was built to reproduce.

``python -m hepcourse.physics.airshowers`` prints `validation_summary` (the "Measured validation"
section of ``data/airshowers.md``): generation rate; Xmax moments per mass at 10^19 eV against
the formula; S(1000) and the muon fraction at 10 EeV and 38 degrees (Auger: ~50 VEM); the mean
S(1000) against the Auger constant-intensity-cut curve f_CIC (arXiv:2008.06486); the number of
triggered stations and the saturated fraction by energy; the array-trigger efficiency at the
lowest energy.
"""

from __future__ import annotations

import time

import numpy as np

from . import signals, simulation, xmax
from .primaries import PRIMARIES
from .settings import SETTINGS, AirShowerSettings

# Auger's CIC attenuation, f = 1 + a x + b x^2 + c x^3 with x = cos^2(theta) - cos^2(38 deg) (arXiv:2008.06486)
CIC = (0.980, -1.68, -1.30)


def f_cic(zenith) -> np.ndarray:
    x = np.cos(zenith) ** 2 - np.cos(np.radians(38.0)) ** 2
    return 1 + CIC[0] * x + CIC[1] * x ** 2 + CIC[2] * x ** 3


def validation_summary(*, n: int = 20000, settings: AirShowerSettings = SETTINGS, verbose: bool = True) -> dict:
    """Measure and (if ``verbose``) print the numbers above; return them in a dict."""
    out: dict = {"ground_depth_g_cm2": settings.ground_depth_g_cm2}
    start = time.perf_counter()
    events = {p: simulation.simulate(p, n, 13, settings) for p in PRIMARIES}
    out["events_per_s"] = len(PRIMARIES) * n / (time.perf_counter() - start)
    rng = np.random.default_rng(5)
    lines = [f"X_ground = {settings.ground_depth_g_cm2:.1f} g/cm^2",
             f"generation: {out['events_per_s']:,.0f} events/s on one core ({len(PRIMARIES) * n} events)"]
    for p, a in PRIMARIES.items():
        ev = events[p]
        lg = np.log10(ev["energy"]) + 18
        window = (lg > 18.9) & (lg < 19.1)
        mean, rms = xmax.xmax_moments(19.0, a, settings)
        full = np.full(n, 19.0), np.full(n, float(a)), np.full(n, np.radians(38.0))
        em, mu = signals.mean_s1000(*full, xmax.sample_xmax(rng, full[0], full[1], settings), settings)
        out[p] = {"xmax_mean": float(ev["xmax"][window].mean()), "xmax_rms": float(ev["xmax"][window].std()),
                  "xmax_mean_formula": float(mean), "xmax_rms_formula": float(rms),
                  "s1000_38": float(np.mean(em + mu)), "muon_fraction_38": float(np.mean(mu / (em + mu)))}
        lines.append(f"{p:2s}: <Xmax>(10^19 eV) sampled {out[p]['xmax_mean']:.0f} formula {mean:.0f}; rms sampled "
                     f"{out[p]['xmax_rms']:.0f} formula {rms:.0f} g/cm^2; S(1000, 10 EeV, 38 deg) "
                     f"{out[p]['s1000_38']:.1f} VEM, muon fraction {out[p]['muon_fraction_38']:.2f}")
    zeniths = np.radians([0, 20, 30, 38, 45, 50, 55, 60.0])
    ratio = []
    for z in zeniths:
        per_mass = []
        for a in PRIMARIES.values():
            full = np.full(n, 19.0), np.full(n, float(a)), np.full(n, z)
            em, mu = signals.mean_s1000(*full, xmax.sample_xmax(rng, full[0], full[1], settings), settings)
            per_mass.append(np.mean(em + mu))
        ratio.append(np.mean(per_mass) / f_cic(z))
    out["s1000_over_cic"] = (np.array(ratio) / ratio[3]).tolist()
    lines.append("mean S(1000) / f_CIC (both 1 at 38 deg) at 0 20 30 38 45 50 55 60 deg: "
                 + " ".join(f"{v:.2f}" for v in out["s1000_over_cic"]))
    every = {k: np.concatenate([events[p][k] for p in PRIMARIES]) for k in ("energy", "signal")}
    lg = np.log10(every["energy"]) + 18
    n_trig = (every["signal"] > 0).sum(axis=(1, 2))
    saturated = every["signal"].max(axis=(1, 2)) >= settings.saturation_vem
    out["stations"] = []
    lo_edges = np.arange(settings.lg_energy_range[0], settings.lg_energy_range[1] - 1e-9, 0.25)
    for lo in lo_edges:
        m = (lg >= lo) & (lg < lo + 0.25)
        row = (float(lo), float(n_trig[m].mean()), float(np.percentile(n_trig[m], 10)),
               float(np.percentile(n_trig[m], 90)), float(saturated[m].mean()))
        out["stations"].append(row)
        lines.append(f"lg(E/eV) {lo:.2f}-{lo + 0.25:.2f}: triggered stations {row[1]:.1f} (10-90 %: {row[2]:.0f}-"
                     f"{row[3]:.0f}), events with a saturated station {row[4]:.2f}")
    batch = simulation._batch(np.random.default_rng(9), 2 * n, 1, settings)
    low = np.log10(batch["energy"]) + 18 < settings.lg_energy_range[0] + 0.1
    out["array_trigger_loss_lowest"] = float(np.mean(batch["n_triggered"][low] < settings.min_stations))
    lines.append(f"protons below lg(E/eV) = {settings.lg_energy_range[0] + 0.1:.1f} with < {settings.min_stations} "
                 f"triggered stations: {out['array_trigger_loss_lowest']:.4f} of {int(low.sum())}")
    if verbose:
        print("\n".join(lines))
    return out
