"""Physics sanity of the generated jets, on the quick-profile test split (cached by `make data`)."""

import numpy as np
import pytest

from hepcourse import config
from hepcourse.data import jets
from hepcourse.metrics import auc
from hepcourse.physics.jets.kinematics import eta, pt

pytestmark = pytest.mark.data

N = config.profile("quick").n_test


@pytest.fixture(scope="module")
def sample():
    constituents, y = jets.load(N, split="test")
    hlf, y_hlf = jets.load(N, representation="hlf", split="test")
    assert np.array_equal(y, y_hlf)
    return constituents, hlf, y


def _column(hlf, name):
    return hlf[:, jets.HLF_NAMES.index(name)]


def test_top_mass_peaks_at_the_top_mass(sample):
    _, hlf, y = sample
    counts, edges = np.histogram(_column(hlf, "mass")[y == 1], bins=np.arange(100, 260, 10))
    peak = edges[np.argmax(counts)] + 5
    assert 160 < peak < 185, f"the top-jet mass peaks at {peak} GeV, expected 160-185 GeV"


def test_qcd_mass_spectrum_falls(sample):
    _, hlf, y = sample
    counts, _ = np.histogram(_column(hlf, "mass")[y == 0], bins=[50, 100, 150, 200, 250, 300])
    assert np.all(np.diff(counts) < 0), f"the QCD jet mass spectrum should fall above 50 GeV: {counts}"


def test_tau32_separates_top_from_qcd(sample):
    _, hlf, y = sample
    value = auc(y, -_column(hlf, "tau32"))
    assert 0.7 < value < 0.9, f"AUC of tau32 alone is {value:.3f}, expected 0.7-0.9"


def test_jets_pass_the_cuts(sample):
    constituents, hlf, y = sample
    jet = constituents.sum(axis=1)
    assert np.all((_column(hlf, "pt") > 540) & (_column(hlf, "pt") < 660))
    # the jet axis of the stored 200 hardest constituents is within the |eta| < 2 acceptance
    assert np.all(np.abs(eta(jet)) < 2.05)
    assert np.all(pt(constituents[:, 0]) >= pt(constituents[:, 1])), "constituents must be pT-ordered"
    assert np.all(_column(hlf, "n_constituents") >= 3)


def test_classes_balanced_and_shapes(sample):
    constituents, hlf, y = sample
    assert constituents.shape == (N, 200, 4) and hlf.shape == (N, len(jets.HLF_NAMES))
    assert y.sum() == N // 2
    assert np.isfinite(hlf).all()
