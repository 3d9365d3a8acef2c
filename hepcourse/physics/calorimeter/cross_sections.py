"""Cross sections and attenuation coefficients of electrons and photons in the calorimeter's materials.

Units: MeV and mm. Bremsstrahlung in the complete-screening Bethe-Heitler form (PDG), pair
production with its no-screening energy dependence, Klein-Nishina Compton scattering, and a
photoelectric term anchored at the NIST (XCOM) attenuation of tungsten; see `cascade` for
how the transport uses them.
"""

from __future__ import annotations

import numpy as np

from .geometry import TUNGSTEN, Material

ELECTRON_MASS_MEV = 0.51099895
CLASSICAL_ELECTRON_RADIUS_MM = 2.8179403262e-12


def brems_number_per_X0(yc: np.ndarray) -> np.ndarray:
    """Photons with y = k/E > yc emitted per X0 (complete-screening spectrum)."""
    return (4.0 / 3.0) * np.log(1.0 / yc) - (4.0 / 3.0) * (1.0 - yc) + 0.5 * (1.0 - yc * yc)


def soft_brems_loss_per_X0(yc: np.ndarray) -> np.ndarray:
    """Fraction of E radiated per X0 in photons with y < yc."""
    return (4.0 / 3.0) * yc - (2.0 / 3.0) * yc * yc + yc ** 3 / 3.0


def klein_nishina_sigma_mm2(energy_MeV: np.ndarray) -> np.ndarray:
    """Klein-Nishina total Compton cross section per electron (mm^2)."""
    k = energy_MeV / ELECTRON_MASS_MEV
    re2 = CLASSICAL_ELECTRON_RADIUS_MM ** 2
    a = 1.0 + 2.0 * k
    log_a = np.log(a)
    term1 = (1.0 + k) / k ** 2 * (2.0 * (1.0 + k) / a - log_a / k)
    term2 = log_a / (2.0 * k) - (1.0 + 3.0 * k) / a ** 2
    return 2.0 * np.pi * re2 * (term1 + term2)


def pair_fraction(energy_MeV: np.ndarray, material: Material) -> np.ndarray:
    """Pair cross section relative to its complete-screening value 7/(9 X0)."""
    low = (np.log(2.0 * energy_MeV / ELECTRON_MASS_MEV) - 109.0 / 42.0) / material.pair_screening_log
    return np.clip(low, 0.0, 1.0)


# Photoelectric absorption (+ coherent scattering, lumped in): anchored at the NIST (Hubbell-Seltzer,
# XCOM) total attenuation of tungsten at 0.5 MeV minus its Klein-Nishina part, scaled as E^-2
# (between the E^-3.5 of low energies and the 1/E of high energies) and as Z^4.5/A for other materials.
PHOTO_REF_MEV = 0.5
TUNGSTEN_TOTAL_MU_RHO_REF = 0.1378  # cm^2/g at 0.5 MeV, NIST X-ray mass attenuation table, Z = 74
PHOTO_ENERGY_EXPONENT = 2.0


def _photo_mu_rho_tungsten_ref() -> float:
    compton_per_mm = TUNGSTEN.electrons_per_mm3 * float(klein_nishina_sigma_mm2(np.array(PHOTO_REF_MEV)))
    return TUNGSTEN_TOTAL_MU_RHO_REF - compton_per_mm * 10.0 / TUNGSTEN.density_g_cm3  # -> cm^2/g


def photon_mu_per_mm(energy_MeV: np.ndarray, material: Material) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Compton, pair, photoelectric) attenuation coefficients (1/mm) of photons in ``material``."""
    compton = material.electrons_per_mm3 * klein_nishina_sigma_mm2(energy_MeV)
    pair = (7.0 / 9.0) / material.X0_mm * pair_fraction(energy_MeV, material)
    scale = (material.Z / TUNGSTEN.Z) ** 4.5 * (TUNGSTEN.A / material.A) * material.density_g_cm3 / 10.0
    photo = _PHOTO_REF * scale * (PHOTO_REF_MEV / energy_MeV) ** PHOTO_ENERGY_EXPONENT
    return compton, pair, photo


_PHOTO_REF = _photo_mu_rho_tungsten_ref()

