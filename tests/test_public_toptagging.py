"""Offline tests of the public top-tagging reader (hepcourse.data.public_toptagging).

Small files are written in the public format twice over: by ``write_public_format`` and,
independently, by building the DataFrame by hand with pandas here, so that a bug shared by
writer and reader cannot hide. The network is never touched: ``pooch.retrieve`` is
monkeypatched.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pooch
import pytest

from hepcourse.data import public_toptagging as ptt

pytestmark = pytest.mark.unit

N_CONST = 200


def _jets(n: int, k: int = 30, seed: int = 0):
    """n random jets with k real constituents (E >= |p|), pT-ordered, labels alternating."""
    rng = np.random.default_rng(seed)
    p = rng.normal(scale=20.0, size=(n, k, 3)).astype(np.float32)
    e = np.linalg.norm(p, axis=2) + rng.uniform(0.1, 1.0, size=(n, k)).astype(np.float32)
    x = np.concatenate([e[..., None], p], axis=2).astype(np.float32)
    pt = np.hypot(x[..., 1], x[..., 2])
    order = np.argsort(-pt, axis=1)
    x = np.take_along_axis(x, order[..., None], axis=1)
    y = (np.arange(n) % 2).astype(np.int8)
    return x, y


def _hand_made_frame(n: int = 4) -> pd.DataFrame:
    """The public layout built column by column, without the module's constants."""
    cols = {}
    for i in range(N_CONST):
        for q in ("E", "PX", "PY", "PZ"):
            cols[f"{q}_{i}"] = np.zeros(n, dtype=np.float32)
    for q in ("truthE", "truthPX", "truthPY", "truthPZ"):
        cols[q] = np.zeros(n, dtype=np.float32)
    cols["ttv"] = np.zeros(n, dtype=np.int64)
    cols["is_signal_new"] = np.array([1, 0, 1, 0][:n], dtype=np.int64)
    df = pd.DataFrame(cols)
    # row 0: two constituents with distinct E, px, py, pz
    df.loc[0, ["E_0", "PX_0", "PY_0", "PZ_0"]] = [100.0, 60.0, -70.0, 30.0]
    df.loc[0, ["E_1", "PX_1", "PY_1", "PZ_1"]] = [50.0, -20.0, 40.0, -10.0]
    df.loc[0, ["truthE", "truthPX", "truthPY", "truthPZ"]] = [700.0, 600.0, 0.0, 100.0]
    # row 1: one constituent
    df.loc[1, ["E_0", "PX_0", "PY_0", "PZ_0"]] = [11.0, 3.0, 4.0, 5.0]
    # last constituent slot of row 2, to catch an off-by-one in the reshape
    df.loc[2, ["E_199", "PX_199", "PY_199", "PZ_199"]] = [9.0, 1.0, 2.0, 3.0]
    return df


@pytest.fixture(scope="module")
def small_file(tmp_path_factory):
    x, y = _jets(37)
    path = ptt.write_public_format(tmp_path_factory.mktemp("ptt") / "small.h5", x, y)
    return path, x, y


@pytest.fixture(scope="module")
def hand_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("ptt_hand") / "hand.h5"
    _hand_made_frame().to_hdf(path, key="table", mode="w", format="table")
    return path


# ---------------------------------------------------------------- round trip and format
def test_round_trip_equals_input(small_file):
    path, x, y = small_file
    cons, labels = ptt.read(path)
    assert cons.dtype == np.float32 and cons.shape == (37, N_CONST, 4)
    assert labels.dtype == np.int8 and labels.shape == (37,)
    np.testing.assert_array_equal(cons[:, : x.shape[1]], x)
    assert not cons[:, x.shape[1] :].any()  # zero padding
    np.testing.assert_array_equal(labels, y)


def test_writer_matches_public_layout(small_file):
    path, x, y = small_file
    df = pd.read_hdf(path, key="table")
    expected = [f"{q}_{i}" for i in range(N_CONST) for q in ("E", "PX", "PY", "PZ")]
    expected += ["truthE", "truthPX", "truthPY", "truthPZ", "ttv", "is_signal_new"]
    assert list(df.columns) == expected
    assert all(df[c].dtype == np.float32 for c in expected[:804])
    assert df["ttv"].dtype == np.int64 and df["is_signal_new"].dtype == np.int64
    with pd.HDFStore(path, "r") as store:
        assert store.get_storer("table").is_table  # pandas table format, as the public files
    import h5py

    with h5py.File(path, "r") as f:  # the layout public h5py/Julia readers rely on
        tab = f["table/table"]
        assert tab.dtype["values_block_0"].shape == (804,)
        assert tab.dtype["values_block_0"].base == np.float32
        assert tab.dtype["values_block_1"].shape == (2,)
        np.testing.assert_array_equal(tab["values_block_1"][:, 1], y)
        np.testing.assert_array_equal(tab["values_block_0"][:, :8], x[:, :2].reshape(-1, 8))
    # truth: zero for QCD, summed constituents for top
    truth = df[["truthE", "truthPX", "truthPY", "truthPZ"]].to_numpy()
    assert not truth[y == 0].any()
    np.testing.assert_allclose(truth[y == 1], x[y == 1].sum(axis=1), rtol=1e-5)


def test_column_order_on_hand_made_row(hand_file):
    cons, y = ptt.read(hand_file)
    assert cons.shape == (4, N_CONST, 4)
    np.testing.assert_array_equal(cons[0, 0], [100.0, 60.0, -70.0, 30.0])  # E, px, py, pz
    np.testing.assert_array_equal(cons[0, 1], [50.0, -20.0, 40.0, -10.0])
    np.testing.assert_array_equal(cons[1, 0], [11.0, 3.0, 4.0, 5.0])
    np.testing.assert_array_equal(cons[2, 199], [9.0, 1.0, 2.0, 3.0])
    assert not cons[0, 2:].any() and not cons[3].any()
    np.testing.assert_array_equal(y, [1, 0, 1, 0])
    assert y.dtype == np.int8


def test_fixed_format_and_shuffled_columns_read_by_name(tmp_path):
    df = _hand_made_frame()
    cols = list(df.columns)
    df = df[cols[::-1]]  # columns selected by name, not position
    df.to_hdf(tmp_path / "fixed.h5", key="table", mode="w")  # pandas default: fixed format
    cons, y = ptt.read(tmp_path / "fixed.h5")
    np.testing.assert_array_equal(cons[0, 0], [100.0, 60.0, -70.0, 30.0])
    np.testing.assert_array_equal(y, [1, 0, 1, 0])


def test_start_and_n_slicing(small_file):
    path, x, y = small_file
    cons, labels = ptt.read(path, 5, start=10)
    np.testing.assert_array_equal(cons[:, : x.shape[1]], x[10:15])
    np.testing.assert_array_equal(labels, y[10:15])
    cons, labels = ptt.read(path, start=30)
    assert cons.shape[0] == 7
    np.testing.assert_array_equal(labels, y[30:])
    cons, labels = ptt.read(path, 0)
    assert cons.shape == (0, N_CONST, 4) and labels.shape == (0,)
    cons, labels = ptt.read(path, 37)
    assert cons.shape[0] == 37


def test_chunked_read_matches_single_read(small_file, monkeypatch):
    path, x, y = small_file
    monkeypatch.setattr(ptt, "CHUNK_ROWS", 8)
    cons, labels = ptt.read(path, 30, start=3)
    np.testing.assert_array_equal(cons[:, : x.shape[1]], x[3:33])
    np.testing.assert_array_equal(labels, y[3:33])


def test_load_with_path_does_not_fetch(small_file, monkeypatch):
    path, x, y = small_file

    def boom(*a, **k):
        raise AssertionError("load(path=...) must not download")

    monkeypatch.setattr(pooch, "retrieve", boom)
    cons, labels = ptt.load(6, path=path, split="val")
    np.testing.assert_array_equal(labels, y[:6])


# ---------------------------------------------------------------- bad inputs
def test_missing_file(tmp_path):
    missing = tmp_path / "nope.h5"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        ptt.read(missing)


def test_garbage_bytes(tmp_path):
    bad = tmp_path / "garbage.h5"
    bad.write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(ValueError, match=r"garbage\.h5.*not an HDF5 file"):
        ptt.read(bad)


def test_html_error_page(tmp_path):
    bad = tmp_path / "page.h5"
    bad.write_text("<html><body>429 Too Many Requests</body></html>")
    with pytest.raises(ValueError, match="not an HDF5 file"):
        ptt.read(bad)


def test_truncated_file(small_file, tmp_path):
    path, _, _ = small_file
    data = path.read_bytes()
    cut = tmp_path / "truncated.h5"
    cut.write_bytes(data[: len(data) // 2])
    msg = r"truncated\.h5.*truncated or corrupt.*truncated file: eof"
    with pytest.raises(ValueError, match=msg):
        ptt.read(cut)


def test_wrong_key(tmp_path):
    path = tmp_path / "wrongkey.h5"
    _hand_made_frame().to_hdf(path, key="jets", mode="w", format="table")
    with pytest.raises(ValueError, match=r"wrongkey\.h5 has no key 'table'.*jets"):
        ptt.read(path)


def test_hdf5_but_not_pandas(tmp_path):
    import h5py

    path = tmp_path / "plain.h5"
    with h5py.File(path, "w") as f:
        f["table"] = np.zeros((3, 806), dtype=np.float32)
    with pytest.raises(ValueError, match=r"plain\.h5"):
        ptt.read(path)


@pytest.mark.parametrize("dropped", ["PY_17", "is_signal_new", "E_0"])
def test_missing_column(tmp_path, dropped):
    path = tmp_path / "dropped.h5"
    _hand_made_frame().drop(columns=[dropped]).to_hdf(path, key="table", mode="w", format="table")
    with pytest.raises(ValueError, match=rf"dropped\.h5 lacks 1 .*first missing: {dropped}"):
        ptt.read(path)


def test_many_missing_columns_listed_first(tmp_path):
    path = tmp_path / "half.h5"
    df = _hand_made_frame()
    df.drop(columns=[c for c in df.columns if c.startswith("PZ_")]).to_hdf(
        path, key="table", mode="w", format="table"
    )
    with pytest.raises(ValueError, match=r"lacks 200 .*first missing: PZ_0, PZ_1, PZ_2"):
        ptt.read(path)


def test_n_larger_than_file(small_file):
    path, _, _ = small_file
    msg = rf"requested n=38 jets but {re.escape(str(path))} holds only 37 rows"
    with pytest.raises(ValueError, match=msg):
        ptt.read(path, 38)
    msg = r"requested n=10 jets \(from start=30\) but .* holds only 37 rows"
    with pytest.raises(ValueError, match=msg):
        ptt.read(path, 10, start=30)
    with pytest.raises(ValueError, match="start=40"):
        ptt.read(path, start=40)
    with pytest.raises(ValueError, match="non-negative"):
        ptt.read(path, -1)


def test_nan_in_constituents(tmp_path):
    df = _hand_made_frame()
    df.loc[2, "PX_3"] = np.nan
    path = tmp_path / "nan.h5"
    df.to_hdf(path, key="table", mode="w", format="table")
    with pytest.raises(ValueError, match=r"nan\.h5 holds 1 NaN/inf .*first in row 2"):
        ptt.read(path)
    ptt.read(path, 2)  # rows before the bad one are fine


def test_bad_labels(tmp_path):
    df = _hand_made_frame()
    df.loc[1, "is_signal_new"] = 2
    path = tmp_path / "labels.h5"
    df.to_hdf(path, key="table", mode="w", format="table")
    with pytest.raises(ValueError, match="must be 0 or 1"):
        ptt.read(path)


def test_unknown_split():
    with pytest.raises(ValueError, match=r"unknown split 'validation'.*'train', 'val', 'test'"):
        ptt.load(10, split="validation")
    with pytest.raises(ValueError, match="unknown split"):
        ptt.fetch("all")


def test_writer_rejects_bad_input(tmp_path):
    x, y = _jets(3)
    with pytest.raises(ValueError, match="shape"):
        ptt.write_public_format(tmp_path / "a.h5", x[..., :3], y)
    with pytest.raises(ValueError, match="0 \\(QCD\\) and 1"):
        ptt.write_public_format(tmp_path / "a.h5", x, np.array([0, 1, 2]))


# ---------------------------------------------------------------- fetch, offline
def test_registry_has_verifiable_hashes():
    assert set(ptt.REGISTRY) == set(ptt.URLS) == set(ptt.SPLITS) == {"train", "val", "test"}
    for split, digest in ptt.REGISTRY.items():
        assert re.fullmatch(r"md5:[0-9a-f]{32}", digest), split
        assert ptt.URLS[split].startswith("https://zenodo.org/records/2603256/files/")


def test_fetch_uses_registry_hash_and_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("HEPCOURSE_DATA", str(tmp_path / "cache"))
    calls = []

    def fake_retrieve(url, known_hash, fname=None, path=None, **kwargs):
        calls.append(dict(url=url, known_hash=known_hash, fname=fname, path=Path(path), **kwargs))
        return str(Path(path) / fname)

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    out = ptt.fetch("val")
    assert len(calls) == 1
    call = calls[0]
    assert call["known_hash"] == ptt.REGISTRY["val"]
    assert call["url"] == ptt.URLS["val"]
    assert call["fname"] == "val.h5"
    assert call["path"] == tmp_path / "cache" / "public" / "toptagging"
    assert out == tmp_path / "cache" / "public" / "toptagging" / "val.h5"

    # explicit cache_dir and known_hash win
    calls.clear()
    sha = "sha256:" + "ab" * 32
    ptt.fetch("test", cache_dir=tmp_path / "elsewhere", known_hash=sha)
    assert calls[0]["known_hash"] == sha and calls[0]["path"] == tmp_path / "elsewhere"


def test_load_fetches_then_reads(monkeypatch, small_file, tmp_path):
    path, x, y = small_file
    monkeypatch.setenv("HEPCOURSE_DATA", str(tmp_path))
    seen = {}

    def fake_retrieve(url, known_hash, fname=None, path=None, **kwargs):
        seen.update(url=url, known_hash=known_hash)
        return str(small_file[0])

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    cons, labels = ptt.load(4, split="train")
    assert seen["known_hash"] == ptt.REGISTRY["train"]
    np.testing.assert_array_equal(labels, y[:4])


def test_fetch_without_hash_refuses(monkeypatch, tmp_path):
    monkeypatch.setenv("HEPCOURSE_DATA", str(tmp_path))

    def boom(*a, **k):
        raise AssertionError("must not download without a checksum")

    monkeypatch.setattr(pooch, "retrieve", boom)
    monkeypatch.setitem(ptt.REGISTRY, "train", None)
    with pytest.raises(ValueError, match=r"no checksum .*'train'.*known_hash="):
        ptt.fetch("train")
    with pytest.raises(ValueError, match="no checksum"):
        ptt.load(10, split="train")
    for bad in ("", "md5:1234", "deadbeef", "crc32:00000000"):
        with pytest.raises(ValueError, match="checksum"):
            ptt.fetch("val", known_hash=bad)


def test_import_touches_nothing(monkeypatch, tmp_path):
    import importlib

    monkeypatch.setenv("HEPCOURSE_DATA", str(tmp_path / "fresh"))
    monkeypatch.setattr(pooch, "retrieve", lambda *a, **k: pytest.fail("download at import"))
    importlib.reload(ptt)
    assert not (tmp_path / "fresh").exists()
