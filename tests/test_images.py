"""Jet-image preprocessing and constituent features on synthetic jets with known answers."""

import numpy as np
import pytest

from hepcourse import selfchecks
from hepcourse.physics.jets import images
from hepcourse.physics.jets.features import CONSTITUENT_FEATURES, constituent_features
from hepcourse.physics.jets.kinematics import eta, from_pt_eta_phi_m, phi, pt

pytestmark = pytest.mark.unit


def _jets(n=50, n_const=30, seed=1):
    """Elongated random jets at random positions, zero-padded, as (E, px, py, pz)."""
    rng = np.random.default_rng(seed)
    c_pt = rng.exponential(20, (n, n_const))
    angle = rng.uniform(0, np.pi, (n, 1))
    along, across = rng.normal(0, 0.3, (n, n_const)), rng.normal(0, 0.05, (n, n_const))
    c_eta = rng.uniform(-1.5, 1.5, (n, 1)) + along * np.cos(angle) - across * np.sin(angle)
    c_phi = rng.uniform(-np.pi, np.pi, (n, 1)) + along * np.sin(angle) + across * np.cos(angle)
    p4 = from_pt_eta_phi_m(c_pt, c_eta, c_phi)
    p4[:, -5:] = 0.0  # padding
    return p4


def test_each_step_has_its_physical_property():
    p4 = _jets()
    c_pt, c_eta, c_phi = images.constituent_coordinates(p4)
    e, f = images.centre(c_pt, c_eta, c_phi)
    selfchecks.check_centred(c_pt, e, f)
    e, f = images.rotate(c_pt, e, f)
    selfchecks.check_rotated(c_pt, e, f)
    e, f = images.flip(c_pt, e, f)
    selfchecks.check_flipped(c_pt, e, f)
    img = images.normalise(images.pixelate(c_pt, e, f))
    selfchecks.check_images(img, n_jets=len(p4))


def test_phi_wraparound_does_not_split_a_jet():
    p4 = from_pt_eta_phi_m(np.array([[100.0, 50.0]]), np.array([[0.0, 0.1]]), np.array([[3.1, -3.1]]))
    _, _, c_phi = images.constituent_coordinates(p4)
    assert abs(c_phi[0, 0] - c_phi[0, 1]) < 0.1, "constituents across phi = +-pi must stay neighbours"


def test_pixel_placement_and_normalisation():
    p4 = from_pt_eta_phi_m(np.array([[30.0, 10.0]]), np.array([[0.0, 0.5]]), np.array([[0.0, 0.0]]))
    img = images.jet_images(p4)
    assert img.shape == (1, 40, 40) and img.dtype == np.float32
    assert np.isclose(img.sum(), 1.0)
    assert np.count_nonzero(img) == 2
    # Centroid at eta = 0.125, so the particles sit at -0.125 (30 GeV) and +0.375 (10 GeV) on a
    # line along eta; rotation puts that line on the phi axis and the flip moves the hard one to
    # phi' = +0.125: pixel row floor((1 + 0.125) / 0.05) = 22, the soft one to row 12, column 20.
    assert img[0, 22, 20] == pytest.approx(0.75) and img[0, 12, 20] == pytest.approx(0.25)


def test_bad_shape():
    with pytest.raises(ValueError, match="shape"):
        images.jet_images(np.zeros((3, 4)))


def test_grading_checks_fail_with_physics_messages():
    p4 = _jets(5)
    c_pt, c_eta, c_phi = images.constituent_coordinates(p4)
    with pytest.raises(selfchecks.CheckFailed, match="not centred: jet .* centroid at"):
        selfchecks.check_centred(c_pt, c_eta, c_phi)
    e, f = images.centre(c_pt, c_eta, c_phi)
    with pytest.raises(selfchecks.CheckFailed, match="not rotated"):
        selfchecks.check_rotated(c_pt, e + 0 * f, f + 0.3 * e)
    with pytest.raises(selfchecks.CheckFailed, match="not normalised"):
        selfchecks.check_images(2 * images.normalise(images.pixelate(c_pt, e, f)))
    with pytest.raises(selfchecks.CheckFailed, match="NaN"):
        selfchecks.check_centred(c_pt, e * np.nan, f)


def test_constituent_features():
    p4 = _jets(4, 30)
    feats = constituent_features(p4, n_max=40)
    assert feats.shape == (4, 40, len(CONSTITUENT_FEATURES))
    assert np.all(feats[:, 25:] == 0), "padded and missing slots must be exactly zero"
    jet = p4.sum(axis=1)
    d_eta = eta(p4[:, :25]) - eta(jet)[:, None]
    assert np.allclose(feats[:, :25, 0], d_eta, atol=1e-5)
    assert np.allclose(feats[:, :25, 2], np.log(pt(p4[:, :25])), atol=1e-5)
    assert np.all(np.abs(feats[:, :25, 1]) <= np.pi)
    assert phi is not None
