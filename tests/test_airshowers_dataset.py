"""The air-shower dataset behind the cache: load API, shapes, dtypes and units; same seed, same
bytes; worker-count independence; disjoint splits; the mixed composition; argument checks; the
profile sizes and the CLI's card.

Cache faults (truncated, corrupted, other settings, interrupted or concurrent writes) are tested
for the datasets with a fake generator in tests/test_cache_faults.py; here the real simulator
writes and reads a temporary cache.
"""

import numpy as np
import pytest

from hepcourse import cli, config
from hepcourse.data import airshowers, dataset
from hepcourse.physics.airshowers import AirShowerSettings


@pytest.fixture
def tiny():
    """Shards of 6 events: a shard takes milliseconds."""
    return airshowers.AirShowerDatasetSettings(shard_size=6)


@pytest.mark.data
def test_same_seed_gives_same_bytes_and_other_seed_other_events(tiny):
    a = airshowers.generate_shard("Fe", "train", 7, 0, tiny)
    b = airshowers.generate_shard("Fe", "train", 7, 0, tiny)
    c = airshowers.generate_shard("Fe", "train", 8, 0, tiny)
    d = airshowers.generate_shard("Fe", "val", 7, 0, tiny)
    for key in a:
        assert a[key].tobytes() == b[key].tobytes(), f"{key} differs between two runs with the same seed"
    for other in (c, d):
        assert not np.array_equal(a["energy"], other["energy"]) and not np.array_equal(a["signal"], other["signal"])


@pytest.mark.data
def test_load_shapes_dtypes_units_workers_splits_and_prefix(tmp_cache, tmp_path, monkeypatch, tiny):
    ev = airshowers.load(24, split="train", settings=tiny, workers=2)
    assert list(ev) == list(airshowers.KEYS)
    shapes = {"signal": (24, 9, 9), "time": (24, 9, 9), "station_xy": (9, 9, 2), "energy": (24,), "zenith": (24,),
              "azimuth": (24,), "core": (24, 2), "xmax": (24,), "mass": (24,)}
    for key, shape in shapes.items():
        assert ev[key].shape == shape and ev[key].dtype == np.float32, (key, ev[key].shape, ev[key].dtype)
    assert sorted(np.unique(ev["mass"], return_counts=True)[1]) == [6, 6, 6, 6], "not n/4 of each primary"
    assert set(ev["mass"].tolist()) == {1.0, 4.0, 14.0, 56.0}
    assert np.all((ev["energy"] >= 10 ** 0.5 * 0.999) & (ev["energy"] <= 100.001)), "energy not 3.16-100 EeV"
    assert np.all((ev["zenith"] >= 0) & (ev["zenith"] <= np.radians(60) + 1e-6)), "zenith not in rad, 0-60 deg"
    assert np.all((ev["azimuth"] >= 0) & (ev["azimuth"] < 2 * np.pi + 1e-6))
    assert np.all(np.linalg.norm(ev["core"], axis=1) < 1500 / np.sqrt(3) + 1), "core outside the central cell (m)"
    assert np.all((ev["xmax"] > 400) & (ev["xmax"] < 1200)), "Xmax not in g/cm^2"
    assert np.all((ev["signal"] == 0) | (ev["signal"] >= 3)) and np.all(ev["time"][ev["signal"] == 0] == 0)
    assert np.allclose(np.linalg.norm(ev["station_xy"][5, 4] - ev["station_xy"][4, 4]), 1500.0)
    assert not np.array_equal(ev["mass"][:12], np.sort(ev["mass"][:12])), "the primaries are not shuffled"

    small = airshowers.load(12, split="train", settings=tiny)
    assert small["signal"].shape == (12, 9, 9)
    protons = airshowers.load(7, split="train", primary="p", settings=tiny)
    assert np.all(protons["mass"] == 1) and protons["energy"].shape == (7,)
    assert protons["signal"][:6].tobytes() == airshowers.generate_shard("p", "train", 0, 0, tiny)["signal"].tobytes()

    monkeypatch.setenv("HEPCOURSE_DATA", str(tmp_path / "second-cache"))  # simulate again, not read back
    again = airshowers.load(24, split="train", settings=tiny, workers=1)
    for key in airshowers.KEYS:
        assert again[key].tobytes() == ev[key].tobytes(), f"the worker count changed {key}"
    val = airshowers.load(24, split="val", settings=tiny, workers=1)
    assert not set(ev["energy"].tolist()) & set(val["energy"].tolist()), "train and val share events"


@pytest.mark.unit
@pytest.mark.parametrize("kwargs, match", [
    ({"primary": "O"}, "unknown primary 'O'"),
    ({"split": "training"}, "unknown split 'training'"),
    ({"n": 0}, "n must be a positive multiple of 4"),
    ({"n": 10}, "n must be a positive multiple of 4"),
    ({"n": 2.5, "primary": "p"}, "n must be a positive integer"),
    ({"seed": -1}, "seed must be a non-negative integer"),
    ({"seed": 1.5}, "seed must be a non-negative integer"),
])
def test_load_refuses_bad_arguments_naming_them(kwargs, match):
    args = {"n": 8, **kwargs}
    with pytest.raises(ValueError, match=match):
        airshowers.load(args.pop("n"), **args)


@pytest.mark.unit
def test_settings_refuse_wrong_types_and_sizes():
    with pytest.raises(TypeError, match="settings must be an AirShowerDatasetSettings"):
        airshowers.load(8, settings=AirShowerSettings())
    with pytest.raises(TypeError, match="simulation must be an AirShowerSettings"):
        airshowers.AirShowerDatasetSettings(simulation={"spacing_m": 1500})
    with pytest.raises(ValueError, match="shard_size must be a positive integer"):
        airshowers.AirShowerDatasetSettings(shard_size=0)


@pytest.mark.unit
def test_profile_tasks_cover_the_profile_sizes_and_the_cli_prints_the_card(tmp_cache, capsys):
    assert dataset("airshowers") is airshowers.DATASET
    quick, full = airshowers.sizes("quick"), airshowers.sizes("full")
    assert set(quick) == {"train", "val", "test"} and all(full[k] >= 10 * quick[k] for k in quick)
    assert all(v % 4 == 0 for v in (*quick.values(), *full.values())), "sizes must split evenly into 4 primaries"
    tasks = airshowers.DATASET.profile_tasks(config.profile("quick"))
    for split, n in quick.items():
        for primary in airshowers.PRIMARIES:
            shards = [t for t in tasks if t[1] == split and t[0] == primary]
            assert sum(t[4].shard_size for t in shards) >= n // 4
            assert sum(t[4].shard_size for t in shards[:-1]) < n // 4, f"the {split} split has a superfluous shard"
    assert len({airshowers.DATASET.task_label(t) for t in tasks}) == len(tasks), "two tasks share a cache file"
    assert airshowers.DATASET.task_status(tasks[0]) == "missing"
    assert cli.main(["data", "info", "airshowers"]) == 0
    out = capsys.readouterr().out
    for words in ("## Sizes per profile", "arXiv:1708.00647", "VEM", "g/cm^2", "axial"):
        assert words in out
