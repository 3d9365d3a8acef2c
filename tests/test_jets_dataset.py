"""The real jet generator (Pythia 8 + detector + FastJet) behind the jet dataset's cache: same seed,
same bytes; balanced classes; disjoint splits; worker-count independence; argument checks.

Cache faults (truncated, corrupted, other settings, interrupted or concurrent writes) are tested
once for every dataset, with a fake generator, in tests/test_cache_faults.py.
"""

import numpy as np
import pytest

from hepcourse.data import jets



@pytest.mark.data
@pytest.mark.slow
def test_real_generator_same_seed_gives_same_bytes_and_other_seed_other_jets(tmp_cache):
    tiny = jets.JetDatasetSettings(shard_size=4)
    a = jets.generate_shard("qcd", "train", 7, 0, tiny)
    b = jets.generate_shard("qcd", "train", 7, 0, tiny)
    c = jets.generate_shard("qcd", "train", 8, 0, tiny)
    assert a["constituents"].shape == (4, 200, 4) and a["constituents"].dtype == np.float32
    for key in ("constituents", "hlf", "jet", "n_generated"):
        assert a[key].tobytes() == b[key].tobytes(), f"{key} differs between two runs with the same seed"
    assert not np.array_equal(a["constituents"], c["constituents"]), "different seeds gave the same jets"


@pytest.mark.data
@pytest.mark.slow
def test_load_is_balanced_independent_of_workers_and_splits_are_disjoint(tmp_cache, tmp_path, monkeypatch):
    tiny = jets.JetDatasetSettings(shard_size=4)
    X, y = jets.load(8, split="train", settings=tiny, workers=2)
    monkeypatch.setenv("HEPCOURSE_DATA", str(tmp_path / "second-cache"))  # generate again, not read back
    X1, y1 = jets.load(8, split="train", settings=tiny, workers=1)
    assert X.shape == (8, 200, 4) and X.dtype == np.float32
    assert np.array_equal(y, y1) and X.tobytes() == X1.tobytes(), "the worker count changed the data"
    assert y.sum() == 4, "classes are not balanced"
    Xv, _ = jets.load(8, split="val", settings=tiny, workers=1)
    train_jets = {row.tobytes() for row in X[:, 0]}
    assert not train_jets & {row.tobytes() for row in Xv[:, 0]}, "train and val share jets"


@pytest.mark.unit
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"representation": "pixels"}, "unknown representation 'pixels'"),
        ({"split": "training"}, "unknown split 'training'"),
        ({"source": "zenodo"}, "unknown source 'zenodo'"),
        ({"n": 7}, "n must be an even integer"),
    ],
)
def test_load_refuses_bad_arguments_naming_them(kwargs, match):
    args = {"n": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        jets.load(args.pop("n"), **args)
