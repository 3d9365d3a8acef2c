"""The GFlash-style fast simulation: fitted to the detailed simulation, it must reproduce its
mean response, shower maximum and lateral containment (a baseline, not a perfect copy)."""

import numpy as np
import pytest

from hepcourse.physics import calorimeter as cal
from hepcourse.physics.calorimeter import fastshower as fs
from hepcourse.physics.calorimeter import shower_shapes as ss

pytestmark = pytest.mark.data

G = cal.GEOMETRY


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(3)
    energies = np.exp(rng.uniform(np.log(1.0), np.log(30.0), 160))
    vis, _ = cal.simulate_deposits(energies, seed=4)
    return fs.fit(reference=(vis, energies)), vis, energies


def test_parameters_are_physical(fitted):
    p, _, _ = fitted
    assert p.ln_t[1] > 0, "the shower maximum must move deeper with energy"
    assert 0.015 < p.response[0] < 0.03, "visible/E should be ~2 %"
    assert all(rc < rt for rc, rt in zip(p.r_core_mm, p.r_tail_mm)), "core must be narrower than the tail"
    assert all(0 <= x <= 1 for x in p.p_core)
    assert np.all(np.linalg.eigvalsh(np.asarray(p.covariance)) > 0), "covariance must be positive definite"


def test_fast_showers_follow_the_detailed_ones(fitted):
    p, _, _ = fitted
    e = 10.0
    detailed = cal.simulate(np.full(40, e), seed=8)
    fast = fs.generate(np.full(400, e), p, seed=1)
    assert fast.shape == (400, G.n_layers, G.n_cells, G.n_cells) and fast.dtype == np.float32
    r_det, r_fast = detailed.sum(axis=(1, 2, 3)).mean(), fast.sum(axis=(1, 2, 3)).mean()
    assert r_fast == pytest.approx(r_det, rel=0.05), f"fast response {r_fast:.4f} vs detailed {r_det:.4f} GeV"
    t_det, t_fast = ss.shower_max_X0(detailed, G), ss.shower_max_X0(fast, G)
    assert abs(t_fast - t_det) < 0.5, f"fast shower maximum {t_fast:.2f} vs detailed {t_det:.2f} X0"
    c_det = ss.containment(detailed, G.moliere_radius_mm, G).mean()
    c_fast = ss.containment(fast, G.moliere_radius_mm, G).mean()
    assert abs(c_fast - c_det) < 0.04, f"fast containment in R_M {c_fast:.3f} vs detailed {c_det:.3f}"
    res = fast.sum(axis=(1, 2, 3)).std() / r_fast
    assert 0.03 < res < 0.09, f"fast sigma/E at 10 GeV = {res:.3f}, the detailed simulation gives ~0.053"


def test_generate_is_deterministic_and_checks_inputs(fitted):
    p, vis, energies = fitted
    a = fs.generate([5.0, 20.0], p, seed=3)
    assert a.tobytes() == fs.generate([5.0, 20.0], p, seed=3).tobytes()
    assert not np.array_equal(a, fs.generate([5.0, 20.0], p, seed=4))
    with pytest.raises(ValueError, match="positive, finite"):
        fs.generate([1.0, np.nan], p)
    with pytest.raises(ValueError, match=">= 20 showers"):
        fs.fit(reference=(vis[:5], energies[:5]))
    with pytest.raises(ValueError, match="two energies"):
        fs.fit(reference=(vis[:30], np.full(30, 3.0)))
