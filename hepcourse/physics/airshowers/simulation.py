"""One call that simulates air-shower events at the surface array: `simulate`.

Per event: draw the primary's energy, direction and core (`primaries`, `array`), its shower
maximum (`xmax`), the expected EM and muon signal at every station from the distance to the
axis (`signals`), Poisson fluctuations, trigger and saturation, and the start times of the
triggered stations around a curved front (`timing`). Events with fewer than
``settings.min_stations`` triggered stations are not recorded (the array trigger); they are
replaced by further events from the same random stream, so a call returns exactly ``n``.
"""

from __future__ import annotations

import numpy as np

from . import array, primaries, signals, timing, xmax
from .settings import SETTINGS, AirShowerSettings

FIELDS = ("signal", "time", "energy", "zenith", "azimuth", "core", "xmax", "mass")


def _batch(rng: np.random.Generator, m: int, mass: int, settings: AirShowerSettings) -> dict[str, np.ndarray]:
    lg_e = primaries.sample_lg_energy(rng, m, settings.lg_energy_range)
    zenith, azimuth = primaries.sample_directions(rng, m, settings.max_zenith_deg)
    core = array.sample_cores(rng, m, settings.spacing_m)
    masses = np.full(m, float(mass))
    x_max = xmax.sample_xmax(rng, lg_e, masses, settings)
    mu_factor = signals.muon_fluctuation(rng, masses, settings)

    stations = array.station_xy(settings.n_side, settings.spacing_m).reshape(-1, 2)
    relative = stations[None, :, :] - core[:, None, :]  # (m, S, 2), the core at the origin
    axis = primaries.axis_vector(zenith, azimuth)
    r = timing.axis_distance(relative, axis)
    s_em, s_mu = signals.expected_signals(r, lg_e, masses, zenith, x_max, mu_factor, settings)
    signal, n_muons = signals.detect(rng, s_em, s_mu, settings)

    source = np.maximum(x_max - settings.front_source_offset_g_cm2, 50.0)
    radius = xmax.distance_to_depth(source, zenith, settings)
    d_max = xmax.distance_to_depth(x_max, zenith, settings)
    sigma = timing.start_time_sigma(timing.t50(r, d_max, settings), n_muons, settings)
    t = timing.front_times(relative, axis, radius) + sigma * rng.standard_normal(sigma.shape)
    hit = signal > 0
    t_first = np.where(hit, t, np.inf).min(axis=1, initial=np.inf)
    t = np.where(hit, t - np.where(np.isfinite(t_first), t_first, 0.0)[:, None], 0.0)
    shape = (m, settings.n_side, settings.n_side)
    return {"signal": signal.reshape(shape), "time": t.reshape(shape), "energy": 10.0 ** (lg_e - 18.0),
            "zenith": zenith, "azimuth": azimuth, "core": core, "xmax": x_max, "mass": masses,
            "n_triggered": hit.sum(axis=1)}


def simulate(primary: str, n: int, seed: int, settings: AirShowerSettings = SETTINGS) -> dict[str, np.ndarray]:
    """``n`` recorded events of one primary, deterministic in ``seed``.

    Returns float32 arrays: ``signal`` (n, n_side, n_side) VEM and ``time`` (n, n_side, n_side) ns
    on the axial station grid [q, r] (0 where a station did not trigger), ``energy`` (n,) EeV,
    ``zenith``, ``azimuth`` (n,) rad, ``core`` (n, 2) m, ``xmax`` (n,) g/cm^2, ``mass`` (n,) A.
    """
    mass = primaries.mass_number(primary)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer (number of events), got {n!r}")
    if not isinstance(settings, AirShowerSettings):
        raise TypeError(f"settings must be an AirShowerSettings, got {type(settings).__name__}")
    rng = np.random.default_rng(seed)
    parts, have = [], 0
    while have < n:
        batch = _batch(rng, max(int(1.1 * (n - have)), 16), mass, settings)
        keep = batch.pop("n_triggered") >= settings.min_stations
        parts.append({k: v[keep] for k, v in batch.items()})
        have += int(keep.sum())
    return {k: np.concatenate([p[k] for p in parts])[:n].astype(np.float32) for k in FIELDS}
