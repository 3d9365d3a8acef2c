"""Electromagnetic showers in a tungsten-silicon sampling calorimeter, simulated offline.

The dataset card (simulator and its physics, geometry, materials, readout, fields with units,
sizes per profile, measured validation, the public dataset it mirrors, citation) is
``data/showers.md``: ``hepcourse data info showers`` or ``card()`` prints it. This module
keeps the settings, the fields and the simulation call; planning, cache, verification and
argument checks are `hepcourse.data.sharded.ShardedDataset`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version

import numpy as np

from .. import config
from ..physics.calorimeter import GEOMETRY, PARTICLES, TRANSPORT, CalorimeterGeometry, TransportSettings, simulate
from .sharded import ShardedDataset, check_choice, check_count, check_seed
from .sharding import derive_seed

NAME = "showers"
FORMAT_VERSION = 1
SHARD_SIZE = 250
SPLITS = ("train", "val", "test")
DEFAULT_ENERGY_RANGE = (1.0, 100.0)

__all__ = ["load", "prepare", "generate_shard", "shard_tasks", "sizes", "card", "SPLITS", "ShowerDatasetSettings",
           "DATASET"]


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


def _fields(particle: str, split: str, seed: int, shard: int) -> dict:
    """The particle-specific entries of a shard's settings."""
    return {"particle": particle, "shard_seed": derive_seed(NAME, particle, split, seed, shard, modulus=2**63)}


DATASET = ShardedDataset(NAME, __name__, kinds=("e-",), fields=_fields, default_settings=ShowerDatasetSettings(),
                         what="showers", verb="simulating")


def shard_energies(particle: str, split: str, seed: int, shard: int, settings: ShowerDatasetSettings) -> np.ndarray:
    """Incident energies (GeV, float32) of one shard: log-uniform in the energy range."""
    rng = np.random.default_rng(derive_seed(NAME, "energy", particle, split, seed, shard, modulus=2**63))
    lo, hi = settings.energy_range
    return np.exp(rng.uniform(np.log(lo), np.log(hi), settings.shard_size)).astype(np.float32)


def generate_shard(particle: str, split: str, seed: int, shard: int,
                   settings: ShowerDatasetSettings = ShowerDatasetSettings()) -> dict[str, np.ndarray]:
    """Simulate one shard in memory: {"showers": (k, L, C, C) GeV, "energy": (k,) GeV}."""
    info = DATASET.shard_settings(particle, split, seed, shard, settings)
    energy = shard_energies(particle, split, seed, shard, settings)
    showers = simulate(energy.astype(np.float64), particle=particle, seed=info["shard_seed"],
                       geometry=settings.geometry, transport=settings.transport)
    return {"showers": showers, "energy": energy}


prepare = DATASET.prepare
card = DATASET.card


def shard_tasks(n: int, split: str, seed: int = 0, particle: str = "e-",
                settings: ShowerDatasetSettings = ShowerDatasetSettings()) -> list[tuple]:
    """The (particle, split, seed, shard, settings) tasks needed for ``n`` showers of one split."""
    return DATASET.shard_tasks(n, split, seed, settings, kinds=(particle,))


def _validate_arguments(n, particle, split, seed):
    check_choice("particle", particle, PARTICLES)
    DATASET.check_split(split)
    check_count(n, message="n must be a positive integer (number of showers), got {n!r}")
    check_seed(seed)


def sizes(profile: str | config.Profile | None = None) -> dict[str, int]:
    """Showers per split {"train", "val", "test"} that a profile's notebooks use (default: active profile)."""
    try:
        return DATASET.sizes(profile)
    except ValueError as problem:
        raise ValueError(f"the showers dataset has no sizes: {problem}") from None


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
    arrays = DATASET.read(shard_tasks(int(n), split, int(seed), particle, settings), ("showers", "energy"),
                          workers=workers)[particle]
    return arrays["showers"][:n], arrays["energy"][:n]


