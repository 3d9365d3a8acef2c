"""The depth of shower maximum Xmax, and the atmosphere that turns depths into distances.

Atmosphere: isothermal and exponential, vertical depth X_v(h) = X_sea exp(-h / H) with
X_sea = 1033 g/cm^2 and H = 8 km (Gaisser, Engel, Resconi, "Cosmic Rays and Particle Physics",
2nd ed. (2016), ch. 5: H = 6.4-8.4 km over the height range of air showers); a flat Earth,
so the slant depth along an axis of zenith theta is X = X_v / cos(theta). The ground at
1400 m a.s.l. (the Auger site) then lies at X_ground = 867 g/cm^2 (the Auger value: ~875).

Xmax: a Gumbel distribution, the shape that De Domenico, Settimo, Riggi, Bertin (JCAP 07 (2013)
050, arXiv:1305.2331) found to describe simulated Xmax distributions of all nuclei,

    Xmax = mu + s G,   G = -ln(-ln U), U uniform in (0, 1),
    mean = mu + gamma_E s,   rms = pi s / sqrt(6),

with its two moments from an elongation rate and the superposition model (a nucleus of mass A
and energy E as A nucleons of energy E / A; J. Matthews, Astropart. Phys. 22 (2005) 387):

    <Xmax>(E, A) = X_p19 + D10 [log10(E / 10^19 eV) - log10 A]
    rms(A) = rms_p + (rms_Fe - rms_p) ln A / ln 56

with X_p19 = 790 g/cm^2, D10 = 58 g/cm^2 per decade, rms_p = 57 g/cm^2, rms_Fe = 20 g/cm^2: the
size of the EPOS-LHC / QGSJetII-04 predictions that the Pierre Auger Collaboration compares its
Xmax data with (Phys. Rev. D 90 (2014) 122005, arXiv:1409.4809, figs. 9-10). We use the Gumbel
shape, not De Domenico et al.'s fitted coefficients; the p-Fe separation, 101 g/cm^2, and the
widths are what matter for the lecture.
"""

from __future__ import annotations

import numpy as np

from .settings import AirShowerSettings

EULER_GAMMA = 0.5772156649015329


def xmax_moments(lg_energy, mass, settings: AirShowerSettings) -> tuple[np.ndarray, np.ndarray]:
    """(mean, rms) of Xmax in g/cm^2 for log10(E/eV) ``lg_energy`` and mass number ``mass``."""
    lg_energy, mass = np.asarray(lg_energy, dtype=np.float64), np.asarray(mass, dtype=np.float64)
    if np.any(mass < 1):
        raise ValueError(f"mass numbers must be >= 1, got {mass[mass < 1][:3]}")
    mean = settings.xmax_p_19_g_cm2 + settings.elongation_rate_g_cm2 * (lg_energy - 19.0 - np.log10(mass))
    rms = settings.sigma_xmax_p_g_cm2 + (settings.sigma_xmax_fe_g_cm2 - settings.sigma_xmax_p_g_cm2) \
        * np.log(mass) / np.log(56.0)
    return mean, rms


def sample_xmax(rng: np.random.Generator, lg_energy, mass, settings: AirShowerSettings) -> np.ndarray:
    """Xmax (g/cm^2) from the Gumbel distribution with the moments of `xmax_moments`."""
    mean, rms = xmax_moments(lg_energy, mass, settings)
    scale = rms * np.sqrt(6.0) / np.pi
    u = rng.uniform(np.finfo(float).tiny, 1.0, np.shape(mean))
    return mean - EULER_GAMMA * scale + scale * (-np.log(-np.log(u)))


def height_of_depth(slant_depth, zenith, settings: AirShowerSettings) -> np.ndarray:
    """Height above sea level (m) of the point at ``slant_depth`` (g/cm^2) along an axis of ``zenith``."""
    vertical = np.asarray(slant_depth, dtype=np.float64) * np.cos(zenith)
    return settings.scale_height_m * np.log(settings.sea_level_depth_g_cm2 / np.maximum(vertical, 1e-3))


def distance_to_depth(slant_depth, zenith, settings: AirShowerSettings, minimum_m: float = 100.0) -> np.ndarray:
    """Distance (m) along the axis from the core on the ground up to ``slant_depth``, at least ``minimum_m``.

    A depth beyond the ground (a shower maximum 'below ground') gets ``minimum_m``.
    """
    height = height_of_depth(slant_depth, zenith, settings)
    return np.maximum((height - settings.ground_altitude_m) / np.cos(zenith), minimum_m)


def ground_slant_depth(zenith, settings: AirShowerSettings) -> np.ndarray:
    """Slant depth (g/cm^2) of the ground along an axis of ``zenith``: X_ground / cos(theta)."""
    return settings.ground_depth_g_cm2 / np.cos(zenith)
