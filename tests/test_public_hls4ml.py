"""Offline tests of the public hls4ml (OpenML 42468) reader, on small ARFF files written here.

Files are written twice over: by ``write_public_format`` and by hand (another attribute order,
quoted names and labels, comments, the ``j_`` prefix), so that a bug shared by writer and reader
cannot hide. The network is never touched: the download functions are monkeypatched.
"""

from __future__ import annotations

import numpy as np
import pytest

from hepcourse.data import hls4ml_jets
from hepcourse.data import public_hls4ml as ph
from hepcourse.physics.jets.ecf import FEATURE_NAMES

pytestmark = pytest.mark.unit


def _jets(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 16)).astype(np.float32)
    X[:, 14] = rng.uniform(0, 200, n)
    X[:, 15] = rng.integers(5, 80, n)
    y = np.arange(n) % 5
    return X, y


def test_round_trip(tmp_path):
    X, y = _jets(23)
    path = ph.write_public_format(tmp_path / "small.arff", X, y)
    X2, y2 = ph.read(path)
    assert X2.dtype == np.float32 and X2.shape == (23, 16) and y2.dtype == np.int64
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)


HAND_MADE = """% hls4ml jets, written by hand
@RELATION 'hls4ml_lhc_jets_hlf'

@ATTRIBUTE 'class' {{'g','q','t','w','z'}}
{attributes}

@DATA
% a comment inside the data
{rows}
"""


def test_hand_made_file_other_order_quotes_and_prefix(tmp_path):
    names = list(reversed(FEATURE_NAMES))  # reversed order, class first, j_ prefix on half
    names = [f"j_{n}" if k % 2 else n for k, n in enumerate(names)]
    attributes = "\n".join(f"@ATTRIBUTE {n} REAL" for n in names)
    values = {0: [float(i) for i in range(16)], 1: [10.0 + i for i in range(16)]}
    rows = [
        "'t'," + ",".join(str(v) for v in reversed(values[0])),
        "w, " + ", ".join(str(v) for v in reversed(values[1])),
    ]
    path = tmp_path / "hand.arff"
    path.write_text(HAND_MADE.format(attributes=attributes, rows="\n".join(rows)))
    X, y = ph.read(path)
    np.testing.assert_array_equal(X, np.array([values[0], values[1]], dtype=np.float32))
    assert y.tolist() == [4, 2], "labels must map to CLASSES = (g, q, w, z, t): t -> 4, w -> 2"


def test_splits_are_disjoint_seeded_and_cover_the_file(tmp_path):
    X, y = _jets(200)
    path = ph.write_public_format(tmp_path / "s.arff", X, y)
    parts = {s: ph.load(None, split=s, path=path) for s in ("train", "val", "test")}
    assert [len(parts[s][1]) for s in ("train", "val", "test")] == [140, 20, 40]
    rows = [{r.tobytes() for r in parts[s][0]} for s in parts]
    assert not (rows[0] & rows[1] or rows[0] & rows[2] or rows[1] & rows[2])
    assert len(rows[0] | rows[1] | rows[2]) == 200
    again = ph.load(None, split="test", path=path)
    other = ph.load(None, split="test", path=path, seed=1)
    np.testing.assert_array_equal(again[0], parts["test"][0])
    assert not np.array_equal(other[0], parts["test"][0])
    X5, y5 = ph.load(5, split="train", path=path)
    np.testing.assert_array_equal(X5, parts["train"][0][:5])


def test_hls4ml_jets_load_public_goes_through_the_reader(tmp_path, monkeypatch):
    X, y = _jets(50)
    path = ph.write_public_format(tmp_path / "p.arff", X, y)
    monkeypatch.setattr(ph, "fetch", lambda **kw: path)
    Xp, yp = hls4ml_jets.load(3, split="val", source="public")  # any n for the public file
    Xr, yr = ph.load(3, split="val", path=path)
    np.testing.assert_array_equal(Xp, Xr)
    np.testing.assert_array_equal(yp, yr)


def _write(tmp_path, text, name="bad.arff"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda t: t.replace("@attribute zlogz numeric\n", ""), r"lacks the hls4ml feature columns \['zlogz'\]"),
        (lambda t: t.replace("@attribute class {g,q,t,w,z}", "@attribute class numeric"), "nominal target"),
        (lambda t: t.split("@data")[0], "no @data section"),
        (lambda t: t.rstrip("\n").rsplit(",", 3)[0] + "\n", "fewer values than the header declares"),
        (lambda t: t.replace(",g\n", ",h\n"), r"unknown classes \['h'\]"),
        (lambda t: t.replace("@data\n", "@data\nnan," + ",".join(["1"] * 15) + ",q\n"), "NaN"),
        (lambda t: t.replace("@data\n", "@data\nabc," + ",".join(["1"] * 15) + ",q\n"), "not a number"),
        (lambda t: "<html>rate limited</html>\n" + t, "unexpected line before @data"),
    ],
)
def test_bad_files_give_clear_errors(tmp_path, mutate, match):
    X, y = _jets(5)
    text = ph.write_public_format(tmp_path / "ok.arff", X, y).read_text()
    with pytest.raises(ValueError, match=match):
        ph.read(_write(tmp_path, mutate(text)))


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        ph.read(tmp_path / "nope.arff")
    path = tmp_path / "bin.arff"
    path.write_bytes(b"\x89HDF\r\n\x1a\n\xff\xfe" * 10)
    with pytest.raises(ValueError):
        ph.read(path)


def test_bad_arguments(tmp_path):
    X, y = _jets(10)
    path = ph.write_public_format(tmp_path / "a.arff", X, y)
    with pytest.raises(ValueError, match="unknown split 'training'"):
        ph.load(None, split="training", path=path)
    with pytest.raises(ValueError, match="holds only 7"):
        ph.load(8, split="train", path=path)
    with pytest.raises(ValueError, match="positive integer"):
        ph.load(0, path=path)
    with pytest.raises(ValueError, match="shape"):
        ph.write_public_format(tmp_path / "b.arff", X[:, :3], y)
    with pytest.raises(ValueError, match="class indices"):
        ph.write_public_format(tmp_path / "c.arff", X, y + 5)
    with pytest.raises(ValueError, match="positive integer"):
        hls4ml_jets.load(0, source="public")


def test_fetch_uses_the_stated_checksum_and_refuses_without_one(tmp_path, monkeypatch):
    import pooch

    calls = {}

    def fake_retrieve(url, known_hash, fname, path, progressbar):
        calls.update(url=url, known_hash=known_hash, fname=fname, path=path)
        return str(tmp_path / fname)

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    monkeypatch.setattr(ph, "_description", lambda: {"file_id": "123", "md5_checksum": "A" * 32,
                                                     "url": "https://api.openml.org/data/v1/download/123/x.arff"})
    ph.fetch(cache_dir=tmp_path)
    assert calls["known_hash"] == "md5:" + "a" * 32 and calls["url"].endswith("/123/x.arff")
    monkeypatch.setattr(ph, "_description", lambda: {"file_id": "123", "md5_checksum": ""})
    with pytest.raises(ValueError, match="refusing to download unverified"):
        ph.fetch(cache_dir=tmp_path)
    with pytest.raises(ValueError, match="file_id"):
        ph.fetch(known_hash="md5:" + "b" * 32)
    with pytest.raises(ValueError, match="is not 'md5"):
        ph.fetch(known_hash="md5:xyz", file_id=1)
    ph.fetch(known_hash="sha256:" + "c" * 64, file_id=9, cache_dir=tmp_path)
    assert calls["url"] == "https://api.openml.org/data/v1/download/9" and calls["known_hash"] == "sha256:" + "c" * 64
