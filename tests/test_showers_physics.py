"""The calorimeter simulation against textbook shower properties (PDG review "Passage of particles
through matter"; Longo's Gamma profile; Rossi's shower maximum), plus determinism and bad inputs.

Sample sizes are small (seconds per test); the tolerances are several statistical standard
deviations of those samples, and still fail for a broken cascade (e.g. no photon transport,
wrong X0, a lateral spread off by 20 %).
"""

import math

import numpy as np
import pytest

from hepcourse.metrics import fit_resolution
from hepcourse.physics import calorimeter as cal
from hepcourse.physics.calorimeter import cross_sections as xs
from hepcourse.physics.calorimeter import shower_shapes as ss


G = cal.GEOMETRY

# Tiers: `unit` tests only evaluate formulas or refuse bad input; `data` tests run the cascade.


# PDG "Atomic and nuclear properties": radiation length (g/cm^2), density (g/cm^3), critical energy
# for electrons (MeV, Rossi definition), and the Moliere scale energy E_s (MeV).
PDG_W = dict(X0_g_cm2=6.76, density=19.3, Ec=7.97)
PDG_SI = dict(X0_g_cm2=21.82, density=2.329, Ec=40.19)
PDG_ES_MEV = 21.2052


@pytest.mark.unit
def test_stack_radiation_length_and_moliere_radius_follow_the_pdg_mass_fraction_rules():
    """The module averages per thickness in mm; here the PDG mixture rules, by mass fraction in
    g/cm^2 (1/X0 = sum w_j/X_j; 1/R_M = sum w_j Ec_j/X_j / E_s), from the PDG element table."""
    t_w, t_si = G.absorber_thickness_mm / 10, G.active_thickness_mm / 10  # cm
    mass_w, mass_si = t_w * PDG_W["density"], t_si * PDG_SI["density"]  # g/cm^2 per layer
    w_w, w_si = mass_w / (mass_w + mass_si), mass_si / (mass_w + mass_si)
    mean_density = (mass_w + mass_si) / (t_w + t_si)
    x0 = 1 / (w_w / PDG_W["X0_g_cm2"] + w_si / PDG_SI["X0_g_cm2"])  # g/cm^2
    rm = PDG_ES_MEV / (w_w * PDG_W["Ec"] / PDG_W["X0_g_cm2"] + w_si * PDG_SI["Ec"] / PDG_SI["X0_g_cm2"])
    assert G.X0_mm == pytest.approx(10 * x0 / mean_density, rel=2e-3)
    assert G.layer_X0 == pytest.approx((mass_w + mass_si) / x0, rel=2e-3)
    assert G.moliere_radius_mm == pytest.approx(10 * rm / mean_density, rel=2e-3)
    assert G.critical_energy_MeV == pytest.approx(PDG_ES_MEV * x0 / rm, rel=2e-3)  # R_M = E_s X0 / Ec


@pytest.mark.unit
def test_default_geometry_contains_showers_and_fits_binder_memory():
    assert 20 <= G.depth_X0 <= 25, "the calorimeter should be 20-25 X0 deep"
    assert 0.5 <= G.cell_size_mm / G.moliere_radius_mm <= 1.0, "cells should be 0.5-1 Moliere radius wide"
    assert G.n_layers * G.n_cells ** 2 <= 3500, "too many cells for Binder's memory"


@pytest.mark.unit
def test_cross_sections_have_textbook_limits():
    # Klein-Nishina -> Thomson cross section (8 pi/3 r_e^2) at low energy
    thomson = 8 * math.pi / 3 * xs.CLASSICAL_ELECTRON_RADIUS_MM ** 2
    assert xs.klein_nishina_sigma_mm2(np.array(1e-4)) == pytest.approx(thomson, rel=2e-3)
    # pair production reaches 7/9 per X0 at high energy, vanishes near threshold
    _, pair, _ = xs.photon_mu_per_mm(np.array([1e5, 2.0]), cal.TUNGSTEN)
    assert pair[0] * cal.TUNGSTEN.X0_mm == pytest.approx(7 / 9)
    assert pair[1] == 0
    # the complete-screening bremsstrahlung spectrum radiates exactly E per X0: soft part + hard part
    yc = np.array([1e-3])
    grid = np.geomspace(1e-3, 1, 20001)
    hard = np.trapezoid(grid * (4 / 3 - 4 / 3 * grid + grid ** 2) / grid, grid)
    assert xs.soft_brems_loss_per_X0(yc)[0] + hard == pytest.approx(1.0, rel=1e-4)


@pytest.mark.unit
def test_photon_attenuation_in_tungsten_matches_nist_away_from_its_anchor():
    """The photoelectric term is anchored at NIST's 0.5 MeV value (so that energy proves nothing);
    at other energies Compton + photoelectric (0.8-1.5 MeV) and pair + Compton (10-20 MeV) must
    reproduce NIST XCOM's total mu/rho of tungsten (Hubbell-Seltzer table, Z = 74, cm^2/g).
    Known gap, not tested: 2-5 MeV, where pair production is neglected below ~3.4 MeV and the
    model is 10-27 % low."""
    nist = {0.8: 0.08066, 1.0: 0.06618, 1.5: 0.05000, 10.0: 0.04747, 20.0: 0.05893}
    for energy, expected in nist.items():
        mu = sum(xs.photon_mu_per_mm(np.array(energy), cal.TUNGSTEN)) * 10 / cal.TUNGSTEN.density_g_cm3
        assert float(mu) == pytest.approx(expected, rel=0.06), f"mu/rho(W, {energy} MeV) = {float(mu):.5f} cm^2/g"


@pytest.mark.data
def test_energy_is_conserved_in_a_large_block():
    big = cal.CalorimeterGeometry(n_layers=60, n_cells=41)
    for particle in ("e-", "gamma"):
        _, total = cal.simulate_deposits(np.full(8, 3.0), particle=particle, seed=5, geometry=big)
        frac = total / 3000.0
        assert np.all(frac <= 1 + 1e-9), f"{particle}: more energy deposited than came in ({frac.max()})"
        assert frac.mean() > 0.99, f"{particle}: only {frac.mean():.3f} of the energy deposited in a 60 X0 block"
    # a small particle budget (the rest of the stack waits) must not lose or double energy
    tight = cal.TransportSettings(max_live=300)
    _, total = cal.simulate_deposits(np.full(2, 3.0), seed=6, geometry=big, transport=tight)
    assert np.all((total / 3000.0 > 0.98) & (total / 3000.0 <= 1 + 1e-9)), total / 3000.0


@pytest.fixture(scope="module")
def profiles():
    """Noise-free visible deposits of e- and photons at 2 and 20 GeV."""
    out = {}
    for particle in ("e-", "gamma"):
        for energy, n in ((2.0, 120), (20.0, 24)):
            out[particle, energy] = cal.simulate_deposits(np.full(n, energy), particle=particle,
                                                          seed=11 + int(energy), geometry=G)[0]
    return out


@pytest.mark.data
def test_mean_longitudinal_profile_is_a_gamma_distribution(profiles):
    for key, vis in profiles.items():
        fit = ss.gamma_profile_fit(vis, G)
        t = G.active_depth_X0()
        model = G.layer_X0 * np.exp(fit["a"] * np.log(fit["b"]) + (fit["a"] - 1) * np.log(t) - fit["b"] * t
                                    - math.lgamma(fit["a"]))
        profile = ss.longitudinal_profile(vis)
        worst = np.abs(profile - model * fit["E0"] / vis.sum(axis=(1, 2, 3)).mean()).max()
        assert worst < 0.015, f"{key}: mean profile deviates from its Gamma fit by {worst:.3f} of the energy"
        assert 0.35 < fit["b"] < 0.65, f"{key}: Gamma slope b = {fit['b']:.2f}, Longo/GFlash expect ~0.5"


@pytest.mark.data
def test_shower_maximum_follows_rossi(profiles):
    ec = G.critical_energy_MeV
    tmax = {}
    for (particle, energy), vis in profiles.items():
        tmax[particle, energy] = ss.shower_max_X0(vis, G)
        expected = math.log(energy * 1000 / ec) + (-0.5 if particle == "e-" else 0.5)
        assert abs(tmax[particle, energy] - expected) < 0.7, (
            f"{particle} {energy} GeV: shower maximum at {tmax[particle, energy]:.2f} X0, "
            f"expected ln(E/Ec) {'-' if particle == 'e-' else '+'} 0.5 = {expected:.2f} X0")
    for energy in (2.0, 20.0):
        shift = tmax["gamma", energy] - tmax["e-", energy]
        assert 0.3 < shift < 1.6, (f"photons should peak ~1 X0 deeper than electrons, "
                                   f"got {shift:+.2f} X0 at {energy} GeV")
    growth = tmax["e-", 20.0] - tmax["e-", 2.0]
    assert growth == pytest.approx(math.log(10), abs=0.6), f"t_max grows by {growth:.2f} X0 per decade, expected ln 10"


@pytest.mark.data
def test_ninety_percent_within_one_moliere_radius():
    edges = np.arange(0, 50.01, 0.25)
    vis, _, radial = cal.simulate_deposits(np.full(30, 10.0), seed=21, radial_edges_mm=edges)
    cum = np.cumsum(radial.sum(axis=0))
    exact = np.interp(G.moliere_radius_mm, edges[1:], cum / cum[-1])
    assert 0.85 < exact < 0.95, f"{exact:.3f} of the energy within R_M; expected ~0.90"
    two = np.interp(2 * G.moliere_radius_mm, edges[1:], cum / cum[-1])
    assert two > 0.95, f"only {two:.3f} within 2 R_M (PDG: ~95 %)"
    cells = ss.containment(vis, G.moliere_radius_mm, G).mean()
    assert abs(cells - exact) < 0.03, "cell-level containment disagrees with the exact deposit radii"


@pytest.fixture(scope="module")
def response():
    """Digitised visible sums at several energies (noise included)."""
    energies = (2.0, 5.0, 10.0, 20.0, 50.0)
    sizes = (150, 100, 80, 50, 24)
    out = {}
    for j, (e, n) in enumerate(zip(energies, sizes)):
        vis, total = cal.simulate_deposits(np.full(n, e), seed=40 + j)
        digi = cal.digitise(vis, np.random.default_rng(j), G).sum(axis=(1, 2, 3), dtype=np.float64)
        out[e] = (digi, total / (e * 1000), vis)
    return out


@pytest.mark.data
@pytest.mark.slow
def test_response_is_linear_and_leakage_grows_with_energy(response):
    ratio = {e: d.mean() / e for e, (d, _, _) in response.items()}
    ref = ratio[10.0]
    for e, r in ratio.items():
        assert abs(r / ref - 1) < 0.03, f"response at {e} GeV is {r / ref:.3f} of that at 10 GeV (non-linear)"
    assert 0.6 < ref / G.sampling_fraction < 0.95, "EM sampling fraction should be below the MIP value (e/mip < 1)"
    last_layer = {e: (v[:, -1].sum() / v.sum()) for e, (_, _, v) in response.items()}
    assert last_layer[50.0] > 3 * last_layer[2.0], "longitudinal leakage must grow with energy"
    deposited = {e: f.mean() for e, (_, f, _) in response.items()}
    assert deposited[50.0] < deposited[2.0], "a larger fraction should leak at 50 GeV than at 2 GeV"


@pytest.mark.data
@pytest.mark.slow
def test_stochastic_resolution_term(response):
    e = np.array(sorted(response))
    res = np.array([response[x][0].std(ddof=1) / response[x][0].mean() for x in e])
    n = np.array([response[x][0].size for x in e])
    fit = fit_resolution(e, res, res / np.sqrt(2 * (n - 1))).as_dict()
    # silicon-tungsten with ~1 X0 sampling: CALICE measured 16.6 %/sqrt(E) (+) 1.1 % (arXiv:0811.2354)
    assert 0.12 < fit["a"] < 0.22, f"stochastic term a = {fit['a']:.3f}/sqrt(GeV), expected ~0.17 for Si-W"
    assert fit["b"] < 0.04, f"constant term b = {fit['b']:.3f} is too large for a simulation without miscalibration"


@pytest.mark.data
def test_same_seed_same_bytes_and_seeds_differ():
    a = cal.simulate([3.0, 5.0], seed=1)
    b = cal.simulate([3.0, 5.0], seed=1)
    c = cal.simulate([3.0, 5.0], seed=2)
    g = cal.simulate([3.0, 5.0], seed=1, particle="gamma")
    assert a.dtype == np.float32 and a.shape == (2, G.n_layers, G.n_cells, G.n_cells)
    assert a.tobytes() == b.tobytes(), "the same seed gave different showers"
    assert not np.array_equal(a, c), "different seeds gave the same showers"
    assert not np.array_equal(a, g), "electrons and photons gave the same showers"
    assert (a[a > 0] >= G.threshold_MeV / 1000).all(), "zero suppression let a cell below threshold through"
    centre = G.n_cells // 2
    per_cell = a.sum(axis=(0, 1))
    assert per_cell.argmax() == centre * G.n_cells + centre, "the beam should hit the central cell"


@pytest.mark.unit
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"energies": [1.0], "particle": "mu-"}, "unknown particle 'mu-'"),
        ({"energies": [1.0, float("nan")]}, "NaN"),
        ({"energies": [-1.0]}, "must be > 1.022 MeV"),
        ({"energies": [[1.0, 2.0]]}, "1-d array"),
    ],
)
def test_bad_simulation_inputs(kwargs, match):
    with pytest.raises(ValueError, match=match):
        cal.simulate(**kwargs)


@pytest.mark.unit
def test_bad_geometry():
    with pytest.raises(ValueError, match="n_cells must be odd"):
        cal.CalorimeterGeometry(n_cells=10)
    thin = cal.CalorimeterGeometry(absorber_thickness_mm=1.0)
    with pytest.raises(ValueError, match="could cross two active layers"):
        cal.simulate([1.0], geometry=thin)


@pytest.mark.data
def test_shower_shapes_validate_and_agree():
    x = cal.simulate(np.full(6, 4.0), seed=3)
    assert ss.layer_energies(x).shape == (6, G.n_layers)
    assert ss.longitudinal_profile(x).sum() == pytest.approx(1.0)
    rings = ss.radial_profile(x, G)
    assert rings.shape[1] == len(ss.radial_bin_edges(G)) - 1
    np.testing.assert_allclose(rings.sum(axis=1), x.sum(axis=(1, 2, 3)), rtol=1e-5)
    c1, c2 = ss.containment(x, 5.0, G), ss.containment(x, 20.0, G)
    assert np.all(c1 <= c2) and np.all(c2 <= 1 + 1e-9)
    assert ss.containment(x, 100.0, G) == pytest.approx(1.0)
    hits = np.zeros((2, G.n_layers, G.n_cells, G.n_cells), dtype=np.float32)
    hits[0, 0, 0, 0] = hits[0, 5, 3, 2] = hits[0, 21, 10, 10] = 1e-3
    hits[1, 2, 2, 2] = 1e-5  # below the threshold
    assert ss.occupancy(hits, 1e-4).tolist() == [3, 0]
    assert np.all(ss.centroid_depth_X0(x, G) > 2) and np.all(ss.lateral_width_mm(x, G) > 0)
    with pytest.raises(ValueError, match="shape"):
        ss.layer_energies(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="do not match the geometry"):
        ss.radial_profile(np.zeros((2, 5, 7, 7)), G)
    bad = x.copy()
    bad[0, 3, 5, 5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ss.containment(bad, 10.0, G)
    with pytest.raises(ValueError, match="no energy"):
        ss.shower_max_X0(np.zeros_like(x), G)
