"""Determinism and fault handling of the generated jet dataset's cache."""

import multiprocessing

import h5py
import numpy as np
import pytest

from hepcourse.data import jets
from hepcourse.data.cache import InvalidCacheFile, read_validated, write_atomic


def _files(path):
    return sorted(p.name for p in path.parent.iterdir())


def test_same_seed_same_bytes_and_seeds_differ(tmp_cache, tiny_settings):
    a = jets.generate_shard("qcd", "train", 7, 0, tiny_settings)
    b = jets.generate_shard("qcd", "train", 7, 0, tiny_settings)
    c = jets.generate_shard("qcd", "train", 8, 0, tiny_settings)
    for key in ("constituents", "hlf", "jet"):
        assert a[key].tobytes() == b[key].tobytes(), f"{key} differs between two runs with the same seed"
    assert not np.array_equal(a["constituents"], c["constituents"]), "different seeds gave the same jets"


def test_load_is_balanced_deterministic_and_splits_disjoint(tmp_cache, tiny_settings):
    X, y = jets.load(24, split="train", settings=tiny_settings, workers=2)
    X2, y2 = jets.load(24, split="train", settings=tiny_settings, workers=1)
    assert X.shape == (24, 200, 4) and X.dtype == np.float32
    assert np.array_equal(y, y2) and X.tobytes() == X2.tobytes(), "worker count changed the data"
    assert y.sum() == 12, "classes are not balanced"
    Xv, _ = jets.load(24, split="val", settings=tiny_settings)
    train_jets = {row.tobytes() for row in X[:, 0]}
    assert not train_jets & {row.tobytes() for row in Xv[:, 0]}, "train and val share jets"


def test_truncated_file_is_regenerated(tmp_cache, tiny_settings):
    path = jets.ensure_shard("qcd", "test", 0, 0, tiny_settings)
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])
    with pytest.warns(UserWarning, match="truncated or corrupted"):
        jets.ensure_shard("qcd", "test", 0, 0, tiny_settings)
    arrays, _ = read_validated(path, jets.shard_settings("qcd", "test", 0, 0, tiny_settings))
    assert arrays["constituents"].shape == (12, 200, 4)


def test_corrupted_bytes_are_detected(tmp_cache, tiny_settings):
    path = jets.ensure_shard("qcd", "test", 0, 0, tiny_settings)
    expected = jets.shard_settings("qcd", "test", 0, 0, tiny_settings)
    with h5py.File(path, "r") as f:
        offset = f["constituents"].id.get_offset()
    data = bytearray(path.read_bytes())
    data[offset + 100 : offset + 108] = b"\x7f" * 8  # flip bytes inside the first jet's momenta
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidCacheFile, match="corrupted"):
        read_validated(path, expected)
    with pytest.warns(UserWarning, match="corrupted"):
        X, _ = jets.load(24, split="test", settings=tiny_settings)
    read_validated(path, expected)  # regenerated and valid again


def test_different_settings_are_detected(tmp_cache, tiny_settings):
    path = jets.ensure_shard("qcd", "val", 0, 0, tiny_settings)
    arrays, _ = read_validated(path, jets.shard_settings("qcd", "val", 0, 0, tiny_settings))
    wrong = {**jets.shard_settings("qcd", "val", 0, 0, tiny_settings), "seed": 12345}
    write_atomic(path, arrays, wrong)
    with pytest.raises(InvalidCacheFile, match="different settings .*seed"):
        read_validated(path, jets.shard_settings("qcd", "val", 0, 0, tiny_settings))
    with pytest.warns(UserWarning, match="different settings"):
        jets.ensure_shard("qcd", "val", 0, 0, tiny_settings)


def _ensure(settings, queue):
    path = jets.ensure_shard("top", "train", 3, 0, settings)
    queue.put(str(path))


def test_two_processes_writing_the_same_shard(tmp_cache, tiny_settings):
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_ensure, args=(tiny_settings, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
        assert p.exitcode == 0
    paths = {queue.get(timeout=5) for _ in procs}
    assert len(paths) == 1
    path = jets.shard_path("top", "train", 3, 0, tiny_settings)
    read_validated(path, jets.shard_settings("top", "train", 3, 0, tiny_settings))
    assert not [n for n in _files(path) if n.endswith(".tmp")], "a temporary file was left behind"


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "x.h5"
    with pytest.raises(TypeError):
        write_atomic(target, {"a": np.zeros(3), "b": object()}, {"k": 1})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"representation": "pixels"}, "unknown representation 'pixels'"),
        ({"split": "training"}, "unknown split 'training'"),
        ({"source": "zenodo"}, "unknown source 'zenodo'"),
        ({"n": 7}, "n must be an even integer"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"n": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        jets.load(args.pop("n"), **args)
