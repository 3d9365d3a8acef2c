"""Physics sanity of the generated hls4ml jets, on the quick-profile splits (cached by `make data`)."""

import numpy as np
import pytest

from hepcourse.data import hls4ml_jets
from hepcourse.data.cache import read_validated
from hepcourse.physics.jets.kinematics import eta, pt

pytestmark = pytest.mark.data

SIZES = hls4ml_jets.sizes("quick")
CLASSES = hls4ml_jets.CLASSES
ACCURACY_MIN = 0.6


@pytest.fixture(scope="module")
def test_split():
    X, y = hls4ml_jets.load(SIZES["test"], split="test")
    return X, y


def _column(X, name):
    return X[:, hls4ml_jets.FEATURE_NAMES.index(name)]


def _of(X, y, kind, name):
    return _column(X, name)[y == CLASSES.index(kind)]


def test_shapes_balance_and_finite(test_split):
    X, y = test_split
    assert X.shape == (SIZES["test"], 16) and X.dtype == np.float32
    assert np.bincount(y, minlength=5).tolist() == [SIZES["test"] // 5] * 5
    assert np.isfinite(X).all(), "every feature must be finite"
    np.testing.assert_array_equal(_column(X, "d2_a1_b1_mmdt"), _column(X, "d2_b1_mmdt"))  # D2^(1,1) = D2^(1)
    assert np.all(_column(X, "zlogz") < 0) and np.all(_column(X, "multiplicity") >= 2)
    assert np.all((_column(X, "c1_b0_mmdt") >= 0) & (_column(X, "c1_b0_mmdt") <= 0.5))


def _peak(values, lo, hi, width=10.0):
    counts, edges = np.histogram(values, bins=np.arange(lo, hi + width, width))
    return edges[np.argmax(counts)] + width / 2


def test_groomed_mass_peaks(test_split):
    X, y = test_split
    w, z, t = (_of(X, y, k, "mass_mmdt") for k in "wzt")
    w_core, z_core = np.median(w[(w > 60) & (w < 120)]), np.median(z[(z > 60) & (z < 120)])
    assert 75 < w_core < 90, f"W jets: groomed mass near the peak has median {w_core:.1f} GeV, expected ~80-85"
    assert 84 < z_core < 100, f"Z jets: groomed mass near the peak has median {z_core:.1f} GeV, expected ~91-95"
    assert 4 < z_core - w_core < 18, f"Z - W groomed-mass difference {z_core - w_core:.1f} GeV, expected ~11"
    assert 155 <= _peak(t, 100, 250) <= 190, f"top jets: groomed mass peaks at {_peak(t, 100, 250)} GeV, expected ~173"
    for kind in "qg":
        m = _of(X, y, kind, "mass_mmdt")
        assert _peak(m, 0, 250) < 50, f"{kind} jets: groomed mass peaks at {_peak(m, 0, 250)} GeV, expected low"
    low = {k: np.mean(_of(X, y, k, "mass_mmdt") < 50) for k in CLASSES}
    assert min(low["q"], low["g"]) > max(low["w"], low["z"], low["t"]), f"fraction below 50 GeV: {low}"


def test_gluon_jets_have_more_constituents(test_split):
    X, y = test_split
    n_g, n_q = _of(X, y, "g", "multiplicity").mean(), _of(X, y, "q", "multiplicity").mean()
    assert n_g > 1.2 * n_q, f"mean multiplicity: gluon {n_g:.1f}, quark {n_q:.1f}; gluons radiate more (C_A > C_F)"


@pytest.mark.parametrize("name", ["d2_b1_mmdt", "n2_b1_mmdt"])
def test_two_prong_observables_are_lower_for_w_and_z(test_split, name):
    X, y = test_split
    m = _column(X, "mass_mmdt")
    window = (m > 65) & (m < 105)  # compare at the same mass: D2/N2 measure 2-prongness at fixed mass
    medians = {k: np.median(_column(X, name)[window & (y == CLASSES.index(k))]) for k in CLASSES}
    assert max(medians["w"], medians["z"]) < min(medians["q"], medians["g"]), (
        f"{name} medians in the 65-105 GeV window: {medians}; two-prong W/Z jets should be lower than QCD")


def test_jets_pass_the_cuts():
    settings = hls4ml_jets.Hls4mlJetSettings()
    for task in hls4ml_jets.shard_tasks(SIZES["test"], "test"):
        arrays, _ = read_validated(hls4ml_jets.DATASET.task_path(task), hls4ml_jets.DATASET.task_settings(task))
        jet = arrays["jet"]
        assert np.all((pt(jet) > settings.selection.pt_min) & (pt(jet) < settings.selection.pt_max)), task[:4]
        assert np.all(np.abs(eta(jet)) < settings.selection.eta_max), task[:4]
        assert int(arrays["n_generated"]) >= len(jet)


def test_features_separate_the_five_classes(test_split):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    X_train, y_train = hls4ml_jets.load(SIZES["train"], split="train")
    X, y = test_split
    with threadpool_limits(1):  # a second of CPU; OpenMP threads only slow it down on 2 busy cores
        model = HistGradientBoostingClassifier(max_iter=50, random_state=0).fit(X_train, y_train)
        accuracy = float(np.mean(model.predict(X) == y))
    assert accuracy > ACCURACY_MIN, (
        f"boosted trees on the 16 features reach only {accuracy:.3f} accuracy on 5 classes, expected > {ACCURACY_MIN}")
