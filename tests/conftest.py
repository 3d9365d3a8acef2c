"""Shared fixtures: an isolated data cache and small dataset settings for fast generation."""

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    """A fresh, empty HEPCOURSE_DATA for tests that must generate or corrupt files."""
    monkeypatch.setenv("HEPCOURSE_DATA", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def tiny_settings():
    """Dataset settings with 12-jet shards: a shard takes a few seconds to generate."""
    from hepcourse.data.jets import JetDatasetSettings

    return JetDatasetSettings(shard_size=12)
