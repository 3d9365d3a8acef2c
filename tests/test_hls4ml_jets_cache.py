"""Determinism, splits, bad inputs and cache-fault handling of the generated hls4ml jet dataset."""

import h5py
import numpy as np
import pytest

from hepcourse import config
from hepcourse.data import REGISTRY, dataset, hls4ml_jets
from hepcourse.data.cache import InvalidCacheFile, read_validated, write_atomic


@pytest.fixture
def tiny():
    """6-jet shards: one takes a few seconds (mostly Pythia's initialisation)."""
    return hls4ml_jets.Hls4mlJetSettings(shard_size=6)


def test_registered_and_card():
    assert REGISTRY["hls4ml_jets"] == "hepcourse.data.hls4ml_jets"
    module = dataset("hls4ml_jets")
    assert module.NAME == "hls4ml_jets"
    assert "Dataset card" in module.card() and "arXiv:1804.06913" in module.card()
    assert module.CLASSES == ("g", "q", "w", "z", "t")
    assert len(module.FEATURE_NAMES) == 16 and module.FEATURE_NAMES[0] == "zlogz"
    assert module.FEATURE_NAMES[-2:] == ("mass_mmdt", "multiplicity")


def test_sizes_and_profile_tasks():
    for name in config.PROFILES:
        sizes = hls4ml_jets.sizes(name)
        assert set(sizes) == {"train", "val", "test"}
        assert all(n > 0 and n % 5 == 0 for n in sizes.values()), sizes
        tasks = hls4ml_jets.profile_tasks(config.profile(name))
        per_class = sum(-(-(n // 5) // hls4ml_jets.SHARD_SIZE) for n in sizes.values())
        assert len(tasks) == 5 * per_class
        assert len({hls4ml_jets.task_label(t) for t in tasks}) == len(tasks), "two tasks share a cache file"
    assert hls4ml_jets.sizes(config.profile("quick")) == hls4ml_jets.sizes("quick")


def test_same_seed_same_bytes_and_seeds_differ(tmp_cache, tiny):
    a = hls4ml_jets.generate_shard("w", "train", 7, 0, tiny)
    b = hls4ml_jets.generate_shard("w", "train", 7, 0, tiny)
    c = hls4ml_jets.generate_shard("w", "train", 8, 0, tiny)
    assert a["features"].shape == (6, 16) and a["features"].dtype == np.float32
    for key in ("features", "jet"):
        assert a[key].tobytes() == b[key].tobytes(), f"{key} differs between two runs with the same seed"
    assert not np.array_equal(a["features"], c["features"]), "different seeds gave the same jets"


def test_load_is_balanced_deterministic_and_splits_disjoint(tmp_cache, tiny):
    X, y = hls4ml_jets.load(30, split="train", settings=tiny, workers=2)
    X1, y1 = hls4ml_jets.load(30, split="train", settings=tiny, workers=1)
    assert X.shape == (30, 16) and X.dtype == np.float32 and y.dtype == np.int64
    assert X.tobytes() == X1.tobytes() and np.array_equal(y, y1), "the worker count changed the data"
    assert np.bincount(y, minlength=5).tolist() == [6] * 5, "classes are not balanced"
    assert np.isfinite(X).all()
    assert not np.array_equal(y, np.sort(y)), "jets are not shuffled"
    Xv, _ = hls4ml_jets.load(30, split="val", settings=tiny)
    train_rows = {row.tobytes() for row in X}
    assert not train_rows & {row.tobytes() for row in Xv}, "train and val share jets"
    X10, y10 = hls4ml_jets.load(10, split="train", settings=tiny)
    assert np.bincount(y10, minlength=5).tolist() == [2] * 5
    assert {row.tobytes() for row in X10} <= train_rows, "a smaller load is not a subset of the larger one"


def test_truncated_file_is_regenerated(tmp_cache, tiny):
    path = hls4ml_jets.ensure_shard("q", "test", 0, 0, tiny)
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])
    assert "truncated or corrupted" in hls4ml_jets.task_status(("q", "test", 0, 0, tiny))
    with pytest.warns(UserWarning, match="truncated or corrupted"):
        hls4ml_jets.ensure_shard("q", "test", 0, 0, tiny)
    arrays, _ = read_validated(path, hls4ml_jets.shard_settings("q", "test", 0, 0, tiny))
    assert arrays["features"].shape == (6, 16)
    assert hls4ml_jets.task_status(("q", "test", 0, 0, tiny)) == "ok"


def test_corrupted_bytes_are_detected_and_regenerated_by_load(tmp_cache):
    settings = hls4ml_jets.Hls4mlJetSettings(shard_size=2)
    hls4ml_jets.load(10, split="test", settings=settings)
    path = hls4ml_jets.shard_path("z", "test", 0, 0, settings)
    expected = hls4ml_jets.shard_settings("z", "test", 0, 0, settings)
    with h5py.File(path, "r") as f:
        offset = f["features"].id.get_offset()
    data = bytearray(path.read_bytes())
    data[offset + 4 : offset + 12] = b"\x7f" * 8  # overwrite part of the first jet's features
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidCacheFile, match="corrupted"):
        read_validated(path, expected)
    with pytest.warns(UserWarning, match="corrupted"):
        X, _ = hls4ml_jets.load(10, split="test", settings=settings)
    read_validated(path, expected)  # regenerated and valid again
    assert np.isfinite(X).all()


def test_different_settings_are_detected(tmp_cache, tiny):
    path = hls4ml_jets.ensure_shard("g", "val", 0, 0, tiny)
    expected = hls4ml_jets.shard_settings("g", "val", 0, 0, tiny)
    arrays, _ = read_validated(path, expected)
    write_atomic(path, arrays, {**expected, "seed": 12345})
    with pytest.raises(InvalidCacheFile, match="different settings .*seed"):
        read_validated(path, expected)
    with pytest.warns(UserWarning, match="different settings"):
        hls4ml_jets.ensure_shard("g", "val", 0, 0, tiny)
    read_validated(path, expected)


def test_settings_change_the_cache_folder():
    a, b = hls4ml_jets.Hls4mlJetSettings(), hls4ml_jets.Hls4mlJetSettings(shard_size=6)
    assert hls4ml_jets.shard_path("t", "train", 0, 0, a).parent != hls4ml_jets.shard_path("t", "train", 0, 0, b).parent
    from hepcourse.physics.detector import DetectorSettings

    c = hls4ml_jets.Hls4mlJetSettings(detector=DetectorSettings(enabled=False))
    assert hls4ml_jets.shard_path("t", "train", 0, 0, a).parent != hls4ml_jets.shard_path("t", "train", 0, 0, c).parent


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"split": "training"}, "unknown split 'training'"),
        ({"source": "openml"}, "unknown source 'openml'"),
        ({"n": 7}, "n must be a positive multiple of 5"),
        ({"n": 0}, "n must be a positive multiple of 5"),
        ({"n": 10.0}, "n must be a positive multiple of 5"),
        ({"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"n": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        hls4ml_jets.load(args.pop("n"), **args)


def test_unknown_class_is_refused():
    with pytest.raises(ValueError, match="unknown hls4ml jet class 'h'"):
        hls4ml_jets.shard_settings("h", "train", 0, 0, hls4ml_jets.Hls4mlJetSettings())
    from hepcourse.physics.hls4ml_events import Hls4mlEventSource

    with pytest.raises(ValueError, match="unknown hls4ml jet class 'top'"):
        Hls4mlEventSource("top", 1)
