"""Determinism, splits and fault handling of the simulated shower dataset's cache."""

import h5py
import numpy as np
import pytest

from hepcourse import cli, config
from hepcourse.data import REGISTRY, dataset, showers
from hepcourse.data.cache import InvalidCacheFile, read_validated, write_atomic


@pytest.fixture
def tiny():
    """4-shower shards at 1-3 GeV: a shard takes well under a second."""
    return showers.ShowerDatasetSettings(energy_range=(1.0, 3.0), shard_size=4)


def test_same_seed_same_bytes_and_seeds_differ(tiny):
    a = showers.generate_shard("e-", "train", 7, 0, tiny)
    b = showers.generate_shard("e-", "train", 7, 0, tiny)
    c = showers.generate_shard("e-", "train", 8, 0, tiny)
    for key in ("showers", "energy"):
        assert a[key].tobytes() == b[key].tobytes(), f"{key} differs between two runs with the same seed"
    assert not np.array_equal(a["energy"], c["energy"]), "different seeds gave the same energies"
    assert not np.array_equal(a["showers"], c["showers"]), "different seeds gave the same showers"


def test_load_shapes_units_determinism_and_disjoint_splits(tmp_cache):
    energy_range = (1.0, 3.0)
    settings = showers.ShowerDatasetSettings(shard_size=4)
    X, E = showers.load(10, split="train", energy_range=energy_range, settings=settings, workers=2)
    X1, E1 = showers.load(10, split="train", energy_range=energy_range, settings=settings, workers=1)
    g = settings.geometry
    assert X.shape == (10, g.n_layers, g.n_cells, g.n_cells) and X.dtype == np.float32
    assert E.shape == (10,) and E.dtype == np.float32
    assert X.tobytes() == X1.tobytes() and E.tobytes() == E1.tobytes(), "the worker count changed the data"
    assert np.all((E >= 1.0) & (E <= 3.0)), "incident energies outside energy_range"
    ratio = X.sum(axis=(1, 2, 3)) / E
    assert np.all((ratio > 0.01) & (ratio < 0.04)), f"visible/incident energy {ratio} is not ~2 % (GeV units?)"
    Xv, Ev = showers.load(10, split="val", energy_range=energy_range, settings=settings)
    assert not set(E.tolist()) & set(Ev.tolist()), "train and val share showers"
    Xs, _ = showers.load(6, split="train", energy_range=energy_range, settings=settings)
    assert Xs.tobytes() == X[:6].tobytes(), "a smaller load must be a prefix of a larger one"


def test_energies_are_log_uniform(tiny):
    wide = showers.ShowerDatasetSettings(energy_range=(1.0, 100.0), shard_size=4000)
    e = showers.shard_energies("e-", "train", 0, 0, wide)
    counts, _ = np.histogram(np.log10(e), bins=4, range=(0, 2))
    assert counts.min() > 0.9 * counts.mean(), f"energies are not log-uniform: {counts} per quarter decade"


def test_truncated_file_is_regenerated(tmp_cache, tiny):
    path = showers.ensure_shard("e-", "test", 0, 0, tiny)
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])
    with pytest.warns(UserWarning, match="truncated or corrupted"):
        showers.ensure_shard("e-", "test", 0, 0, tiny)
    arrays, _ = read_validated(path, showers.shard_settings("e-", "test", 0, 0, tiny))
    assert arrays["showers"].shape[0] == 4
    assert path.read_bytes() == good, "the regenerated file differs from the original"


def test_corrupted_bytes_are_detected(tmp_cache, tiny):
    path = showers.ensure_shard("e-", "test", 0, 0, tiny)
    expected = showers.shard_settings("e-", "test", 0, 0, tiny)
    with h5py.File(path, "r") as f:
        offset = f["showers"].id.get_offset()
    data = bytearray(path.read_bytes())
    data[offset + 1000: offset + 1008] = b"\x7f" * 8
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidCacheFile, match="corrupted"):
        read_validated(path, expected)
    with pytest.warns(UserWarning, match="corrupted"):
        showers.load(4, split="test", energy_range=tiny.energy_range, settings=tiny)
    read_validated(path, expected)  # regenerated and valid again


def test_different_settings_are_detected(tmp_cache, tiny):
    path = showers.ensure_shard("e-", "val", 0, 0, tiny)
    arrays, _ = read_validated(path, showers.shard_settings("e-", "val", 0, 0, tiny))
    wrong = {**showers.shard_settings("e-", "val", 0, 0, tiny), "seed": 12345}
    write_atomic(path, arrays, wrong)
    with pytest.raises(InvalidCacheFile, match="different settings .*seed"):
        read_validated(path, showers.shard_settings("e-", "val", 0, 0, tiny))
    with pytest.warns(UserWarning, match="different settings"):
        showers.ensure_shard("e-", "val", 0, 0, tiny)
    other = showers.ShowerDatasetSettings(energy_range=(1.0, 2.0), shard_size=4)
    assert showers.shard_path("e-", "val", 0, 0, other) != path, "another energy range must use another cache folder"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"particle": "pi+"}, "unknown particle 'pi\\+'"),
        ({"split": "training"}, "unknown split 'training'"),
        ({"n": 0}, "n must be a positive integer"),
        ({"n": 2.5}, "n must be a positive integer"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"energy_range": (10.0, 1.0)}, "energy_range must be"),
        ({"energy_range": (0.0, 1.0)}, "energy_range must be"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"n": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        showers.load(args.pop("n"), **args)


def test_registry_profiles_and_cli(tmp_cache, capsys):
    assert REGISTRY["showers"] == "hepcourse.data.showers" and dataset("showers") is showers
    quick, full = showers.sizes("quick"), showers.sizes("full")
    assert set(quick) == {"train", "val", "test"} and all(full[k] > quick[k] for k in quick)
    assert showers.sizes(config.profile("quick")) == quick
    with pytest.raises(ValueError, match="unknown profile"):
        showers.sizes("huge")
    tasks = showers.profile_tasks(config.profile("quick"))
    assert sum(min(t[4].shard_size, 10**9) for t in tasks) >= sum(quick.values())
    assert showers.task_status(tasks[0]) == "missing"
    assert showers.task_label(tasks[0]).startswith("showers/train/e--seed0-shard00000")
    assert cli.main(["data", "info", "showers"]) == 0
    out = capsys.readouterr().out
    assert "Dataset card" in out and "moliere_radius_mm" in out


def _ensure(settings, queue):
    queue.put(str(showers.ensure_shard("e-", "train", 3, 0, settings)))


def test_two_processes_writing_the_same_shard(tmp_cache, tiny):
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_ensure, args=(tiny, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
        assert p.exitcode == 0
    assert len({queue.get(timeout=5) for _ in procs}) == 1
    path = showers.shard_path("e-", "train", 3, 0, tiny)
    read_validated(path, showers.shard_settings("e-", "train", 3, 0, tiny))
    assert not [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")], "a temporary file was left behind"
