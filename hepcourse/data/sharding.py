"""Shards: independent pieces of a dataset, each with its own derived seed.

A shard is fully described by (dataset, settings, split, seed, shard index), so any engine can
produce it: local worker processes (`run_parallel`, used by default), a batch system calling
`hepcourse data prepare --shard i/N`, or Dask. Results do not depend on the engine or on the
number of workers, because every shard seeds its own generators.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Iterable, Sequence

from tqdm.auto import tqdm

PYTHIA_MAX_SEED = 900_000_000


def derive_seed(*parts, modulus: int = PYTHIA_MAX_SEED) -> int:
    """A seed in [1, modulus) from any tuple of identifiers (stable across runs and machines)."""
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return 1 + int.from_bytes(digest[:8], "little") % (modulus - 1)


def default_workers() -> int:
    """Worker processes to use: HEPCOURSE_WORKERS, else the CPUs this process may use."""
    env = os.environ.get("HEPCOURSE_WORKERS")
    if env:
        return max(1, int(env))
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def run_parallel(function: Callable, tasks: Sequence[tuple], *, workers: int | None = None,
                 desc: str = "shards", unit: str = "shard") -> list:
    """Run ``function(*task)`` for each task, in worker processes, with a progress bar.

    Results come back in task order. Workers are started with 'spawn' so that a parent that
    already imported TensorFlow or holds threads is safe.
    """
    workers = min(workers or default_workers(), len(tasks)) if tasks else 1
    results: list = [None] * len(tasks)
    bar = tqdm(total=len(tasks), desc=desc, unit=unit, disable=not tasks)
    if workers <= 1:
        for i, task in enumerate(tasks):
            results[i] = function(*task)
            bar.update()
    else:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(function, *task): i for i, task in enumerate(tasks)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.update()
    bar.close()
    return results


def parse_shard(spec: str) -> tuple[int, int]:
    """Parse 'i/N' (0 <= i < N) as used by `--shard`."""
    try:
        index, total = (int(x) for x in spec.split("/"))
    except ValueError:
        raise ValueError(f"shard must look like 'i/N' (e.g. 3/10), got {spec!r}") from None
    if not 0 <= index < total:
        raise ValueError(f"shard index must satisfy 0 <= i < N, got {spec!r}")
    return index, total


def select_shard(items: Iterable, index: int, total: int) -> list:
    """Items assigned to shard ``index`` of ``total`` (round robin)."""
    return [item for k, item in enumerate(items) if k % total == index]


def merge_caches(tasks: Sequence[tuple], sources: Sequence, data_dir) -> dict[str, list[str]]:
    """Copy valid shard files of ``tasks`` from other cache folders into ``data_dir``.

    ``tasks`` are (`ShardedDataset`, shard) pairs; a shard already valid in ``data_dir`` is kept.
    A candidate is validated (settings and checksum) before it is copied, through a temporary
    file and a rename. Batch jobs that each wrote ``prepare --shard i/N`` into their own
    HEPCOURSE_DATA are merged this way. Returns {"copied", "kept", "missing", "invalid"} labels.
    """
    import shutil
    import tempfile
    from pathlib import Path

    from .cache import InvalidCacheFile, read_validated

    data_dir = Path(data_dir)
    report: dict[str, list[str]] = {"copied": [], "kept": [], "missing": [], "invalid": []}
    for generated, task in tasks:
        label = generated.task_label(task)
        if generated.task_status(task) == "ok":
            report["kept"].append(label)
            continue
        relative = generated.task_path(task).relative_to(data_dir)
        for source in sources:
            candidate = Path(source) / relative
            if not candidate.is_file():
                continue
            try:
                read_validated(candidate, generated.task_settings(task))
            except InvalidCacheFile as problem:
                report["invalid"].append(f"{label}: {problem}")
                continue
            target = data_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            os.close(fd)
            shutil.copyfile(candidate, tmp)
            os.replace(tmp, target)
            report["copied"].append(label)
            break
        else:
            report["missing"].append(label)
    return report
