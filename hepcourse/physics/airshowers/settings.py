"""The parameters of the air-shower simulation: one frozen dataclass, every entry named and sourced.

Each field is used by exactly one module of the package (named in the comment); the formulas
and their sources are in that module's docstring and on the card, ``data/airshowers.md``.
Units are in the names (``_m``, ``_ns``, ``_g_cm2``, ``_vem``, ``_eev``, ``_deg``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class AirShowerSettings:
    """Everything that determines a simulated event besides the primary and the random stream."""

    # array (array.py): a triangular grid of water-Cherenkov stations, n_side x n_side in axial coordinates
    spacing_m: float = 1500.0
    n_side: int = 9
    # primaries (primaries.py): log10(E/eV) uniform, zenith pdf ~ sin cos up to max_zenith_deg
    lg_energy_range: tuple[float, float] = (18.5, 20.0)
    max_zenith_deg: float = 60.0
    # atmosphere (xmax.py): isothermal exponential atmosphere, ground at the Auger site's altitude
    sea_level_depth_g_cm2: float = 1033.0
    scale_height_m: float = 8000.0
    ground_altitude_m: float = 1400.0
    # shower maximum (xmax.py): Gumbel-distributed, moments from an elongation rate and superposition
    xmax_p_19_g_cm2: float = 790.0  # <Xmax> of protons at 10^19 eV
    elongation_rate_g_cm2: float = 58.0  # d<Xmax>/dlog10(E) at fixed mass
    sigma_xmax_p_g_cm2: float = 57.0
    sigma_xmax_fe_g_cm2: float = 20.0
    # station signals (signals.py)
    s1000_em_vem: float = 28.0  # EM signal at 1000 m of a 10 EeV shower at the reference DX
    s1000_mu_vem: float = 20.0  # muon signal at 1000 m of a 10 EeV proton shower at the reference DX
    muon_energy_exponent: float = 0.92  # beta of N_mu ~ A^(1-beta) E^beta (Heitler-Matthews)
    dx_ref_g_cm2: float = 350.0  # DX = X_ground/cos(theta) - Xmax where the normalisations hold
    em_attenuation_g_cm2: float = 500.0  # Lambda of exp(-(DX - DX_ref)/Lambda), EM part
    mu_attenuation_g_cm2: float = 2000.0  # same, muon part (muons are barely absorbed)
    ldf_r1_m: float = 700.0  # the LDF's second scale, r1
    ldf_em_slopes: tuple[float, float] = (1.5, 3.0)  # (alpha, delta) of the EM LDF at DX_ref
    ldf_em_age_slope: float = 0.4  # alpha_em falls by this per 1000 g/cm^2 of DX (older: flatter)
    ldf_mu_slopes: tuple[float, float] = (1.0, 2.8)  # (alpha, delta) of the muon LDF
    ldf_min_r_m: float = 50.0  # distances below this are taken as this (the LDF diverges at r = 0)
    muon_fluctuation_p: float = 0.15  # relative shower-to-shower spread of N_mu, protons
    muon_fluctuation_fe: float = 0.05  # same, iron (interpolated in ln A)
    em_quantum_vem: float = 0.2  # the EM signal is Poisson in units of this
    muon_quantum_vem: float = 1.0  # one vertical-equivalent muon per muon
    trigger_vem: float = 3.0  # a station below this reads zero (no trigger)
    saturation_vem: float = 2000.0  # a station above this reads this
    min_stations: int = 3  # events with fewer triggered stations are not recorded (array trigger)
    # arrival times (timing.py)
    front_source_offset_g_cm2: float = 400.0  # the front's virtual source sits this much before Xmax
    t50_near_ns: float = 40.0  # disc thickness T50 at the axis
    t50_1000_ns: float = 160.0  # T50 added at 1000 m (grows as r^1.5) for a shower maximum 5 km away
    t50_distance_ref_m: float = 5000.0
    time_jitter_ns: float = 10.0  # GPS and electronics

    def __post_init__(self):
        lo, hi = (float(v) for v in self.lg_energy_range)
        if not (math.isfinite(lo) and math.isfinite(hi) and 17.0 <= lo < hi <= 21.0):
            raise ValueError(f"lg_energy_range must be (low, high) with 17 <= low < high <= 21 (log10 E/eV), "
                             f"got {self.lg_energy_range!r}")
        object.__setattr__(self, "lg_energy_range", (lo, hi))
        if not 0.0 < float(self.max_zenith_deg) <= 75.0:
            raise ValueError(f"max_zenith_deg must be in (0, 75], got {self.max_zenith_deg!r}")
        if isinstance(self.n_side, bool) or int(self.n_side) != self.n_side or self.n_side < 3 or self.n_side % 2 == 0:
            raise ValueError(f"n_side must be an odd integer >= 3 (the core cell in the middle), got {self.n_side!r}")
        for name in ("spacing_m", "scale_height_m", "sea_level_depth_g_cm2", "s1000_em_vem", "s1000_mu_vem",
                     "em_attenuation_g_cm2", "mu_attenuation_g_cm2", "em_quantum_vem", "muon_quantum_vem",
                     "saturation_vem", "t50_distance_ref_m", "ldf_min_r_m"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if not 0 <= self.trigger_vem < self.saturation_vem:
            raise ValueError(f"need 0 <= trigger_vem < saturation_vem, got {self.trigger_vem}, {self.saturation_vem}")

    @property
    def ground_depth_g_cm2(self) -> float:
        """Vertical depth of the ground, X_ground = X_sea exp(-h_ground / H)."""
        return self.sea_level_depth_g_cm2 * math.exp(-self.ground_altitude_m / self.scale_height_m)

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


SETTINGS = AirShowerSettings()
