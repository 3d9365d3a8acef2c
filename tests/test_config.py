"""Profiles and the data directory come from one place."""

import pytest

from hepcourse import config

pytestmark = pytest.mark.unit


def test_default_profile_is_quick(monkeypatch):
    monkeypatch.delenv("HEPCOURSE_PROFILE", raising=False)
    assert config.profile().name == "quick"


def test_profile_from_environment(monkeypatch):
    monkeypatch.setenv("HEPCOURSE_PROFILE", "full")
    assert config.profile().n_train > config.profile("quick").n_train


def test_unknown_profile_names_the_choices(monkeypatch):
    monkeypatch.setenv("HEPCOURSE_PROFILE", "fast")
    with pytest.raises(ValueError, match=r"unknown profile 'fast'.*\['full', 'quick'\]"):
        config.profile()


def test_data_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HEPCOURSE_DATA", str(tmp_path / "x"))
    assert config.data_dir() == tmp_path / "x" and (tmp_path / "x").is_dir()
