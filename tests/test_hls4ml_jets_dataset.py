"""The real five-class jet generator (Pythia 8 + detector + FastJet) behind the hls4ml jet dataset's
cache: same seed, same bytes; balanced, shuffled classes; worker-count independence; disjoint
splits; profile tasks; argument checks.

Cache faults (truncated, corrupted, other settings, interrupted or concurrent writes) are tested
once for every dataset, with a fake generator, in tests/test_cache_faults.py.
"""

import numpy as np
import pytest

from hepcourse import config
from hepcourse.data import dataset, hls4ml_jets



@pytest.mark.unit
def test_registry_name_resolves_to_the_module():
    assert dataset("hls4ml_jets") is hls4ml_jets.DATASET
    with pytest.raises(ValueError, match="unknown dataset 'hls4ml'"):
        dataset("hls4ml")


@pytest.mark.unit
def test_profile_tasks_cover_the_profile_sizes_with_one_cache_file_each():
    for name in config.PROFILES:
        sizes = hls4ml_jets.sizes(name)
        assert set(sizes) == {"train", "val", "test"}
        assert all(n > 0 and n % len(hls4ml_jets.CLASSES) == 0 for n in sizes.values()), sizes
        tasks = hls4ml_jets.DATASET.profile_tasks(config.profile(name))
        for split, n in sizes.items():
            for kind in hls4ml_jets.CLASSES:
                shards = [t for t in tasks if t[0] == kind and t[1] == split]
                need = n // len(hls4ml_jets.CLASSES)
                assert sum(t[4].shard_size for t in shards) >= need, f"{name} {split} {kind}: too few jets"
                assert sum(t[4].shard_size for t in shards[:-1]) < need, f"{name} {split} {kind}: superfluous shard"
        assert len({hls4ml_jets.DATASET.task_label(t) for t in tasks}) == len(tasks), "two tasks share a cache file"
    assert hls4ml_jets.sizes(config.profile("quick")) == hls4ml_jets.sizes("quick")


@pytest.mark.data
def test_real_generator_same_seed_gives_same_bytes_and_other_seed_other_jets(tmp_cache):
    tiny = hls4ml_jets.Hls4mlJetSettings(shard_size=3)
    a = hls4ml_jets.generate_shard("w", "train", 7, 0, tiny)
    b = hls4ml_jets.generate_shard("w", "train", 7, 0, tiny)
    c = hls4ml_jets.generate_shard("w", "train", 8, 0, tiny)
    assert a["features"].shape == (3, len(hls4ml_jets.FEATURE_NAMES)) and a["features"].dtype == np.float32
    for key in ("features", "jet", "n_generated"):
        assert a[key].tobytes() == b[key].tobytes(), f"{key} differs between two runs with the same seed"
    assert not np.array_equal(a["features"], c["features"]), "different seeds gave the same jets"


@pytest.mark.data
@pytest.mark.slow
def test_load_is_balanced_shuffled_independent_of_workers_and_splits_disjoint(tmp_cache, tmp_path, monkeypatch):
    tiny = hls4ml_jets.Hls4mlJetSettings(shard_size=2)
    X, y = hls4ml_jets.load(10, split="train", settings=tiny, workers=2)
    X5, y5 = hls4ml_jets.load(5, split="train", settings=tiny)
    assert np.bincount(y5, minlength=5).tolist() == [1] * 5
    assert {row.tobytes() for row in X5} <= {row.tobytes() for row in X}, "a smaller load is not a subset"
    monkeypatch.setenv("HEPCOURSE_DATA", str(tmp_path / "second-cache"))  # generate again, not read back
    X1, y1 = hls4ml_jets.load(10, split="train", settings=tiny, workers=1)
    assert X.shape == (10, len(hls4ml_jets.FEATURE_NAMES)) and X.dtype == np.float32 and y.dtype == np.int64
    assert X.tobytes() == X1.tobytes() and np.array_equal(y, y1), "the worker count changed the data"
    assert np.bincount(y, minlength=5).tolist() == [2] * 5, "classes are not balanced"
    assert np.isfinite(X).all()
    assert not np.array_equal(y, np.sort(y)), "jets are not shuffled"
    Xv, _ = hls4ml_jets.load(10, split="val", settings=tiny, workers=1)
    assert not {row.tobytes() for row in X} & {row.tobytes() for row in Xv}, "train and val share jets"


@pytest.mark.unit
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
def test_load_refuses_bad_arguments_naming_them(kwargs, match):
    args = {"n": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        hls4ml_jets.load(args.pop("n"), **args)


@pytest.mark.unit
def test_unknown_jet_class_is_refused():
    with pytest.raises(ValueError, match="unknown hls4ml jet class 'h'"):
        hls4ml_jets.DATASET.shard_settings("h", "train", 0, 0, hls4ml_jets.Hls4mlJetSettings())
    from hepcourse.physics.jets.hls4ml_events import Hls4mlEventSource

    with pytest.raises(ValueError, match="unknown hls4ml jet class 'top'"):
        Hls4mlEventSource("top", 1)
