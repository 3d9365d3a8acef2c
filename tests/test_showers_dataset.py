"""The real shower simulator behind the shower dataset's cache: same seed, same bytes; units and
shapes; worker-count independence; disjoint splits; log-uniform energies; argument checks; the
profile sizes and the CLI's card.

Cache faults (truncated, corrupted, other settings, interrupted or concurrent writes) are tested
once for every dataset, with a fake generator, in tests/test_cache_faults.py.
"""

import numpy as np
import pytest

from hepcourse import cli, config
from hepcourse.data import dataset, showers



@pytest.fixture
def tiny():
    """4-shower shards at 1-3 GeV: a shard takes well under a second."""
    return showers.ShowerDatasetSettings(energy_range=(1.0, 3.0), shard_size=4)


@pytest.mark.data
def test_real_simulator_same_seed_gives_same_bytes_and_other_seed_other_showers(tiny):
    a = showers.generate_shard("e-", "train", 7, 0, tiny)
    b = showers.generate_shard("e-", "train", 7, 0, tiny)
    c = showers.generate_shard("e-", "train", 8, 0, tiny)
    for key in ("showers", "energy"):
        assert a[key].tobytes() == b[key].tobytes(), f"{key} differs between two runs with the same seed"
    assert not np.array_equal(a["energy"], c["energy"]), "different seeds gave the same energies"
    assert not np.array_equal(a["showers"], c["showers"]), "different seeds gave the same showers"


@pytest.mark.data
def test_load_units_independent_of_workers_disjoint_splits_and_prefix_property(tmp_cache, tmp_path, monkeypatch):
    energy_range = (1.0, 3.0)
    settings = showers.ShowerDatasetSettings(shard_size=4)
    X, E = showers.load(10, split="train", energy_range=energy_range, settings=settings, workers=2)
    Xs, _ = showers.load(6, split="train", energy_range=energy_range, settings=settings)
    assert Xs.tobytes() == X[:6].tobytes(), "a smaller load must be a prefix of a larger one"
    monkeypatch.setenv("HEPCOURSE_DATA", str(tmp_path / "second-cache"))  # simulate again, not read back
    X1, E1 = showers.load(10, split="train", energy_range=energy_range, settings=settings, workers=1)
    g = settings.geometry
    assert X.shape == (10, g.n_layers, g.n_cells, g.n_cells) and X.dtype == np.float32
    assert E.shape == (10,) and E.dtype == np.float32
    assert X.tobytes() == X1.tobytes() and E.tobytes() == E1.tobytes(), "the worker count changed the data"
    assert np.all((E >= 1.0) & (E <= 3.0)), "incident energies outside energy_range"
    ratio = X.sum(axis=(1, 2, 3)) / E
    assert np.all((ratio > 0.01) & (ratio < 0.04)), f"visible/incident energy {ratio} is not ~2 % (GeV units?)"
    Xv, Ev = showers.load(10, split="val", energy_range=energy_range, settings=settings, workers=1)
    assert not set(E.tolist()) & set(Ev.tolist()), "train and val share showers"


@pytest.mark.unit
def test_incident_energies_are_log_uniform():
    wide = showers.ShowerDatasetSettings(energy_range=(1.0, 100.0), shard_size=4000)
    e = showers.shard_energies("e-", "train", 0, 0, wide)
    counts, _ = np.histogram(np.log10(e), bins=4, range=(0, 2))
    assert counts.min() > 0.9 * counts.mean(), f"energies are not log-uniform: {counts} per quarter decade"


@pytest.mark.unit
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
def test_load_refuses_bad_arguments_naming_them(kwargs, match):
    args = {"n": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        showers.load(args.pop("n"), **args)


@pytest.mark.unit
def test_profile_tasks_cover_the_profile_sizes_and_the_cli_prints_the_card(tmp_cache, capsys):
    assert dataset("showers") is showers.DATASET
    quick, full = showers.sizes("quick"), showers.sizes("full")
    assert set(quick) == {"train", "val", "test"} and all(full[k] > quick[k] for k in quick)
    assert showers.sizes(config.profile("quick")) == quick
    with pytest.raises(ValueError, match="unknown profile"):
        showers.sizes("huge")
    tasks = showers.DATASET.profile_tasks(config.profile("quick"))
    for split, n in quick.items():
        shards = [t for t in tasks if t[1] == split]
        assert sum(t[4].shard_size for t in shards) >= n, f"the {split} shards hold fewer than {n} showers"
        assert sum(t[4].shard_size for t in shards[:-1]) < n, f"the {split} split has a superfluous shard"
    assert len({showers.DATASET.task_label(t) for t in tasks}) == len(tasks), "two tasks share a cache file"
    assert showers.DATASET.task_status(tasks[0]) == "missing"
    assert cli.main(["data", "info", "showers"]) == 0
    out = capsys.readouterr().out
    assert "## Sizes per profile" in out and "moliere_radius_mm" in out
