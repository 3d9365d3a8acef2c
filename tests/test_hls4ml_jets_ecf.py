"""The numpy energy-correlation features of `hepcourse.physics.jets.ecf` against FastJet contrib, on real jets."""

import awkward as ak
import numpy as np
import pytest

from hepcourse.physics.jets import ecf
from hepcourse.physics.jets.detector import apply_detector
from hepcourse.physics.jets.hls4ml_events import Hls4mlEventSource, matched_label
from hepcourse.physics.jets.clustering import leading_jets
from hepcourse.physics.jets.kinematics import eta, from_pt_eta_phi_m, mass, phi


# FastJet's EnergyCorrelator classes for each groomed feature (func, keyword arguments).
FASTJET = {
    "c1_b0_mmdt": ("doubleratio", dict(npoint=1, beta=0)),
    "c1_b1_mmdt": ("doubleratio", dict(npoint=1, beta=1)),
    "c1_b2_mmdt": ("doubleratio", dict(npoint=1, beta=2)),
    "c2_b1_mmdt": ("doubleratio", dict(npoint=2, beta=1)),
    "c2_b2_mmdt": ("doubleratio", dict(npoint=2, beta=2)),
    "d2_b1_mmdt": ("generalizedd2", dict(alpha=1, beta=1)),
    "d2_b2_mmdt": ("generalizedd2", dict(alpha=2, beta=2)),
    "d2_a1_b1_mmdt": ("generalizedd2", dict(alpha=1, beta=1)),
    "d2_a1_b2_mmdt": ("generalizedd2", dict(alpha=1, beta=2)),
    "m2_b1_mmdt": ("mseries", dict(npoint=2, beta=1)),
    "m2_b2_mmdt": ("mseries", dict(npoint=2, beta=2)),
    "n2_b1_mmdt": ("nseries", dict(npoint=2, beta=1)),
    "n2_b2_mmdt": ("nseries", dict(npoint=2, beta=2)),
}


@pytest.fixture(scope="module")
def real_jets():
    """Leading detector-level jets of a few W and gluon events, padded (n, 400, 4)."""
    out = []
    for kind in ("w", "g"):
        batch = Hls4mlEventSource(kind, 11).batch(12)
        cand, counts = apply_detector(batch.particles, batch.pdg, batch.charge, batch.counts,
                                      np.random.default_rng(0))
        jet_p4, const = leading_jets(cand, counts)
        keep = matched_label(batch.partons, eta(jet_p4), phi(jet_p4), kind, 0.8)
        out.append(const[keep])
    padded = np.zeros((sum(len(c) for c in out), 400, 4))
    k = 0
    for c in out:
        padded[k : k + len(c), : c.shape[1]] = c
        k += len(c)
    assert k >= 10, "too few truth-matched jets to compare"
    return padded


@pytest.mark.data  # 24 Pythia events
def test_features_agree_with_fastjet(real_jets):
    X = ecf.hls4ml_features(real_jets)
    groomed, groomed_mass = ecf.mmdt_groom(real_jets)
    fastjet = ecf._quiet_fastjet()
    flat = np.concatenate(groomed)
    events = ak.unflatten(ak.zip({"px": flat[:, 1], "py": flat[:, 2], "pz": flat[:, 3], "E": flat[:, 0]}),
                          [len(g) for g in groomed])
    sequence = fastjet.ClusterSequence(events, fastjet.JetDefinition(fastjet.cambridge_algorithm, 10.0))
    for name, (func, kwargs) in FASTJET.items():
        reference = np.asarray(sequence.exclusive_jets_energy_correlator(njets=1, func=func, **kwargs))
        ours = X[:, ecf.FEATURE_NAMES.index(name)]
        np.testing.assert_allclose(ours, reference, rtol=2e-5, err_msg=f"{name} differs from FastJet {func} {kwargs}")


@pytest.mark.data  # 24 Pythia events
def test_grooming_mass_zlogz_and_multiplicity(real_jets):
    X = ecf.hls4ml_features(real_jets)
    sequence = ecf._whole_jet_sequence(ecf._jets_awkward(real_jets))
    reference = sequence.exclusive_jets_softdrop_grooming(njets=1, beta=0.0, symmetry_cut=0.1, R0=0.8)
    np.testing.assert_allclose(X[:, ecf.FEATURE_NAMES.index("mass_mmdt")], np.asarray(reference.msoftdrop), rtol=1e-4)
    real = real_jets[..., 0] > 0
    ungroomed = mass(real_jets.sum(axis=1))
    assert np.all(X[:, 14] <= ungroomed * (1 + 1e-5)), "grooming can only remove mass"
    assert np.array_equal(X[:, 15], real.sum(axis=1)), "multiplicity counts the ungroomed constituents"
    e = real_jets[..., 0]
    z = e[real] / np.repeat(e.sum(axis=1), real.sum(axis=1))
    zlogz = np.add.reduceat(z * np.log(z), np.r_[0, np.cumsum(real.sum(axis=1))[:-1]])
    np.testing.assert_allclose(X[:, 0], zlogz, rtol=1e-5)


@pytest.mark.unit
def test_two_and_one_constituent_jets_stay_finite():
    two = from_pt_eta_phi_m([300.0, 100.0], [0.0, 0.3], [0.0, 0.0])
    one = from_pt_eta_phi_m([400.0], [0.0], [0.0])
    padded = np.zeros((2, 5, 4))
    padded[0, :2], padded[1, :1] = two, one
    X = ecf.hls4ml_features(padded)
    assert np.isfinite(X).all()
    # two particles: e2^(b) = z1 z2 R^b with z = (0.75, 0.25), R = 0.3; e3 = 0 -> C2 = D2 = 0
    np.testing.assert_allclose(X[0, 1:4], [0.1875, 0.1875 * 0.3, 0.1875 * 0.09], rtol=1e-5)
    assert X[0, 15] == 2 and X[1, 15] == 1 and X[1, 1] == 0.0


@pytest.mark.unit
def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="shape"):
        ecf.hls4ml_features(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="no constituents"):
        ecf.hls4ml_features(np.zeros((2, 5, 4)))
    bad = np.zeros((1, 3, 4))
    bad[0, 0] = [np.nan, 1, 1, 1]
    with pytest.raises(ValueError, match="NaN"):
        ecf.hls4ml_features(bad)
