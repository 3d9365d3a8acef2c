"""`jets.load(source="public")` on a small file in the public format (no network)."""

import numpy as np
import pytest

from hepcourse.data import jets, public_toptagging
from hepcourse.physics.jets.kinematics import from_pt_eta_phi_m

pytestmark = pytest.mark.unit


@pytest.fixture
def public_file(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    n, n_const = 10, 30
    c_pt = np.sort(rng.exponential(20, (n, n_const)), axis=1)[:, ::-1]
    p4 = from_pt_eta_phi_m(c_pt, rng.normal(0.5, 0.2, (n, n_const)), rng.normal(1.0, 0.2, (n, n_const)))
    y = np.array([1, 0] * (n // 2))
    path = tmp_path / "train.h5"
    public_toptagging.write_public_format(path, p4, y)
    calls = []

    def fake_fetch(split, **kwargs):
        calls.append(split)
        return path

    monkeypatch.setattr(public_toptagging, "fetch", fake_fetch)
    return p4, y, calls


def test_public_source_gives_every_representation(public_file):
    p4, y, calls = public_file
    X, labels = jets.load(10, source="public", split="train")
    assert calls == ["train"]
    assert X.shape == (10, 200, 4) and np.allclose(X[:, :30], p4, rtol=1e-6)
    assert np.array_equal(labels, y)
    images, _ = jets.load(6, representation="image", source="public")
    assert images.shape == (6, 40, 40) and np.allclose(images.sum(axis=(1, 2)), 1, atol=1e-5)
    hlf, _ = jets.load(4, representation="hlf", source="public")
    assert hlf.shape == (4, len(jets.HLF_NAMES))


def test_public_source_too_many_jets(public_file):
    with pytest.raises(ValueError, match="holds only 10 rows"):
        jets.load(12, source="public")
