"""The one data layer: the ShardedDataset base, the download registry, the cards in data/, the profile table."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from hepcourse import config
from hepcourse.data import REGISTRY, airshowers, cache, dataset, hls4ml_jets, jets, registry, showers
from hepcourse.data.sharded import Shard, ShardedDataset, check_count

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
MODULES = {"jets": jets, "showers": showers, "hls4ml_jets": hls4ml_jets, "airshowers": airshowers}


# ---- the base ------------------------------------------------------------------------------------

def test_every_generated_dataset_is_one_sharded_dataset():
    for name in REGISTRY:
        generated = dataset(name)
        assert isinstance(generated, ShardedDataset) and generated is MODULES[name].DATASET
        assert generated.name == name == MODULES[name].NAME
        assert generated.sizes("quick") == config.dataset_sizes(name, "quick")
        assert generated.title() == MODULES[name].__doc__.strip().splitlines()[0]


# The settings that name each cache folder: a change here invalidates every student's cache, so it
# must be deliberate (update the hash and say so in the change). Versions are those of the lock file.
PINNED_HASHES = {"jets": "ecca82e6d9c5", "showers": "91d7ceff24b4", "hls4ml_jets": "a24a8115a005",
                 "airshowers": "4b43787312cd"}


@pytest.mark.parametrize("name", sorted(PINNED_HASHES))
def test_settings_hash_of_the_quick_profile_is_pinned(name):
    module = MODULES[name]
    tasks = module.DATASET.profile_tasks(config.profile("quick"))
    folders = {module.DATASET.task_path(t).parent.parent.name for t in tasks}
    assert folders == {PINNED_HASHES[name]}, f"{name}: the default settings (and so the cache folder) changed"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_planning_covers_the_sizes_with_no_superfluous_shard(name):
    module = MODULES[name]
    kinds = module.DATASET.kinds
    for profile in config.PROFILES:
        for split, n in module.sizes(profile).items():
            tasks = module.DATASET.shard_tasks(n, split)
            assert all(isinstance(t, Shard) for t in tasks)
            for kind in kinds:
                mine = [t for t in tasks if t.kind == kind]
                size = module.DATASET.default_settings.shard_size
                assert len(mine) * size >= n // len(kinds) > (len(mine) - 1) * size, (name, split, kind)
    labels = [module.DATASET.task_label(t) for t in module.DATASET.profile_tasks("quick")]
    assert len(set(labels)) == len(labels)


@pytest.mark.parametrize("bad", [True, False, 2.0, 10.0, "10", None, -2, 0])
@pytest.mark.parametrize("name", sorted(MODULES))
def test_load_refuses_a_count_that_is_not_a_positive_int(name, bad):
    with pytest.raises(ValueError, match="n must be"):
        MODULES[name].load(bad)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_load_refuses_bad_seed_and_split_naming_the_choices(name):
    n = {"jets": 10, "showers": 10, "hls4ml_jets": 10, "airshowers": 8}[name]
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        MODULES[name].load(n, seed=True)
    with pytest.raises(ValueError, match=r"unknown split 'training'; choose one of \('train', 'val', 'test'\)"):
        MODULES[name].load(n, split="training")


def test_check_count_accepts_numpy_integers():
    assert check_count(np.int64(10), multiple=5) == 10


def test_a_verified_file_is_hashed_once_per_process(tmp_path, monkeypatch):
    path = tmp_path / "shard.h5"
    settings = {"seed": 1}
    cache.write_atomic(path, {"x": np.arange(10)}, settings)
    hashed = []
    real = cache.arrays_checksum
    monkeypatch.setattr(cache, "arrays_checksum", lambda arrays: hashed.append(1) or real(arrays))
    cache.forget_verified()
    assert cache.status(path, settings) == "ok" and len(hashed) == 1
    assert cache.status(path, settings) == "ok" and len(hashed) == 2, "a fresh file must not be remembered"
    monkeypatch.setattr(cache, "SETTLED_S", 0.0)  # as if the file were old
    cache.forget_verified()
    assert cache.status(path, settings) == "ok" and len(hashed) == 3
    assert cache.is_verified(path, settings)
    assert cache.status(path, settings) == "ok" and len(hashed) == 3, "a verified file was hashed again"
    arrays, _ = cache.read_shard(path, settings)
    assert len(hashed) == 3 and np.array_equal(arrays["x"], np.arange(10))
    assert cache.status(path, {"seed": 2}) != "ok", "other settings must not reuse the verification"
    cache.write_atomic(path, {"x": np.arange(11)}, settings)  # a rewrite changes the key
    assert not cache.is_verified(path, settings)
    cache.forget_verified()


def test_load_of_a_verified_cache_hashes_each_shard_once(tmp_cache, monkeypatch):
    settings = showers.ShowerDatasetSettings(energy_range=(1.0, 3.0), shard_size=3)
    fake = {"showers": np.zeros((3, 22, 11, 11), np.float32), "energy": np.ones(3, np.float32)}
    monkeypatch.setattr(showers, "generate_shard", lambda *a, **k: fake)
    showers.load(6, energy_range=(1.0, 3.0), settings=settings, workers=1)
    hashed = []
    real = cache.arrays_checksum
    monkeypatch.setattr(cache, "arrays_checksum", lambda arrays: hashed.append(1) or real(arrays))
    monkeypatch.setattr(cache, "SETTLED_S", 0.0)
    cache.forget_verified()
    showers.load(6, energy_range=(1.0, 3.0), settings=settings, workers=1)
    assert len(hashed) == 2, f"two shards, {len(hashed)} checksums: each shard must be hashed once"
    showers.load(6, energy_range=(1.0, 3.0), settings=settings, workers=1)
    assert len(hashed) == 2, "a second load hashed verified shards again"
    cache.forget_verified()


# ---- the download registry -----------------------------------------------------------------------

def test_registry_md_is_written_from_the_registry():
    assert (DATA / "registry.md").read_text(encoding="utf-8") == registry.markdown(), \
        "data/registry.md is stale: python -m hepcourse.data.registry > data/registry.md"


def test_readers_take_their_files_from_the_one_registry():
    from hepcourse.data import calochallenge, public_hls4ml, public_toptagging

    for split, url in public_toptagging.URLS.items():
        entry = registry.DOWNLOADS[f"top_tagging/{split}"]
        assert (url, public_toptagging.REGISTRY[split], public_toptagging.SIZES[split]) == \
            (entry.url, entry.known_hash, entry.size)
    for name, url in calochallenge.URLS.items():
        entry = registry.DOWNLOADS[f"calochallenge/{name}"]
        assert (url, calochallenge.REGISTRY[name], calochallenge.SIZES[name]) == (entry.url, entry.known_hash, entry.size)
    assert public_hls4ml.FILENAME == registry.DOWNLOADS["hls4ml/hls4ml_lhc_jets_hlf"].fname
    for entry in registry.DOWNLOADS.values():
        assert entry.citation and entry.doi and entry.licence and entry.reader
        assert entry.known_hash is None or registry.HASH_RE.match(entry.known_hash)


def test_registry_fetch_refuses_unknown_keys_and_missing_hashes(monkeypatch):
    import pooch

    monkeypatch.setattr(pooch, "retrieve", lambda **kw: pytest.fail("must not download"))
    with pytest.raises(ValueError, match="unknown download 'nope'"):
        registry.fetch("nope")
    with pytest.raises(ValueError, match="refusing to download"):
        registry.fetch("hls4ml/hls4ml_lhc_jets_hlf", url="https://example.org/x")


# ---- the cards -----------------------------------------------------------------------------------

def _card_sizes(text: str) -> dict[str, dict[str, int]]:
    section = text.split("## Sizes per profile", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\|\s*(\w+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|$", section, re.MULTILINE)
    return {p: {"train": int(a), "val": int(b), "test": int(c)} for p, a, b, c in rows}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_each_dataset_has_a_card_in_data_with_the_table_sizes(name):
    path = DATA / f"{name}.md"
    text = path.read_text(encoding="utf-8")
    assert dataset(name).card() == text
    for heading in ("## Mirrors", "## Fields", "## Sizes per profile", "## Citation"):
        assert heading in text, f"{path} has no {heading!r} section"
    assert _card_sizes(text) == {p: config.dataset_sizes(name, p) for p in config.PROFILES}, \
        f"the sizes on {path} differ from hepcourse.config.TABLE"


def test_data_readme_says_where_the_cache_lives():
    text = (DATA / "README.md").read_text(encoding="utf-8")
    assert "HEPCOURSE_DATA" in text and "~/.cache/hepcourse" in text
    for command in ("prepare", "list", "verify", "merge", "clear", "info"):
        assert f"hepcourse data {command}" in text
    gitignore = (ROOT / ".gitignore").read_text()
    assert "*.h5" in gitignore and "*.hdf5" in gitignore


# ---- the profile table ---------------------------------------------------------------------------

def _notebooks_reading_the_table():
    found = {}
    for path in sorted([*ROOT.glob("lectures/*.ipynb"), *ROOT.glob("solutions/*/*.ipynb")]):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        found[path] = source
    return found


def test_the_table_has_the_same_entries_in_every_profile():
    keys = {p: set(TABLE["notebooks"]) for p, TABLE in config.TABLE.items()}
    assert keys["quick"] == keys["full"]
    for key in keys["quick"]:
        assert set(config.settings(key, "quick")) == set(config.settings(key, "full")), key
    assert set(config.TABLE["quick"]["datasets"]) == set(config.TABLE["full"]["datasets"]) == set(REGISTRY)


def test_every_lecture_and_exercise_has_an_entry_and_no_cell_decides_quick_itself():
    for path, source in _notebooks_reading_the_table().items():
        key = config.notebook_key(path)
        for profile in config.PROFILES:
            config.settings(path, profile)  # raises naming the notebook if it has no entry
        for name in re.findall(r'config\.settings\("([^"]+)"\)', source):
            assert name == key, f"{path} reads the entry of {name}"
        if path.parts[-2] == "lectures":
            assert not re.search(r'QUICK|== "quick"|if quick', source), f"{path} decides the profile in a cell"


def test_settings_are_read_only_and_name_what_is_missing():
    s = config.settings("lectures/07_fpga", "quick")
    assert s.widths == (6, 8, 16) and s["epochs"] == 20
    with pytest.raises(AttributeError):
        s.epochs = 3
    with pytest.raises(AttributeError, match="has no setting 'nope'"):
        s.nope
    with pytest.raises(ValueError, match="no entry for notebook"):
        config.settings("lectures/99_nothing")
    assert config.settings(ROOT / "solutions/01_classification/01_classification.ipynb").epochs == 3


def test_lecture_budgets_come_from_the_table():
    for path in ROOT.glob("lectures/*.ipynb"):
        assert config.notebook_time_budget(path, "quick") == config.settings(path, "quick").time_budget_s
        assert "time_budget_s" not in json.loads(path.read_text())["metadata"].get("hepcourse", {}), path
