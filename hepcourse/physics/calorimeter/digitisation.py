"""The calorimeter's signal: electronic noise and zero suppression of the silicon deposits.

The energy deposited in the silicon (ionisation of the tracks crossing it, and absorbed soft
photons) is the signal: the sampling fluctuations come from the finite number, energies and
angles of the track segments in the silicon (`cascade`). Each cell then gets Gaussian
electronic noise (``noise_MeV`` of the geometry) and cells below ``threshold_MeV`` (0.5 MIP)
are set to zero. `simulate` returns that visible energy in GeV, about 2 % of the incident
energy; a calibration (the regression lecture) turns it into an energy estimate.
"""

from __future__ import annotations

import numpy as np

from .cascade import TRANSPORT, TransportSettings, simulate_deposits
from .geometry import GEOMETRY, CalorimeterGeometry


def digitise(visible_MeV: np.ndarray, rng: np.random.Generator, geometry: CalorimeterGeometry = GEOMETRY) -> np.ndarray:
    """Add Gaussian electronic noise per cell, zero-suppress, convert to GeV float32."""
    noisy = visible_MeV + rng.normal(0.0, geometry.noise_MeV, size=visible_MeV.shape)
    noisy[noisy < geometry.threshold_MeV] = 0.0
    return (noisy / 1000.0).astype(np.float32)


def simulate(energies, *, particle: str = "e-", seed: int = 0, geometry: CalorimeterGeometry = GEOMETRY,
             transport: TransportSettings = TRANSPORT) -> np.ndarray:
    """Simulate showers of incident ``energies`` (GeV): float32 (n, n_layers, n_cells, n_cells) [layer, y, x].

    The values are the energies seen by the active (silicon) layers in GeV, with sampling
    fluctuations, electronic noise and zero suppression. ``particle`` is "e-" or "gamma".
    The same seed gives the same bytes.
    """
    visible, _ = simulate_deposits(energies, particle=particle, seed=seed, geometry=geometry, transport=transport)
    noise_rng = np.random.default_rng([seed, 0x5EED])
    return digitise(visible, noise_rng, geometry)
