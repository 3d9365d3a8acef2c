"""A simple, documented particle-flow detector model applied to generator-level particles.

What it does (all vectorised over the flattened particles of many events):

* **Tracker** (|eta| < 2.5, pT > 0.5 GeV): charged particles are reconstructed as tracks with
  the efficiency of the Delphes ATLAS card (pT 0.5-1 GeV: 70 % for |eta| < 1.5, 60 % beyond;
  pT > 1 GeV: 95 % and 85 %) and their four-momentum scaled by a Gaussian pT resolution
  sigma(pT)/pT = 0.05 % x pT[GeV] (+) 1 %.
* **Calorimeter** (|eta| < 3.0) with projective towers of 0.1 in eta x 10 degrees in phi (the
  Delphes ATLAS granularity). Every particle that is not a reconstructed track deposits its
  energy there: photons and electrons with an EM resolution sigma/E = 10 %/sqrt(E) (+) 1 %,
  hadrons with a hadronic one, 50 %/sqrt(E) (+) 3 %. Energies in a tower add up; each tower
  with E > 0.5 GeV becomes a massless neutral constituent at the tower centre.

The output is the list of particle-flow candidates (tracks + neutral cells) per event, like
Delphes' EFlow objects used by the public top-tagging dataset. ``DetectorSettings(enabled=False)``
switches the model off and returns the visible particles unchanged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .kinematics import E, eta, from_pt_eta_phi_m, phi, pt


@dataclass(frozen=True)
class DetectorSettings:
    """Every number of the detector model; stored in each cache file."""

    enabled: bool = True
    tracker_eta_max: float = 2.5
    track_pt_min: float = 0.5  # GeV
    track_efficiency_barrel: tuple[float, float] = (0.70, 0.95)  # |eta| < 1.5, pT 0.5-1 / > 1 GeV
    track_efficiency_endcap: tuple[float, float] = (0.60, 0.85)  # 1.5 < |eta| < 2.5
    track_res_linear: float = 5e-4  # per GeV, multiplies pT
    track_res_constant: float = 0.01
    calo_eta_max: float = 3.0
    cell_size: float = 0.1  # in eta
    cell_phi_bins: int = 36  # 10 degrees in phi
    ecal_stochastic: float = 0.10
    ecal_constant: float = 0.01
    hcal_stochastic: float = 0.50
    hcal_constant: float = 0.03
    cell_energy_min: float = 0.5  # GeV

    def to_dict(self) -> dict:
        return asdict(self)


EM_PDG = (11, 22)


def apply_detector(particles, pdg, charge, counts, rng: np.random.Generator, settings=DetectorSettings()):
    """Turn visible particles (flattened, (E, px, py, pz)) into particle-flow candidates.

    Returns ``(candidates, counts)`` in the same flattened layout, events in the same order.
    """
    particles = np.asarray(particles, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.int64)
    if not settings.enabled:
        return particles.copy(), counts.copy()
    event = np.repeat(np.arange(len(counts)), counts)
    pt_, eta_, phi_ = pt(particles), eta(particles), phi(particles)
    charged = charge != 0

    # Tracks: reconstructed with a pT- and eta-dependent efficiency; smear the momentum scale.
    in_tracker = charged & (np.abs(eta_) < settings.tracker_eta_max) & (pt_ > settings.track_pt_min)
    efficiency = np.where(np.abs(eta_) < 1.5, settings.track_efficiency_barrel[1], settings.track_efficiency_endcap[1])
    efficiency = np.where(pt_ < 1.0, np.where(np.abs(eta_) < 1.5, settings.track_efficiency_barrel[0],
                                              settings.track_efficiency_endcap[0]), efficiency)
    is_track = in_tracker & (rng.random(len(particles)) < efficiency)
    track_sigma = np.hypot(settings.track_res_linear * pt_, settings.track_res_constant)
    scale = 1.0 + track_sigma * rng.standard_normal(len(particles))
    tracks = particles[is_track] * np.clip(scale[is_track], 0.0, None)[:, None]
    track_event = event[is_track]

    # Calorimeter: every particle that is not a reconstructed track.
    to_calo = ~is_track & (np.abs(eta_) < settings.calo_eta_max)
    em = np.isin(np.abs(pdg), EM_PDG)
    energy = particles[:, E]
    stochastic = np.where(em, settings.ecal_stochastic, settings.hcal_stochastic)
    constant = np.where(em, settings.ecal_constant, settings.hcal_constant)
    sigma = np.hypot(stochastic / np.sqrt(np.maximum(energy, 1e-6)), constant)
    smeared = np.clip(energy * (1.0 + sigma * rng.standard_normal(len(particles))), 0.0, None)

    n_eta = int(round(2 * settings.calo_eta_max / settings.cell_size))
    n_phi = settings.cell_phi_bins
    i_eta = np.clip(((eta_ + settings.calo_eta_max) / settings.cell_size).astype(np.int64), 0, n_eta - 1)
    i_phi = np.clip(((phi_ + np.pi) / (2 * np.pi) * n_phi).astype(np.int64), 0, n_phi - 1)
    key = (event * n_eta + i_eta) * n_phi + i_phi
    cells, inverse = np.unique(key[to_calo], return_inverse=True)
    cell_energy = np.bincount(inverse, weights=smeared[to_calo], minlength=len(cells))
    keep = cell_energy > settings.cell_energy_min
    cells, cell_energy = cells[keep], cell_energy[keep]
    cell_event = cells // (n_eta * n_phi)
    cell_eta = -settings.calo_eta_max + (cells // n_phi % n_eta + 0.5) * settings.cell_size
    cell_phi = -np.pi + (cells % n_phi + 0.5) * (2 * np.pi / n_phi)
    neutral = from_pt_eta_phi_m(cell_energy / np.cosh(cell_eta), cell_eta, cell_phi)

    # Merge tracks and cells, grouped by event (stable sort keeps tracks first).
    all_event = np.concatenate([track_event, cell_event])
    order = np.argsort(all_event, kind="stable")
    candidates = np.concatenate([tracks, neutral])[order]
    new_counts = np.bincount(all_event, minlength=len(counts))
    return candidates, new_counts
