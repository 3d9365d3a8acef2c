"""Cosmic-ray air showers seen by a surface array of water-Cherenkov stations (lecture 08).

A parametrised simulation in the style of the Pierre Auger Observatory's surface detector, as
used by Erdmann, Glombitza, Walz (Astropart. Phys. 97 (2018) 46, arXiv:1708.00647). What lives
where (each module one concern; formulas and sources in their docstrings, and on the dataset
card ``data/airshowers.md``):

* `settings`: every parameter, one frozen dataclass (``AirShowerSettings``, default ``SETTINGS``);
* `array`: the triangular grid of stations (1500 m) in axial coordinates, cores in the central cell;
* `primaries`: masses (p, He, N, Fe), energies (log-uniform), isotropic arrival directions;
* `xmax`: the atmosphere and the Gumbel-distributed shower maximum;
* `signals`: EM and muon lateral distributions, S(1000) energy scale, attenuation, Poisson
  fluctuations, trigger and saturation;
* `timing`: the curved shower front and the start-time spreads;
* `simulation`: ``simulate(primary, n, seed, settings)``, the events of one primary;
* `validation`: the measured properties (``python -m hepcourse.physics.airshowers`` prints them).
"""

from .array import axial_coordinates, axial_to_xy, station_xy, xy_to_axial
from .primaries import PRIMARIES, axis_vector
from .settings import SETTINGS, AirShowerSettings
from .simulation import FIELDS, simulate
from .timing import C_M_PER_NS

__all__ = ["C_M_PER_NS", "FIELDS", "PRIMARIES", "SETTINGS", "AirShowerSettings", "axial_coordinates", "axial_to_xy",
           "axis_vector", "simulate", "station_xy", "xy_to_axial"]
