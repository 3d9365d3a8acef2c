"""The 16 high-level features of the hls4ml jet dataset: mMDT grooming and energy correlation functions.

Definitions (as in the code that produced the public hls4ml LHC jet dataset, which used
FastJet contrib's ``SoftDrop`` and ``EnergyCorrelator`` classes with the ``pt_R`` measure):

* **mMDT grooming** (modified mass-drop tagger, Dasgupta et al. arXiv:1307.0007) = soft drop
  (Larkoski et al. arXiv:1402.2657) with beta = 0 and z_cut = 0.1: the jet is reclustered
  with Cambridge/Aachen and declustered from the top; the softer branch is dropped until
  min(pT1, pT2) / (pT1 + pT2) > z_cut. Done by FastJet's ``exclusive_jets_softdrop_grooming``.
  Every ``*_mmdt`` feature is computed on the groomed constituents.
* **Energy correlation functions** (Larkoski, Salam, Thaler arXiv:1305.0007), with
  z_i = pT_i / sum pT and R_ij the distance in (rapidity, phi):
  e2^(b) = sum_{i<j} z_i z_j R_ij^b,  e3^(b) = sum_{i<j<k} z_i z_j z_k (R_ij R_ik R_jk)^b.
  Generalised ones (Moult, Necib, Thaler arXiv:1609.07483) keep only the m smallest of the
  three angles of a triplet: 1e3^(b) = sum z_i z_j z_k min(R)^b, 2e3^(b) = sum z_i z_j z_k
  (R_min R_mid)^b; for two particles 1e2 = e2.
* The features (b = beta, a = alpha):

  ====================  ==========================================================
  ``zlogz``             sum_i z_i log z_i with z_i = E_i / E_jet, ungroomed jet
  ``c1_b{0,1,2}_mmdt``  C1^(b) = e2^(b)  (FastJet ``EnergyCorrelatorDoubleRatio(1, b)``)
  ``c2_b{1,2}_mmdt``    C2^(b) = e3^(b) / (e2^(b))^2
  ``d2_b{1,2}_mmdt``    D2^(b) = e3^(b) / (e2^(b))^3
  ``d2_a1_b{1,2}_mmdt`` D2^(a=1, b) = e3^(1) / (e2^(b))^(3/b)  (so d2_a1_b1 = d2_b1)
  ``m2_b{1,2}_mmdt``    M2^(b) = 1e3^(b) / 1e2^(b)
  ``n2_b{1,2}_mmdt``    N2^(b) = 2e3^(b) / (1e2^(b))^2
  ``mass_mmdt``         invariant mass of the groomed jet, GeV
  ``multiplicity``      number of constituents of the ungroomed jet
  ====================  ==========================================================

2-prong jets (W, Z) have small D2, N2 and C2; 3-prong tops small ratios of higher order; QCD
jets large ones. The ECFs are computed here in numpy from one enumeration of the triplets per
jet, which gives all 13 ratios at once (on 80-constituent jets about as fast as FastJet's
``exclusive_jets_energy_correlator`` called once per ratio, ~20 ms per jet on a busy core; less
than a tenth of the generation time per jet); tests/test_hls4ml_jets_ecf.py checks every
feature against FastJet on real jets. A groomed jet with a single
constituent has e2 = 0; its ratios are set to 0 (they are undefined) so that every feature
stays finite.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import awkward as ak
import numpy as np

from .kinematics import mass

FEATURE_NAMES = (
    "zlogz", "c1_b0_mmdt", "c1_b1_mmdt", "c1_b2_mmdt", "c2_b1_mmdt", "c2_b2_mmdt",
    "d2_b1_mmdt", "d2_b2_mmdt", "d2_a1_b1_mmdt", "d2_a1_b2_mmdt", "m2_b1_mmdt", "m2_b2_mmdt",
    "n2_b1_mmdt", "n2_b2_mmdt", "mass_mmdt", "multiplicity",
)
MMDT_Z_CUT = 0.1
MMDT_BETA = 0.0


def _quiet_fastjet():
    from .clustering import _quiet_fastjet

    return _quiet_fastjet()


def _jets_awkward(constituents: np.ndarray) -> ak.Array:
    """Padded (n, N, 4) (E, px, py, pz) -> one awkward 'event' per jet with its real constituents."""
    real = constituents[..., 0] > 0
    flat = constituents[real]
    return ak.unflatten(ak.zip({"px": flat[:, 1], "py": flat[:, 2], "pz": flat[:, 3], "E": flat[:, 0]}),
                        real.sum(axis=1))


def _whole_jet_sequence(events: ak.Array):
    """Cambridge/Aachen with R = 10, so that the one exclusive jet of each entry is the whole jet."""
    fastjet = _quiet_fastjet()
    return fastjet.ClusterSequence(events, fastjet.JetDefinition(fastjet.cambridge_algorithm, 10.0))


def mmdt_groom(constituents: np.ndarray, z_cut: float = MMDT_Z_CUT, beta: float = MMDT_BETA,
               radius: float = 0.8) -> tuple[list[np.ndarray], np.ndarray]:
    """Soft-drop groom each jet (mMDT for beta = 0); return (groomed constituents per jet, groomed mass).

    The groomed constituents come as a list of (k_i, 4) float64 arrays (E, px, py, pz).
    """
    sequence = _whole_jet_sequence(_jets_awkward(constituents))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="dcut and exclusive jets")
        groomed = sequence.exclusive_jets_softdrop_grooming(njets=1, beta=beta, symmetry_cut=z_cut, R0=radius)
    c = groomed.constituents
    counts = ak.to_numpy(ak.num(c, axis=1))
    flat = np.stack([ak.to_numpy(ak.flatten(c[f])) for f in ("E", "px", "py", "pz")], axis=-1).astype(np.float64)
    parts = np.split(flat, np.cumsum(counts)[:-1])
    return parts, np.array([mass(p.sum(axis=0)) for p in parts])


@lru_cache(maxsize=32)
def _triplets(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index arrays (a, b, c) of all triplets a < b < c of n particles."""
    a, b = np.triu_indices(n, 1)
    count = n - 1 - b
    start = np.cumsum(count) - count
    offset = np.arange(int(count.sum())) - np.repeat(start, count)
    return np.repeat(a, count), np.repeat(b, count), np.repeat(b, count) + 1 + offset


def _rap_phi(p4: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    e, pz = p4[:, 0], p4[:, 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        rap = 0.5 * np.log(np.maximum(e + pz, 1e-300) / np.maximum(e - pz, 1e-300))
    return rap, np.arctan2(p4[:, 2], p4[:, 1])


def _power(x: np.ndarray, beta: float) -> np.ndarray:
    """x**beta, with the common exponents done by multiplication (several times faster)."""
    if beta == 0:
        return np.ones_like(x)
    if beta == 1:
        return x
    if beta == 2:
        return x * x
    return x**beta


def correlators(p4: np.ndarray, betas=(1.0, 2.0)) -> dict[str, float]:
    """Normalised ECFs of one jet's constituents (k, 4): e2, e3, 1e3, 2e3 for each beta.

    Keys look like ``"e2_b1"``, ``"e3_b2"``, ``"1e3_b1"``, ``"2e3_b2"``.
    """
    p4 = np.asarray(p4, dtype=np.float64)
    n = len(p4)
    out = {}
    pt = np.hypot(p4[:, 1], p4[:, 2])
    z = pt / pt.sum() if n else pt
    rap, phi = _rap_phi(p4)
    dphi = (phi[:, None] - phi[None, :] + np.pi) % (2 * np.pi) - np.pi
    r = np.hypot(rap[:, None] - rap[None, :], dphi)
    iu, ju = np.triu_indices(n, 1)
    zz, r2 = z[iu] * z[ju], r[iu, ju]
    if n >= 3:
        a, b, c = _triplets(n)
        zzz = z[a] * z[b] * z[c]
        flat = r.ravel()
        rab, rac, rbc = flat[a * n + b], flat[a * n + c], flat[b * n + c]
        low = np.minimum(np.minimum(rab, rac), rbc)
        mid = rab + rac + rbc - low - np.maximum(np.maximum(rab, rac), rbc)
        base = {"e3": rab * rac * rbc, "1e3": low, "2e3": low * mid}
    for beta in betas:
        tag = f"b{beta:g}"
        out[f"e2_{tag}"] = float((zz * _power(r2, beta)).sum())
        for name in ("e3", "1e3", "2e3"):
            out[f"{name}_{tag}"] = float((zzz * _power(base[name], beta)).sum()) if n >= 3 else 0.0
    return out


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else 0.0


def ecf_features(p4: np.ndarray) -> list[float]:
    """The 13 groomed ECF features (c1 ... n2, in FEATURE_NAMES order) of one groomed jet."""
    e = correlators(p4)
    z = np.hypot(p4[:, 1], p4[:, 2])
    z = z / z.sum()
    c1_b0 = 0.5 * (1.0 - float((z * z).sum()))  # e2^(0) = sum_{i<j} z_i z_j
    return [
        c1_b0, e["e2_b1"], e["e2_b2"],
        _ratio(e["e3_b1"], e["e2_b1"] ** 2), _ratio(e["e3_b2"], e["e2_b2"] ** 2),
        _ratio(e["e3_b1"], e["e2_b1"] ** 3), _ratio(e["e3_b2"], e["e2_b2"] ** 3),
        _ratio(e["e3_b1"], e["e2_b1"] ** 3), _ratio(e["e3_b1"], e["e2_b2"] ** 1.5),
        _ratio(e["1e3_b1"], e["e2_b1"]), _ratio(e["1e3_b2"], e["e2_b2"]),
        _ratio(e["2e3_b1"], e["e2_b1"] ** 2), _ratio(e["2e3_b2"], e["e2_b2"] ** 2),
    ]


def hls4ml_features(constituents: np.ndarray, radius: float = 0.8) -> np.ndarray:
    """(n, N, 4) padded (E, px, py, pz) jet constituents -> (n, 16) float32 features (FEATURE_NAMES)."""
    constituents = np.asarray(constituents, dtype=np.float64)
    if constituents.ndim != 3 or constituents.shape[-1] != 4:
        raise ValueError(f"constituents must have shape (n_jets, n_constituents, 4), got {constituents.shape}")
    if not np.isfinite(constituents).all():
        raise ValueError("constituents contain NaN or inf")
    real = constituents[..., 0] > 0
    multiplicity = real.sum(axis=1)
    if np.any(multiplicity < 1):
        raise ValueError(f"{int(np.sum(multiplicity < 1))} jets have no constituents")
    energy = constituents[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = energy / energy.sum(axis=1, keepdims=True)
        zlogz = np.where(real, z * np.log(np.where(real, z, 1.0)), 0.0).sum(axis=1)
    groomed, groomed_mass = mmdt_groom(constituents, radius=radius)
    ecfs = np.array([ecf_features(g) for g in groomed])
    return np.column_stack([zlogz, ecfs, groomed_mass, multiplicity]).astype(np.float32)
