"""Cache faults, once for every generated dataset (jets, showers, hls4ml_jets, airshowers), with a fake generator.

Each dataset module's ``generate_shard`` (what ``ensure_shard`` and ``load`` call to produce a
shard's arrays) is replaced by a fast deterministic numpy function returning arrays with the
dataset's keys, shapes and dtypes; everything else is the real code: the shard paths and
settings, ``cache.ensure`` / ``write_atomic`` / ``read_validated``, the regeneration warnings,
the file lock, ``load``. The real generators (Pythia, the cascade) are made to fail if reached,
so none of these tests can run them. The fake generator logs every call to a file, so a test
can tell how many times a shard was (re)generated, also by other processes.
"""

from __future__ import annotations

import dataclasses
import fcntl
import importlib
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable

import h5py
import numpy as np
import pytest

from hepcourse.data import cache
from hepcourse.data.cache import InvalidCacheFile, read_validated, write_atomic
from hepcourse.data.sharding import derive_seed

pytestmark = pytest.mark.unit

FORK = multiprocessing.get_context("fork")


# ---- the four datasets, each with tiny settings and a fake generator ---------------------------

@dataclass(frozen=True)
class Case:
    name: str
    first: str  # process / particle / class of the shard the tests damage
    make_settings: Callable  # module -> tiny settings
    load: Callable  # (module, settings, split) -> the tuple load() returns
    other_settings: Callable  # (module, settings) -> settings that must use another cache folder
    real_generator: tuple  # module attributes that would run the real generator


def _jets_other(m, s):
    from hepcourse.physics.jets.detector import DetectorSettings

    return [dataclasses.replace(s, shard_size=s.shard_size + 1),
            dataclasses.replace(s, detector=DetectorSettings(enabled=False))]


CASES = [
    Case("jets", "qcd",
         lambda m: m.JetDatasetSettings(shard_size=3),
         lambda m, s, split: m.load(2 * s.shard_size, split=split, settings=s, workers=1),
         _jets_other,
         ("JetEventSource",)),
    Case("showers", "e-",
         lambda m: m.ShowerDatasetSettings(energy_range=(1.0, 3.0), shard_size=3),
         lambda m, s, split: m.load(s.shard_size, split=split, energy_range=s.energy_range, settings=s, workers=1),
         lambda m, s: [dataclasses.replace(s, shard_size=s.shard_size + 1),
                       dataclasses.replace(s, energy_range=(1.0, 2.0))],
         ("simulate",)),
    Case("hls4ml_jets", "z",
         lambda m: m.Hls4mlJetSettings(shard_size=2),
         lambda m, s, split: m.load(5 * s.shard_size, split=split, settings=s, workers=1),
         _jets_other,
         ("Hls4mlEventSource",)),
    Case("airshowers", "p",
         lambda m: m.AirShowerDatasetSettings(shard_size=3),
         # mixed primaries: one shard of each of p, He, N, Fe; load returns a dict, compared as a tuple
         lambda m, s, split: tuple(m.load(4 * s.shard_size, split=split, settings=s, workers=1).values()),
         lambda m, s: [dataclasses.replace(s, shard_size=s.shard_size + 1),
                       dataclasses.replace(s, simulation=dataclasses.replace(s.simulation, spacing_m=1400.0))],
         ("simulate",)),
]


def fake_arrays(module, first, split, seed, shard, settings) -> dict[str, np.ndarray]:
    """Arrays shaped and typed like the dataset's real shards, a function of the shard's identity."""
    rng = np.random.default_rng(derive_seed("fake", module.NAME, first, split, seed, shard, modulus=2**63))
    k = settings.shard_size
    if module.NAME == "jets":
        return {"constituents": rng.normal(size=(k, 200, 4)).astype(np.float32),
                "jet": rng.normal(size=(k, 4)).astype(np.float32),
                "hlf": rng.normal(size=(k, len(module.HLF_NAMES))).astype(np.float32),
                "n_generated": np.array(2 * k, dtype=np.int64)}
    if module.NAME == "hls4ml_jets":
        return {"features": rng.normal(size=(k, len(module.FEATURE_NAMES))).astype(np.float32),
                "jet": rng.normal(size=(k, 4)).astype(np.float32),
                "n_generated": np.array(2 * k, dtype=np.int64)}
    if module.NAME == "airshowers":
        side = settings.simulation.n_side
        grid = {key: rng.exponential(10.0, size=(k, side, side)).astype(np.float32) for key in ("signal", "time")}
        scalars = {key: rng.uniform(0.1, 1.0, k).astype(np.float32)
                   for key in ("energy", "zenith", "azimuth", "xmax", "mass")}
        return {**grid, **scalars, "core": rng.normal(size=(k, 2)).astype(np.float32)}
    g = settings.geometry
    lo, hi = settings.energy_range
    return {"showers": rng.exponential(1e-3, size=(k, g.n_layers, g.n_cells, g.n_cells)).astype(np.float32),
            "energy": rng.uniform(lo, hi, k).astype(np.float32)}


@pytest.fixture(params=CASES, ids=[c.name for c in CASES])
def fake(request, monkeypatch, tmp_cache, tmp_path):
    """One dataset with its generator replaced by `fake_arrays` (calls logged), in an empty cache."""
    case: Case = request.param
    module = importlib.import_module(f"hepcourse.data.{case.name}")
    settings = case.make_settings(module)
    log = tmp_path / "generator-calls.log"
    state = SimpleNamespace(delay=0.0)

    def generate_shard(first, split, seed, shard, settings=settings):
        with open(log, "a") as f:
            f.write(f"{os.getpid()} {first} {split} {seed} {shard}\n")
        time.sleep(state.delay)
        return fake_arrays(module, first, split, seed, shard, settings)

    def real_generator_reached(*args, **kwargs):
        raise AssertionError(f"a cache test reached the real {case.name} generator")

    monkeypatch.setattr(module, "generate_shard", generate_shard)
    for attribute in case.real_generator:
        monkeypatch.setattr(module, attribute, real_generator_reached)
    monkeypatch.setenv("HEPCOURSE_WORKERS", "1")

    task = (case.first, "test", 0, 0, settings)
    path = module.DATASET.shard_path(*task)
    ns = SimpleNamespace(
        case=case, module=module, settings=settings, task=task, path=path, state=state,
        expected_settings=module.DATASET.shard_settings(*task),
        ensure=lambda task=task: module.DATASET.ensure_shard(*task),
        load=lambda split: case.load(module, settings, split),
        expected=lambda: fake_arrays(module, *task),
        calls=lambda: log.read_text().splitlines() if log.exists() else [],
        temporaries=lambda: sorted(p.name for p in path.parent.glob("*.tmp")) if path.parent.exists() else [],
    )
    return ns


def assert_same_arrays(a: dict, b: dict):
    assert sorted(a) == sorted(b)
    for key in a:
        assert a[key].dtype == b[key].dtype and a[key].tobytes() == b[key].tobytes(), f"{key} differs"


def assert_same_tuple(a: tuple, b: tuple):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()


# ---- faults of a file on disk ------------------------------------------------------------------------

def test_truncated_shard_is_reported_and_regenerated(fake):
    path = fake.ensure()
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])
    assert "cannot be read as HDF5 (truncated or corrupted)" in fake.module.DATASET.task_status(fake.task)
    with pytest.warns(UserWarning, match=r"regenerating cache file: .*cannot be read as HDF5 \(truncated or corrupted\)"):
        fake.ensure()
    arrays, _ = read_validated(path, fake.expected_settings)
    assert_same_arrays(arrays, fake.expected())
    assert fake.module.DATASET.task_status(fake.task) == "ok"
    assert len(fake.calls()) == 2, "the truncated shard was not generated a second time"


def test_flipped_data_bytes_fail_the_checksum_and_load_regenerates_the_same_data(fake):
    before = fake.load("test")
    n_calls = len(fake.calls())
    with h5py.File(fake.path, "r") as f:
        first_key = sorted(k for k in f.keys() if f[k].size > 1)[0]
        offset = f[first_key].id.get_offset()
    data = bytearray(fake.path.read_bytes())
    data[offset + 4: offset + 12] = bytes(255 - b for b in data[offset + 4: offset + 12])  # bit flips in the data
    fake.path.write_bytes(bytes(data))
    with pytest.raises(InvalidCacheFile, match="is corrupted: its data no longer match the stored SHA-256"):
        read_validated(fake.path, fake.expected_settings)
    with pytest.warns(UserWarning) as record:
        after = fake.load("test")
    messages = [str(w.message) for w in record]
    assert any(m.startswith("will regenerate: ") and "no longer match the stored SHA-256" in m for m in messages), messages
    assert any(m.startswith("regenerating cache file: ") for m in messages), messages
    assert_same_tuple(before, after)
    assert len(fake.calls()) == n_calls + 1, "load should regenerate the damaged shard, and only it"
    read_validated(fake.path, fake.expected_settings)


def test_shard_written_with_other_settings_is_refused_naming_the_difference(fake):
    path = fake.ensure()
    arrays, _ = read_validated(path, fake.expected_settings)
    write_atomic(path, arrays, {**fake.expected_settings, "seed": 12345, "shard_size": 999})
    with pytest.raises(InvalidCacheFile, match=r"generated with different settings \(differing: seed, shard_size\)"):
        read_validated(path, fake.expected_settings)
    with pytest.warns(UserWarning, match=r"regenerating cache file: .*different settings \(differing: seed, shard_size\)"):
        fake.ensure()
    _, attrs = read_validated(path, fake.expected_settings)
    assert '"seed":0' in attrs["settings"]


def test_hdf5_file_without_stored_settings_is_refused_and_regenerated(fake):
    fake.path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(fake.path, "w") as f:  # right arrays, but not written through write_atomic
        for key, value in fake.expected().items():
            f.create_dataset(key, data=value)
    assert "has no stored settings or checksum" in fake.module.DATASET.task_status(fake.task)
    with pytest.warns(UserWarning, match="not written by hepcourse"):
        fake.ensure()
    read_validated(fake.path, fake.expected_settings)


def test_other_dataset_settings_use_another_cache_folder(fake):
    fake.ensure()
    for other in fake.case.other_settings(fake.module, fake.settings):
        other_task = (*fake.task[:4], other)
        assert fake.module.DATASET.shard_path(*other_task).parent != fake.path.parent, f"{other} shares the cache folder"
        assert fake.module.DATASET.task_status(other_task) == "missing", "a shard of other settings was taken as valid"


def test_second_load_reads_the_cache_without_generating(fake):
    first = fake.load("train")
    n_calls = len(fake.calls())
    assert n_calls >= 1 and all(" train " in line for line in fake.calls())
    second = fake.load("train")
    assert len(fake.calls()) == n_calls, "a valid cached shard was generated again"
    assert_same_tuple(first, second)


# ---- faults while writing ------------------------------------------------------------------------------

def test_interrupted_write_keeps_the_old_file_and_leaves_no_temporary(fake, monkeypatch):
    path = fake.ensure()
    arrays, _ = read_validated(path, fake.expected_settings)
    write_atomic(path, arrays, {**fake.expected_settings, "seed": 12345})  # an old, invalid shard
    old = path.read_bytes()
    real_fsync = os.fsync

    def interrupt(fd):  # Ctrl-C after the data are written, before the rename
        raise KeyboardInterrupt

    monkeypatch.setattr(cache.os, "fsync", interrupt)
    with pytest.warns(UserWarning, match="different settings"), pytest.raises(KeyboardInterrupt):
        fake.ensure()
    assert path.read_bytes() == old, "an interrupted write changed the file in place"
    assert fake.temporaries() == [], "an interrupted write left its temporary file"
    fresh = (*fake.task[:3], 1, fake.settings)  # a shard that did not exist before
    with pytest.raises(KeyboardInterrupt):
        fake.ensure(fresh)
    assert not fake.module.DATASET.shard_path(*fresh).exists() and fake.temporaries() == []

    monkeypatch.setattr(cache.os, "fsync", real_fsync)
    with pytest.warns(UserWarning, match="different settings"):
        fake.ensure()
    read_validated(path, fake.expected_settings)


def test_writer_killed_mid_write_leaves_no_partial_shard_and_releases_the_lock(fake):
    ready = FORK.Event()

    def writer():
        def hang(fd):  # the HDF5 temporary is written: stop here until killed
            ready.set()
            time.sleep(600)

        os.fsync = hang  # in the child process only
        fake.ensure()

    proc = FORK.Process(target=writer)
    proc.start()
    try:
        assert ready.wait(60), "the writer did not reach the end of its write"
        assert fake.temporaries(), "the write in progress should go to a temporary file"
        assert not fake.path.exists(), "the shard appeared before its write finished"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(30)
    assert proc.exitcode == -signal.SIGKILL
    assert not fake.path.exists(), "a killed writer left a (partial) shard in place"
    lock = fake.path.with_name(fake.path.name + ".lock")
    with open(lock, "a") as handle:  # the dead writer's lock is free at once
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(handle, fcntl.LOCK_UN)
    assert fake.module.DATASET.task_status(fake.task) == "missing"
    fake.ensure()
    arrays, _ = read_validated(fake.path, fake.expected_settings)
    assert_same_arrays(arrays, fake.expected())


def test_two_processes_ensuring_the_same_shard_generate_it_once(fake):
    fake.state.delay = 1.0  # long enough that the second writer arrives while the first holds the lock
    barrier, queue = FORK.Barrier(2), FORK.Queue()

    def writer():
        barrier.wait(60)
        start = time.monotonic()  # CLOCK_MONOTONIC: comparable between processes
        path = fake.ensure()
        queue.put((str(path), start, time.monotonic()))

    procs = [FORK.Process(target=writer) for _ in range(2)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert {r[0] for r in results} == {str(fake.path)}
    (_, s1, e1), (_, s2, e2) = results
    assert max(s1, s2) < min(e1, e2), "the two writers did not overlap: the test did not exercise the lock"
    assert len(fake.calls()) == 1, f"both writers generated the shard: {fake.calls()}"
    arrays, _ = read_validated(fake.path, fake.expected_settings)
    assert_same_arrays(arrays, fake.expected())
    assert fake.temporaries() == [], "a temporary file was left behind"
