"""Offline tests of the CaloChallenge dataset-2 reader on small files written in the public format.

One file is written by ``write_challenge_format``, another by hand with h5py following the
homepage's description (voxel index = (layer * 16 + alpha) * 9 + r, MeV, float64, gzip), so a
bug shared by writer and reader cannot hide. ``pooch.retrieve`` is monkeypatched: no network.
"""

from pathlib import Path

import h5py
import numpy as np
import pooch
import pytest

from hepcourse.data import calochallenge as cc

pytestmark = pytest.mark.unit


def _showers(n=7, seed=0):
    rng = np.random.default_rng(seed)
    return rng.exponential(0.01, size=(n, 45, 16, 9)).astype(np.float32), rng.uniform(1, 1000, n).astype(np.float32)


def test_round_trip(tmp_path):
    s, e = _showers()
    path = cc.write_challenge_format(tmp_path / "small.hdf5", s, e)
    got, energy = cc.read(path)
    assert got.shape == (7, 45, 16, 9) and got.dtype == np.float32 and energy.dtype == np.float32
    np.testing.assert_allclose(got, s, rtol=1e-6)
    np.testing.assert_allclose(energy, e, rtol=1e-6)
    part, e_part = cc.read(path, 3, start=2)
    np.testing.assert_array_equal(part, got[2:5])
    np.testing.assert_array_equal(e_part, energy[2:5])


def test_hand_made_file_voxel_order_and_units(tmp_path):
    path = tmp_path / "hand.hdf5"
    flat = np.zeros((2, 6480))
    flat[0, (3 * 16 + 5) * 9 + 7] = 1500.0  # MeV in layer 3, angular bin 5, radial bin 7
    flat[1, 6479] = 250.0  # last voxel: layer 44, alpha 15, r 8
    with h5py.File(path, "w") as f:
        f.create_dataset("incident_energies", data=np.array([[50_000.0], [2_000.0]]), compression="gzip")
        f.create_dataset("showers", data=flat, compression="gzip")
    s, e = cc.read(path)
    assert s[0, 3, 5, 7] == pytest.approx(1.5) and s[0].sum() == pytest.approx(1.5)
    assert s[1, 44, 15, 8] == pytest.approx(0.25)
    np.testing.assert_allclose(e, [50.0, 2.0])


def _write(path, **datasets):
    with h5py.File(path, "w") as f:
        for k, v in datasets.items():
            f.create_dataset(k, data=v)
    return path


@pytest.mark.parametrize(
    "datasets, match",
    [
        ({"showers": np.zeros((2, 6480))}, "no dataset 'incident_energies'"),
        ({"incident_energies": np.ones((2, 1))}, "no dataset 'showers'"),
        ({"incident_energies": np.ones((2, 1)), "showers": np.zeros((2, 368))}, "expected \\(n, 6480\\)"),
        ({"incident_energies": np.ones((3, 1)), "showers": np.zeros((2, 6480))}, "incident_energies"),
        ({"incident_energies": np.ones((2, 1)), "showers": np.full((2, 6480), np.nan)}, "NaN"),
        ({"incident_energies": -np.ones((2, 1)), "showers": np.zeros((2, 6480))}, "non-positive"),
    ],
)
def test_malformed_files(tmp_path, datasets, match):
    path = _write(tmp_path / "bad.hdf5", **datasets)
    with pytest.raises(ValueError, match=match):
        cc.read(path)


def test_truncated_and_foreign_files(tmp_path):
    s, e = _showers(40)
    path = cc.write_challenge_format(tmp_path / "full.hdf5", s, e)
    data = path.read_bytes()
    cut = tmp_path / "cut.hdf5"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        cc.read(cut)
    html = tmp_path / "error.hdf5"
    html.write_text("<html>404</html>")
    with pytest.raises(ValueError, match="not an HDF5 file"):
        cc.read(html)
    with pytest.raises(FileNotFoundError):
        cc.read(tmp_path / "missing.hdf5")
    with pytest.raises(ValueError, match="holds only 40"):
        cc.read(path, 41)
    with pytest.raises(ValueError, match="n must be"):
        cc.read(path, -1)


def test_fetch_uses_pooch_with_checksum_into_the_cache(tmp_cache, monkeypatch):
    calls = {}

    def fake_retrieve(url, known_hash, fname, path, progressbar):
        calls.update(url=url, known_hash=known_hash, fname=fname, path=Path(path))
        return str(Path(path) / fname)

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    out = cc.fetch("dataset_2_2")
    assert calls["url"] == "https://zenodo.org/records/6366271/files/dataset_2_2.hdf5?download=1"
    assert calls["known_hash"] == cc.REGISTRY["dataset_2_2"] and calls["known_hash"].startswith("md5:")
    assert calls["path"] == tmp_cache / "calochallenge" and out == tmp_cache / "calochallenge" / "dataset_2_2.hdf5"
    with pytest.raises(ValueError, match="not a checksum"):
        cc.fetch("dataset_2_1", known_hash="abc")
    with pytest.raises(ValueError, match="unknown CaloChallenge file"):
        cc.fetch("dataset_3_1")
    monkeypatch.setitem(cc.REGISTRY, "dataset_2_1", None)
    with pytest.raises(ValueError, match="refusing to download"):
        cc.fetch("dataset_2_1")


def test_load_with_a_path_never_downloads(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("load(path=...) must not download")

    monkeypatch.setattr(pooch, "retrieve", no_network)
    s, e = _showers(3)
    path = cc.write_challenge_format(tmp_path / "x.hdf5", s, e)
    got, _ = cc.load(2, path=path)
    assert got.shape == (2, 45, 16, 9)
    with pytest.raises(ValueError, match="shape"):
        cc.write_challenge_format(tmp_path / "y.hdf5", s[:, :10], e)
