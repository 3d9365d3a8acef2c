"""Cosmic-ray air showers at a surface array of water-Cherenkov stations (own parametrised simulation).

The dataset card (the simulation's formulas and their sources, array, primaries, trigger,
fields with units, sizes per profile, measured validation, citations) is
``data/airshowers.md``: ``hepcourse data info airshowers`` or ``card()`` prints it. This module
keeps the settings, the fields and the simulation call; planning, cache, verification and
argument checks are `hepcourse.data.sharded.ShardedDataset`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version

import numpy as np

from .. import config
from ..physics.airshowers import FIELDS, PRIMARIES, AirShowerSettings, simulate, station_xy
from .sharded import ShardedDataset, check_choice, check_count, check_seed
from .sharding import derive_seed

NAME = "airshowers"
FORMAT_VERSION = 1
SHARD_SIZE = 500
SPLITS = ("train", "val", "test")
MIXED = "mixed"
KEYS = ("signal", "time", "station_xy", "energy", "zenith", "azimuth", "core", "xmax", "mass")

__all__ = ["DATASET", "KEYS", "MIXED", "PRIMARIES", "SPLITS", "AirShowerDatasetSettings", "card", "generate_shard",
           "load", "prepare", "shard_tasks", "sizes"]


@dataclass(frozen=True)
class AirShowerDatasetSettings:
    """Everything that determines the bytes of a shard (besides primary, split, seed and index)."""

    simulation: AirShowerSettings = AirShowerSettings()
    shard_size: int = SHARD_SIZE

    def __post_init__(self):
        if not isinstance(self.simulation, AirShowerSettings):
            raise TypeError(f"simulation must be an AirShowerSettings, got {type(self.simulation).__name__}")
        if isinstance(self.shard_size, bool) or int(self.shard_size) != self.shard_size or self.shard_size < 1:
            raise ValueError(f"shard_size must be a positive integer, got {self.shard_size!r}")

    def common(self) -> dict:
        return {
            "dataset": NAME,
            "format_version": FORMAT_VERSION,
            "simulation": self.simulation.to_dict(),
            "shard_size": self.shard_size,
            "versions": _versions(),
        }


@lru_cache(maxsize=1)
def _versions() -> dict:
    return {"numpy": version("numpy")}


def _fields(primary: str, split: str, seed: int, shard: int) -> dict:
    """The primary-specific entries of a shard's settings."""
    return {"primary": primary, "mass_number": PRIMARIES[primary],
            "shard_seed": derive_seed(NAME, primary, split, seed, shard, modulus=2**63)}


DATASET = ShardedDataset(NAME, __name__, kinds=tuple(PRIMARIES), fields=_fields,
                         default_settings=AirShowerDatasetSettings(), what="air showers", verb="simulating")


def generate_shard(primary: str, split: str, seed: int, shard: int,
                   settings: AirShowerDatasetSettings = AirShowerDatasetSettings()) -> dict[str, np.ndarray]:
    """Simulate one shard in memory: ``settings.shard_size`` events of one primary (see `simulate`)."""
    info = DATASET.shard_settings(primary, split, seed, shard, settings)
    return simulate(primary, settings.shard_size, info["shard_seed"], settings.simulation)


prepare = DATASET.prepare
card = DATASET.card


def sizes(profile: str | config.Profile | None = None) -> dict[str, int]:
    """Events per split {"train", "val", "test"} (all primaries together) of a profile (default: active one)."""
    return DATASET.sizes(profile)


def shard_tasks(n: int, split: str, seed: int = 0, settings: AirShowerDatasetSettings = AirShowerDatasetSettings(),
                primary: str = MIXED) -> list[tuple]:
    """The (primary, split, seed, shard, settings) tasks needed for ``n`` events of one split."""
    kinds = DATASET.kinds if primary == MIXED else (primary,)
    return DATASET.shard_tasks(n, split, seed, settings, kinds=kinds)


def _validate_arguments(n, primary, split, seed, settings):
    check_choice("primary", primary, (MIXED, *PRIMARIES))
    DATASET.check_split(split)
    if primary == MIXED:
        check_count(n, multiple=len(PRIMARIES), message="n must be a positive multiple of 4 (n/4 events each of "
                    "p, He, N and Fe), got {n!r}")
    else:
        check_count(n, message="n must be a positive integer (number of events), got {n!r}")
    check_seed(seed)
    if not isinstance(settings, AirShowerDatasetSettings):
        raise TypeError(f"settings must be an AirShowerDatasetSettings, got {type(settings).__name__}")


def load(n: int, *, split: str = "train", primary: str = MIXED, seed: int = 0, workers: int | None = None,
         settings: AirShowerDatasetSettings = AirShowerDatasetSettings()) -> dict[str, np.ndarray]:
    """Return ``n`` simulated events of one split as a dict of float32 arrays (units on the card).

    ``signal`` and ``time`` (n, 9, 9) on the axial station grid [q, r] (VEM; ns after the first
    triggered station; both 0 where a station did not trigger), ``station_xy`` (9, 9, 2) m (the
    same for every event: the station nearest the core is at the origin), ``energy`` (n,) EeV,
    ``zenith``, ``azimuth`` (n,) rad, ``core`` (n, 2) m, ``xmax`` (n,) g/cm^2, ``mass`` (n,) A.
    ``primary="mixed"`` (default) gives n/4 each of p, He, N, Fe in a fixed random order;
    ``"p"``, ``"He"``, ``"N"`` or ``"Fe"`` only that nucleus. Events are simulated on first use
    (in parallel shards, with a progress bar) and read from the cache afterwards.
    """
    _validate_arguments(n, primary, split, seed, settings)
    n = int(n)
    tasks = shard_tasks(n, split, int(seed), settings, primary)
    per_kind = DATASET.read(tasks, FIELDS, workers=workers)
    kinds = DATASET.kinds if primary == MIXED else (primary,)
    each = n // len(kinds)
    out = {key: np.concatenate([per_kind[kind][key][:each] for kind in kinds]) for key in FIELDS}
    if primary == MIXED:
        order = np.random.default_rng(derive_seed(NAME, "order", split, seed, n, modulus=2**63)).permutation(n)
        out = {key: value[order] for key, value in out.items()}
    sim = settings.simulation
    out["station_xy"] = station_xy(sim.n_side, sim.spacing_m).astype(np.float32)
    return {key: out[key] for key in KEYS}
