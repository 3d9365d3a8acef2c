"""The one base of the generated datasets: sizes, shard planning, cache paths, verification, load.

A generated dataset is a set of independent *shards*: ``Shard(kind, split, seed, index,
settings)`` names one file of ``settings.shard_size`` examples of one kind (a process, a class,
a particle). `ShardedDataset` owns everything that does not depend on the physics:

* sizes per profile and split, read from the profile table (`hepcourse.config.TABLE`);
* planning: the shards that ``n`` examples of a split need (``n / len(kinds)`` of each kind);
* cache paths ``$HEPCOURSE_DATA/<name>/<settings hash>/<split>/<kind>-seed<s>-shard<i>.h5``
  and the full settings stored in (and checked against) each file;
* atomic writes and verification through `hepcourse.data.cache` (each file's checksum is
  verified once per process and remembered), generation of missing shards in parallel
  (`hepcourse.data.sharding.run_parallel`, seeds from `derive_seed`);
* reading shards back, and strict argument checks for ``load``;
* the card, ``data/<name>.md`` at the top of the course (what ``hepcourse data info`` prints).

A dataset module keeps only its card, its settings and fields, and its ``generate_shard``
function; it defines one ``DATASET = ShardedDataset(...)`` and its ``load``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Callable, NamedTuple

import numpy as np

from .. import config
from .cache import ensure, missing, read_shard, settings_hash, status
from .sharding import run_parallel

SPLITS = ("train", "val", "test")


class Shard(NamedTuple):
    """One cache file: ``settings.shard_size`` examples of one kind, split, seed and index."""

    kind: str
    split: str
    seed: int
    index: int
    settings: Any


def cards_dir() -> Path:
    """The course's ``data/`` folder (dataset cards, download registry, README)."""
    return Path(__file__).resolve().parents[2] / "data"


def check_choice(what: str, value, choices) -> None:
    """Refuse ``value`` unless it is one of ``choices``, naming them."""
    if isinstance(value, bool) or value not in choices:
        raise ValueError(f"unknown {what} {value!r}; choose one of {tuple(choices)}")


def check_count(n, *, multiple: int = 1, message: str | None = None) -> int:
    """``n`` as an int: a positive multiple of ``multiple`` (not a bool, not a float)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < multiple or n % multiple:
        raise ValueError(message.format(n=n) if message else f"n must be a positive integer, got {n!r}")
    return int(n)


def check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _find(module: str) -> "ShardedDataset":
    return importlib.import_module(module).DATASET


class ShardedDataset:
    """A generated, sharded, cached dataset (see the module docstring).

    ``fields(kind, split, seed, index)`` returns the kind-specific entries of a shard's settings
    (process, derived generator seed, ...); ``settings.common()`` the entries shared by all its
    shards (they name the cache folder). ``generate_shard`` is looked up in ``module`` at call
    time, so that tests can replace it.
    """

    def __init__(self, name: str, module: str, *, kinds: tuple[str, ...], fields: Callable[..., dict],
                 default_settings: Any, what: str = "examples", verb: str = "generating",
                 splits: tuple[str, ...] = SPLITS):
        self.name, self.module, self.kinds, self.splits = name, module, tuple(kinds), tuple(splits)
        self.fields, self.default_settings, self.what, self.verb = fields, default_settings, what, verb

    def __reduce__(self):  # worker processes find the module's instance instead of a copy
        return _find, (self.module,)

    def __repr__(self):
        return f"ShardedDataset({self.name!r}, kinds={self.kinds})"

    # ---------------------------------------------------------------- card and sizes
    def title(self) -> str:
        """One line saying what the dataset is (its module docstring's first line)."""
        return (importlib.import_module(self.module).__doc__ or self.name).strip().splitlines()[0]

    def card_path(self) -> Path:
        return cards_dir() / f"{self.name}.md"

    def card(self) -> str:
        """The dataset card, ``data/<name>.md``."""
        path = self.card_path()
        if not path.is_file():
            raise FileNotFoundError(f"the card of dataset {self.name!r} is missing: {path} (the course's data/ folder)")
        return path.read_text(encoding="utf-8")

    def sizes(self, profile: str | config.Profile | None = None) -> dict[str, int]:
        """Examples per split (all kinds together) that a profile's notebooks use (default: active profile)."""
        return config.dataset_sizes(self.name, profile)

    # ---------------------------------------------------------------- planning
    def shard_settings(self, kind: str, split: str, seed: int, index: int, settings) -> dict:
        """Full settings of one shard, as stored in (and checked against) its file."""
        return {**settings.common(), **self.fields(kind, split, seed, index),
                "split": split, "seed": seed, "shard": index}

    def shard_path(self, kind: str, split: str, seed: int, index: int, settings) -> Path:
        return (config.data_dir() / self.name / settings_hash(settings.common()) / split
                / f"{kind}-seed{seed}-shard{index:05d}.h5")

    def shard_tasks(self, n: int, split: str, seed: int = 0, settings=None,
                    kinds: tuple[str, ...] | None = None) -> list[Shard]:
        """The shards that ``n`` examples of one split need: n / len(kinds) of each kind."""
        settings = self.default_settings if settings is None else settings
        kinds = self.kinds if kinds is None else tuple(kinds)
        n_shards = -(-(int(n) // len(kinds)) // settings.shard_size)
        return [Shard(kind, split, seed, k, settings) for k in range(n_shards) for kind in kinds]

    def profile_tasks(self, profile: config.Profile | str | None = None, seed: int = 0) -> list[Shard]:
        """All shards that a profile's notebooks need (train, val and test splits)."""
        return [task for split, n in self.sizes(profile).items() for task in self.shard_tasks(n, split, seed)]

    def task_label(self, task: tuple) -> str:
        kind, split, seed, index, _ = task
        return f"{self.name}/{split}/{kind}-seed{seed}-shard{index:05d}"

    def task_path(self, task: tuple) -> Path:
        """Where a task's cache file lives (under the current HEPCOURSE_DATA)."""
        return self.shard_path(*task)

    def task_settings(self, task: tuple) -> dict:
        """The settings a task's cache file must hold to be valid."""
        return self.shard_settings(*task)

    def task_status(self, task: tuple) -> str:
        """'ok', 'missing' or the reason the cached file is invalid."""
        return status(self.shard_path(*task), self.shard_settings(*task))

    # ---------------------------------------------------------------- generation
    def generate_shard(self, kind: str, split: str, seed: int, index: int, settings=None) -> dict[str, np.ndarray]:
        generate = importlib.import_module(self.module).generate_shard
        return generate(kind, split, seed, index, self.default_settings if settings is None else settings)

    def ensure_shard(self, kind: str, split: str, seed: int, index: int, settings=None) -> Path:
        """Make sure a valid cache file exists for this shard (generating it if needed); return its path."""
        settings = self.default_settings if settings is None else settings
        attrs = {}
        try:
            attrs["card"] = self.card()[:4000]
        except FileNotFoundError:  # an installed copy without the course's data/ folder
            pass
        return ensure(self.shard_path(kind, split, seed, index, settings),
                      self.shard_settings(kind, split, seed, index, settings),
                      lambda: self.generate_shard(kind, split, seed, index, settings), attrs)

    def prepare(self, tasks: list[tuple], workers: int | None = None) -> list[Path]:
        """Generate every missing or invalid shard among ``tasks`` in parallel; return all paths."""
        todo = missing(tasks, self.shard_path, self.shard_settings)
        if todo:
            run_parallel(self.ensure_shard, todo, workers=workers, desc=f"{self.verb} {self.name} shards")
        return [self.shard_path(*t) for t in tasks]

    # ---------------------------------------------------------------- reading
    def read(self, tasks: list[tuple], keys: tuple[str, ...], workers: int | None = None) -> dict[str, dict]:
        """Prepare ``tasks``, then ``{kind: {key: concatenated array}}`` in task order (each file hashed once)."""
        paths = self.prepare(tasks, workers=workers)
        parts: dict[str, dict[str, list]] = {}
        for task, path in zip(tasks, paths):
            arrays, _ = read_shard(path, self.shard_settings(*task))
            per_key = parts.setdefault(task[0], {key: [] for key in keys})
            for key in keys:
                per_key[key].append(arrays[key])
        return {kind: {key: np.concatenate(v) for key, v in per_key.items()} for kind, per_key in parts.items()}

    def check_split(self, split: str) -> None:
        check_choice("split", split, self.splits)
