"""Electromagnetic showers in a tungsten-silicon sampling calorimeter, simulated offline.

Dataset card
------------
* **Mirrors**: the CaloChallenge 2022 (arXiv:2410.21611) idea of "incident energy ->
  calorimeter shower" datasets; dataset 2 there is also electrons in a silicon-tungsten
  calorimeter (Geant4, 45 layers, cylindrical binning). Its files load through
  `hepcourse.data.calochallenge` (opt-in download). Ours is smaller (22 x 11 x 11 cells)
  so that a CNN and a GAN train on a laptop CPU.
* **Simulator**: `hepcourse.physics.calorimeter` (particle-level EM cascade, numpy-vectorised:
  complete-screening Bethe-Heitler bremsstrahlung and pair production, Klein-Nishina Compton
  scattering, ionisation Ec/X0, Highland multiple scattering, positron annihilation; cuts
  ``TransportSettings``). Its module docstring documents every approximation. A GFlash-style
  parametrised fast simulation fitted to it (`hepcourse.physics.fastshower`) is the second
  baseline for generative models.
* **Geometry**: 22 layers x (3.5 mm W + 0.5 mm Si) = 22.1 X0; 11 x 11 square cells of 6 mm
  per layer (66 mm x 66 mm, +-3.2 Moliere radii); the beam enters along the axis at the
  centre of the central cell. Per layer 1.004 X0.
* **Materials** (PDG atomic and nuclear properties): W: X0 = 3.504 mm, Ec = 7.97 MeV,
  R_M = 9.327 mm; Si: X0 = 93.70 mm, Ec = 40.19 MeV. Stack (PDG mixture rules, thickness
  weighted): X0 = 3.983 mm, Ec = 8.14 MeV, R_M = 21.2 MeV X0/Ec = 10.37 mm; ionisation
  sampling fraction (active/total dE/dx x thickness) 2.62 %; 1 MIP in a Si layer = 0.214 MeV.
* **Readout**: the energy deposited in the silicon of each cell, in GeV (about 2.2 % of the
  incident energy; no calibration applied), with 0.02 MeV Gaussian noise per cell and zero
  suppression below 0.1 MeV (about 0.5 MIP).
* **Particles and energies**: electrons (``particle="e-"``; photons with ``"gamma"``) at
  normal incidence, incident energy drawn log-uniformly in ``energy_range`` (default 1-100
  GeV, as CaloChallenge does), independently per shard.
* **Arrays**: ``load`` returns ``(showers, energy)``: float32 (n, 22, 11, 11) [layer, y, x] in
  GeV and float32 (n,) incident energy in GeV.
* **Sizes** (``sizes(profile)``): quick: train 2500, val 1000, test 1500; full: train 50000,
  val 10000, test 20000 (electrons, 1-100 GeV).
* **Splits and determinism**: shards of ``SHARD_SIZE`` showers, each seeded from
  (dataset, particle, split, seed, shard index): splits come from different random streams;
  the same seed and settings give the same bytes whatever the number of worker processes.
  Shards are cached as HDF5 in ``$HEPCOURSE_DATA/showers/<settings hash>/`` with all settings
  inside and a SHA-256 of the arrays; a truncated, corrupted or differently-configured file
  is reported and regenerated.
* **Validation**: ``python -m hepcourse.physics.calorimeter`` measures shower maximum,
  containment, linearity and resolution (see "Measured validation" below).

Measured validation
-------------------
``.venv/bin/python -m hepcourse.physics.calorimeter`` (`validation_summary`, 300 showers per
energy below 20 GeV, fewer above), run on 2026-12-01 on the code of this commit:

* shower maximum (Gamma fit of the mean silicon profile, X0) vs ln(E/Ec) + C, C = -0.5 (e-),
  +0.5 (gamma) (PDG; Rossi): e- 2/10/50 GeV: 4.70/6.32/8.02 vs 5.00/6.61/8.22;
  gamma: 5.51/7.29/8.88 vs 6.00/7.61/9.22. Measured maxima sit 0.2-0.5 X0 before the
  textbook values; photons peak 0.8-0.97 X0 deeper than electrons (textbook: 1 X0).
* visible energy within one Moliere radius of the axis (10 GeV e-): 0.891 from the exact
  deposit radii, 0.882 from the cells (energy taken uniform within a cell); textbook ~0.90.
* response (silicon energy / incident energy): 0.02039, 0.02058, 0.02052, 0.02045, 0.02039,
  0.02031, 0.02025 at 1, 2, 5, 10, 20, 50, 100 GeV: linear within +0.7/-1.0 % of 10 GeV.
  Energy deposited anywhere in the calorimeter: 96.4 % at 1 GeV (lateral leakage out of the
  66 mm block and backscatter) falling to 94.1 % at 100 GeV (longitudinal leakage behind
  22 X0), which is the -1 % of the response at 100 GeV.
* resolution of the silicon sum (noise and zero suppression included), sigma/E =
  0.175, 0.126, 0.078, 0.053, 0.041, 0.026, 0.022 at the same energies; fit
  a/sqrt(E) (+) b (+) c/E: a = 0.168 +- 0.006 sqrt(GeV), b = 0.013 +- 0.003,
  c = 0.054 +- 0.033 GeV (measured for the CALICE Si-W ECAL prototype, 0.4-1.2 X0 layers:
  16.6 %/sqrt(E) (+) 1.1 %, arXiv:0811.2354).
* EM sampling fraction 0.02045 = 0.78 x the MIP value (e/mip < 1, as in Si-W calorimeters).
* CPU time of the detailed simulation (one core, showers batched, on a shared machine with
  load ~11 on 2 cores, so an upper bound): 1.3, 13.9, 94.6, 181.8 ms per shower at 1, 10,
  50, 100 GeV.
* quick profile (5000 showers, 20 shards): 129 s of CPU in all (``/usr/bin/time`` of
  ``python -m hepcourse data prepare --dataset showers --workers 2`` on the same loaded
  machine), i.e. about 65-70 s of wall time on 2 free cores.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import numpy as np

from .. import config
from ..physics.calorimeter import GEOMETRY, PARTICLES, TRANSPORT, CalorimeterGeometry, TransportSettings, simulate
from .cache import ensure, missing, read_validated, settings_hash, status
from .sharding import derive_seed, run_parallel

NAME = "showers"
FORMAT_VERSION = 1
SHARD_SIZE = 250
SPLITS = ("train", "val", "test")
DEFAULT_ENERGY_RANGE = (1.0, 100.0)
SIZES = {
    "quick": {"train": 2500, "val": 1000, "test": 1500},
    "full": {"train": 50_000, "val": 10_000, "test": 20_000},
}

__all__ = ["load", "prepare", "generate_shard", "shard_tasks", "sizes", "card", "SPLITS", "ShowerDatasetSettings"]


@dataclass(frozen=True)
class ShowerDatasetSettings:
    """Everything that determines the bytes of a shard (besides particle, split, seed and index)."""

    energy_range: tuple[float, float] = DEFAULT_ENERGY_RANGE
    geometry: CalorimeterGeometry = GEOMETRY
    transport: TransportSettings = TRANSPORT
    shard_size: int = SHARD_SIZE

    def __post_init__(self):
        lo, hi = (float(v) for v in self.energy_range)
        if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo <= hi):
            raise ValueError(f"energy_range must be (low, high) in GeV with 0 < low <= high, got {self.energy_range!r}")
        if lo < 0.01:
            raise ValueError(f"energy_range starts at {lo} GeV; the simulation needs at least 0.01 GeV")
        object.__setattr__(self, "energy_range", (lo, hi))
        if int(self.shard_size) != self.shard_size or self.shard_size < 1:
            raise ValueError(f"shard_size must be a positive integer, got {self.shard_size!r}")

    def common(self) -> dict:
        return {
            "dataset": NAME,
            "format_version": FORMAT_VERSION,
            "energy_range": list(self.energy_range),
            "geometry": self.geometry.to_dict(),
            "transport": self.transport.to_dict(),
            "shard_size": self.shard_size,
            "versions": _versions(),
        }


@lru_cache(maxsize=1)
def _versions() -> dict:
    return {"numpy": version("numpy")}


def shard_settings(particle: str, split: str, seed: int, shard: int, settings: ShowerDatasetSettings) -> dict:
    """Full settings of one shard, as stored in (and checked against) its file."""
    return {
        **settings.common(),
        "particle": particle,
        "split": split,
        "seed": seed,
        "shard": shard,
        "shard_seed": derive_seed(NAME, particle, split, seed, shard, modulus=2**63),
    }


def shard_path(particle: str, split: str, seed: int, shard: int, settings: ShowerDatasetSettings) -> Path:
    return (config.data_dir() / NAME / settings_hash(settings.common()) / split
            / f"{particle}-seed{seed}-shard{shard:05d}.h5")


def shard_energies(particle: str, split: str, seed: int, shard: int, settings: ShowerDatasetSettings) -> np.ndarray:
    """Incident energies (GeV, float32) of one shard: log-uniform in the energy range."""
    rng = np.random.default_rng(derive_seed(NAME, "energy", particle, split, seed, shard, modulus=2**63))
    lo, hi = settings.energy_range
    return np.exp(rng.uniform(np.log(lo), np.log(hi), settings.shard_size)).astype(np.float32)


def generate_shard(particle: str, split: str, seed: int, shard: int,
                   settings: ShowerDatasetSettings = ShowerDatasetSettings()) -> dict[str, np.ndarray]:
    """Simulate one shard in memory: {"showers": (k, L, C, C) GeV, "energy": (k,) GeV}."""
    info = shard_settings(particle, split, seed, shard, settings)
    energy = shard_energies(particle, split, seed, shard, settings)
    showers = simulate(energy.astype(np.float64), particle=particle, seed=info["shard_seed"],
                       geometry=settings.geometry, transport=settings.transport)
    return {"showers": showers, "energy": energy}


def ensure_shard(particle: str, split: str, seed: int, shard: int,
                 settings: ShowerDatasetSettings = ShowerDatasetSettings()) -> Path:
    """Make sure a valid cache file exists for this shard (simulating it if needed); return its path."""
    return ensure(shard_path(particle, split, seed, shard, settings),
                  shard_settings(particle, split, seed, shard, settings),
                  lambda: generate_shard(particle, split, seed, shard, settings),
                  {"card": __doc__.split("Dataset card")[1][:4000]})


def shard_tasks(n: int, split: str, seed: int = 0, particle: str = "e-",
                settings: ShowerDatasetSettings = ShowerDatasetSettings()) -> list[tuple]:
    """The (particle, split, seed, shard, settings) tasks needed for ``n`` showers of one split."""
    n_shards = -(-n // settings.shard_size)
    return [(particle, split, seed, k, settings) for k in range(n_shards)]




def prepare(tasks: list[tuple], workers: int | None = None) -> list[Path]:
    """Simulate every missing or invalid shard among ``tasks`` in parallel; return all paths."""
    todo = missing(tasks, shard_path, shard_settings)
    if todo:
        run_parallel(ensure_shard, todo, workers=workers, desc=f"simulating {NAME} shards")
    return [shard_path(*t) for t in tasks]


def _validate_arguments(n, particle, split, seed):
    if particle not in PARTICLES:
        raise ValueError(f"unknown particle {particle!r}; choose one of {PARTICLES}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {SPLITS}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer (number of showers), got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def load(n: int, *, particle: str = "e-", energy_range: tuple[float, float] = DEFAULT_ENERGY_RANGE,
         split: str = "train", seed: int = 0, workers: int | None = None,
         settings: ShowerDatasetSettings | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(showers, energy)``: ``n`` simulated showers of one split.

    ``showers`` is float32 (n, n_layers, n_cells, n_cells) [layer, y, x] of silicon energies
    in GeV; ``energy`` float32 (n,) the true incident energies in GeV (log-uniform in
    ``energy_range``). Showers are simulated on first use (in parallel shards, with a progress
    bar) and read from the cache afterwards. ``settings`` overrides geometry, transport and
    shard size (its energy range is replaced by ``energy_range``).
    """
    _validate_arguments(n, particle, split, seed)
    base = settings or ShowerDatasetSettings()
    settings = ShowerDatasetSettings(energy_range=tuple(energy_range), geometry=base.geometry,
                                     transport=base.transport, shard_size=base.shard_size)
    tasks = shard_tasks(int(n), split, int(seed), particle, settings)
    paths = prepare(tasks, workers=workers)
    showers, energy = [], []
    for task, path in zip(tasks, paths):
        arrays, _ = read_validated(path, shard_settings(*task))
        showers.append(arrays["showers"])
        energy.append(arrays["energy"])
    return np.concatenate(showers)[:n], np.concatenate(energy)[:n]


def sizes(profile: str | config.Profile | None = None) -> dict[str, int]:
    """Showers per split {"train", "val", "test"} that a profile's notebooks use (default: active profile)."""
    name = profile.name if isinstance(profile, config.Profile) else config.profile(profile).name
    try:
        return dict(SIZES[name])
    except KeyError:
        raise ValueError(f"the showers dataset has no sizes for profile {name!r}; known: {sorted(SIZES)}") from None


def card() -> str:
    """The dataset card (this module's docstring) and the geometry in numbers."""
    g = GEOMETRY
    numbers = "\n".join(f"    {k} = {v}" for k, v in g.to_dict().items() if not isinstance(v, dict))
    return f"{__doc__}\nGeometry (hepcourse.physics.calorimeter.GEOMETRY):\n{numbers}\n"


def profile_tasks(profile: config.Profile, seed: int = 0) -> list[tuple]:
    """All shard tasks that a profile's notebooks need (electrons, train, val and test)."""
    return [task for split, n in sizes(profile).items() for task in shard_tasks(n, split, seed)]


def task_label(task: tuple) -> str:
    particle, split, seed, shard, _ = task
    return f"{NAME}/{split}/{particle}-seed{seed}-shard{shard:05d}"


def task_path(task: tuple) -> Path:
    """Where a task's cache file lives (under the current HEPCOURSE_DATA)."""
    return shard_path(*task)


def task_settings(task: tuple) -> dict:
    """The settings a task's cache file must hold to be valid."""
    return shard_settings(*task)


def task_status(task: tuple) -> str:
    """'ok', 'missing' or the reason the cached file is invalid."""
    return status(shard_path(*task), shard_settings(*task))
