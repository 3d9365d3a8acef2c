"""Shared fixtures of tests/ (the tiers and the notebooks' budgets: ../conftest.py)."""

import pytest


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    """A fresh, empty HEPCOURSE_DATA for tests that must generate or corrupt files."""
    monkeypatch.setenv("HEPCOURSE_DATA", str(tmp_path / "cache"))
    return tmp_path / "cache"
