"""Primary cosmic rays: mass, energy, arrival direction.

* Mass: the nuclei ``PRIMARIES`` (mass number A): protons, helium, nitrogen (the CNO group) and
  iron, the four mass groups of the Pierre Auger Collaboration's composition fits
  (Phys. Rev. D 90 (2014) 122006, arXiv:1409.5083).
* Energy: log10(E/eV) uniform in ``lg_energy_range`` (a flat spectrum in lg E, as the training
  sets of arXiv:1708.00647 are; the real flux falls as E^-3 and would leave few high-energy events).
* Direction: isotropic flux through a horizontal surface, dN/dOmega ~ cos(theta), so
  dN/dtheta ~ sin(theta) cos(theta) and cos^2(theta) is uniform in [cos^2(theta_max), 1];
  azimuth uniform in [0, 2 pi), measured from the x axis towards y, pointing to where the shower
  comes from.
"""

from __future__ import annotations

import numpy as np

PRIMARIES: dict[str, int] = {"p": 1, "He": 4, "N": 14, "Fe": 56}


def mass_number(primary: str) -> int:
    """A of a primary named in `PRIMARIES`."""
    try:
        return PRIMARIES[primary]
    except KeyError:
        raise ValueError(f"unknown primary {primary!r}; choose one of {tuple(PRIMARIES)}") from None


def sample_lg_energy(rng: np.random.Generator, n: int, lg_energy_range: tuple[float, float]) -> np.ndarray:
    """log10(E/eV), uniform in ``lg_energy_range``."""
    lo, hi = lg_energy_range
    return rng.uniform(lo, hi, n)


def sample_directions(rng: np.random.Generator, n: int, max_zenith_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """(zenith, azimuth) in rad: dN/dtheta ~ sin cos up to ``max_zenith_deg``, azimuth uniform."""
    c2_min = np.cos(np.radians(max_zenith_deg)) ** 2
    zenith = np.arccos(np.sqrt(rng.uniform(c2_min, 1.0, n)))
    azimuth = rng.uniform(0.0, 2 * np.pi, n)
    return zenith, azimuth


def axis_vector(zenith, azimuth) -> np.ndarray:
    """Unit vectors (..., 3) pointing from the ground up along the shower axis, towards the source."""
    zenith, azimuth = np.asarray(zenith, dtype=np.float64), np.asarray(azimuth, dtype=np.float64)
    s = np.sin(zenith)
    return np.stack([s * np.cos(azimuth), s * np.sin(azimuth), np.cos(zenith)], axis=-1)
