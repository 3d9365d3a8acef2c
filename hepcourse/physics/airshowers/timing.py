"""Arrival times: a curved shower front and start-time spreads that grow with distance.

* Front: the particles come from a virtual point source on the axis, at the depth
  Xmax - 400 g/cm^2 (R = 5-40 km up the axis, larger for inclined and for shallow showers),
  so the front is a sphere of radius R. A station at ground position p (the core at the
  origin, axis unit vector n pointing up towards the source) is reached at

      c t(p) = |R n - p| - R  ~  -p . n + r^2 / (2R),     r^2 = |p|^2 - (p . n)^2,

  the plane front -p . n / c plus the curvature delay r^2 / (2 R c) (the form fitted by the
  Auger SD reconstruction, e.g. Bonifazi for the Pierre Auger Collaboration, Nucl. Phys. B
  Proc. Suppl. 190 (2009) 20, arXiv:0901.3138). c = 0.299792458 m/ns.
* Spread: the shower disc is thicker far from the axis and when the maximum is close, as
  the Auger rise-time and start-time models describe (Auger, arXiv:0901.3138; risetime and Xmax:
  Phys. Rev. D 96 (2017) 122003, arXiv:1710.07249). Its half-signal time

      T50(r) = 40 ns + 160 ns (r / 1000 m)^1.5 sqrt(5 km / D_max),

  with D_max the distance from the core to Xmax along the axis, and the start time of a station
  scatters around the front with the Auger start-time variance (arXiv:0901.3138, eq. 1), where
  n is the number of muons in the station (the muons arrive first; a station without muons
  gets n = 1, the EM particles alone give a late, uncertain start)

      V[t] = (2 T50 / n)^2 (n - 1) / (n + 1) + (10 ns)^2.

Times are stored in ns relative to the earliest triggered station of the event (the array
knows no absolute shower time); a station that did not trigger reads 0.
"""

from __future__ import annotations

import numpy as np

from .settings import AirShowerSettings

C_M_PER_NS = 0.299792458


def front_times(positions, axis, radius_m) -> np.ndarray:
    """Front arrival times (ns, relative to the core) at ground ``positions`` (n, S, 2) in m for axes (n, 3).

    A sphere of radius ``radius_m`` (n,) centred on the axis at that distance above the core.
    """
    positions = np.asarray(positions, dtype=np.float64)
    p3 = np.concatenate([positions, np.zeros(positions.shape[:-1] + (1,))], axis=-1)
    radius = np.asarray(radius_m, dtype=np.float64)[:, None]
    centre = radius[..., None] * np.asarray(axis)[:, None, :]
    return (np.linalg.norm(centre - p3, axis=-1) - radius) / C_M_PER_NS


def axis_distance(positions, axis) -> np.ndarray:
    """Distance (m) of ground ``positions`` (n, S, 2) from the shower axes (n, 3) through the origin."""
    positions = np.asarray(positions, dtype=np.float64)
    p3 = np.concatenate([positions, np.zeros(positions.shape[:-1] + (1,))], axis=-1)
    along = np.einsum("nsk,nk->ns", p3, np.asarray(axis))
    return np.sqrt(np.maximum((p3 ** 2).sum(-1) - along ** 2, 0.0))


def t50(r_m, distance_to_xmax_m, settings: AirShowerSettings) -> np.ndarray:
    """Half-signal time T50 (ns) at axis distance ``r_m`` (n, S) for maxima at ``distance_to_xmax_m`` (n,)."""
    scale = np.sqrt(settings.t50_distance_ref_m / np.asarray(distance_to_xmax_m, dtype=np.float64))[:, None]
    return settings.t50_near_ns + settings.t50_1000_ns * (np.asarray(r_m) / 1000.0) ** 1.5 * scale


def start_time_sigma(t50_ns, n_particles, settings: AirShowerSettings) -> np.ndarray:
    """rms (ns) of a station's start time: sqrt((2 T50/n)^2 (n-1)/(n+1) + jitter^2)."""
    n = np.maximum(np.asarray(n_particles, dtype=np.float64), 1.0)
    return np.sqrt((2 * t50_ns / n) ** 2 * (n - 1) / (n + 1) + settings.time_jitter_ns ** 2)
