"""Jet clustering with FastJet (anti-kT) and the boosted-jet selection of the top-tagging benchmark.

All events of a batch are clustered in one call of FastJet's awkward-array interface; the
leading jet of each event is kept with its constituents sorted by pT, truncated to the 200
hardest and zero-padded, as in the public dataset (arXiv:1902.09914).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import awkward as ak
import numpy as np

from .kinematics import delta_r, eta, phi, pt


@dataclass(frozen=True)
class JetSelection:
    """Jet definition and cuts; stored in each cache file."""

    algorithm: str = "antikt"
    radius: float = 0.8
    pt_min: float = 550.0
    pt_max: float = 650.0
    eta_max: float = 2.0
    top_match_dr: float = 0.8  # top and its b, q, q' all within this distance of the jet axis
    n_constituents: int = 200

    def to_dict(self) -> dict:
        return asdict(self)


def _to_awkward(p4: np.ndarray, counts: np.ndarray) -> ak.Array:
    fields = {"px": p4[:, 1], "py": p4[:, 2], "pz": p4[:, 3], "E": p4[:, 0]}
    return ak.unflatten(ak.zip(fields), counts)


def _quiet_fastjet():
    import fastjet

    fastjet.ClusterSequence.print_banner = lambda *a, **k: None  # pragma: no cover - cosmetics
    return fastjet


def leading_jets(candidates: np.ndarray, counts: np.ndarray, selection: JetSelection = JetSelection()):
    """Cluster each event and return (jet four-momenta (n, 4), padded constituents (n, N, 4)).

    Events with no jet get a zero jet and no constituents (they fail any pT cut).
    """
    fastjet = _quiet_fastjet()
    algorithms = {"antikt": fastjet.antikt_algorithm, "kt": fastjet.kt_algorithm, "cambridge": fastjet.cambridge_algorithm}
    jet_def = fastjet.JetDefinition(algorithms[selection.algorithm], selection.radius)
    sequence = fastjet.ClusterSequence(_to_awkward(candidates, counts), jet_def)
    jets = sequence.inclusive_jets()
    constituents = sequence.constituents()
    jet_pt = np.hypot(jets.px, jets.py)
    lead = ak.argmax(jet_pt, axis=1, keepdims=True)
    lead_jet = ak.firsts(jets[lead])
    lead_const = ak.firsts(constituents[lead])
    jet_p4 = np.stack([ak.to_numpy(ak.fill_none(lead_jet[f], 0.0)) for f in ("E", "px", "py", "pz")], axis=-1)
    const_pt = np.hypot(lead_const.px, lead_const.py)
    lead_const = lead_const[ak.argsort(const_pt, axis=1, ascending=False)]
    padded = ak.pad_none(lead_const, selection.n_constituents, axis=1, clip=True)
    padded_p4 = np.stack(
        [ak.to_numpy(ak.fill_none(padded[f], 0.0)) for f in ("E", "px", "py", "pz")], axis=-1
    )
    return jet_p4, padded_p4


def select(jet_p4: np.ndarray, partons: np.ndarray | None, selection: JetSelection = JetSelection(), *, require_top: bool):
    """Boolean mask of jets passing the pT and |eta| window (and the top truth match if asked)."""
    jet_pt, jet_eta, jet_phi = pt(jet_p4), eta(jet_p4), phi(jet_p4)
    passed = (jet_pt > selection.pt_min) & (jet_pt < selection.pt_max) & (np.abs(jet_eta) < selection.eta_max)
    if require_top:
        # partons: (n, 2 tops, 4 objects, [eta, phi]); NaN distances compare False.
        dr = delta_r(partons[..., 0], partons[..., 1], jet_eta[:, None, None], jet_phi[:, None, None])
        matched = np.all(dr < selection.top_match_dr, axis=2).any(axis=1)
        passed &= matched
    return passed
