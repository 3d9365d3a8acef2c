"""A simple, documented particle-flow detector model applied to generator-level particles.

What it does (all vectorised over the flattened particles of many events):

* **Tracker** (|eta| < 2.5, pT > 0.5 GeV): charged particles become tracks with their
  four-momentum scaled by a Gaussian pT resolution
  sigma(pT)/pT = 0.05 % x pT[GeV] (+) 1 %   (ATLAS/CMS-like at these momenta).
  Charged particles below 0.5 GeV curl up in the solenoid and are lost.
* **Calorimeter** (|eta| < 3.0) with a single projective grid of cells of size
  0.05 x 0.05 in (eta, phi) (126 cells in phi). Photons and electrons outside the tracker
  deposit with an EM resolution sigma/E = 10 %/sqrt(E) (+) 1 %, all other neutral (and
  out-of-tracker charged) hadrons with a hadronic one, 50 %/sqrt(E) (+) 3 %. Energies in
  the same cell add up; each cell with E > 0.5 GeV becomes a massless neutral constituent at
  the cell centre.

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
    track_res_linear: float = 5e-4  # per GeV, multiplies pT
    track_res_constant: float = 0.01
    calo_eta_max: float = 3.0
    cell_size: float = 0.05  # in eta; the phi size is 2*pi/round(2*pi/cell_size)
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

    # Tracks: smear the momentum scale, keep the direction.
    in_tracker = charged & (np.abs(eta_) < settings.tracker_eta_max)
    is_track = in_tracker & (pt_ > settings.track_pt_min)
    track_sigma = np.hypot(settings.track_res_linear * pt_, settings.track_res_constant)
    scale = 1.0 + track_sigma * rng.standard_normal(len(particles))
    tracks = particles[is_track] * np.clip(scale[is_track], 0.0, None)[:, None]
    track_event = event[is_track]

    # Calorimeter: everything else that reaches it (soft curling tracks are lost).
    to_calo = ~in_tracker & (np.abs(eta_) < settings.calo_eta_max)
    em = np.isin(np.abs(pdg), EM_PDG)
    energy = particles[:, E]
    stochastic = np.where(em, settings.ecal_stochastic, settings.hcal_stochastic)
    constant = np.where(em, settings.ecal_constant, settings.hcal_constant)
    sigma = np.hypot(stochastic / np.sqrt(np.maximum(energy, 1e-6)), constant)
    smeared = np.clip(energy * (1.0 + sigma * rng.standard_normal(len(particles))), 0.0, None)

    n_eta = int(round(2 * settings.calo_eta_max / settings.cell_size))
    n_phi = int(round(2 * np.pi / settings.cell_size))
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
