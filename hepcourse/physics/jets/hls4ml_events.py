"""Pythia 8 processes and truth matching for the five-class hls4ml jet sample (g, q, W, Z, t at ~1 TeV).

One process per class, pp at sqrt(s) = 13 TeV, each producing the jet kind it is named after
at pT around 1 TeV (the public hls4ml LHC jet dataset, arXiv:1804.06913, generated separate
samples per class in the same way):

* ``g``: QCD 2 -> 2 with two gluons in the final state (``HardQCD:gg2gg``, ``HardQCD:qqbar2gg``);
* ``q``: QCD 2 -> 2 with two quarks in the final state (``HardQCD:qq2qq``,
  ``HardQCD:qqbar2qqbarNew`` with u, d, s as new flavours);
* ``w``: W+W- pairs (``WeakDoubleBoson:ffbar2WW``), both W -> q q';
* ``z``: Z Z pairs (``WeakDoubleBoson:ffbar2gmZgmZ`` with the pure-Z option ``WeakZ0:gmZmode = 2``),
  both Z -> q qbar (u, d, s, c, b);
* ``t``: t tbar (``Top:gg2ttbar``, ``Top:qqbar2ttbar``), both W -> q q'.

Truth record (``EventBatch.partons``; per event an array (2 candidates, 4 objects, 4) of
(eta, phi, pT, PDG id), NaN where absent): for ``w``/``z`` the two bosons and their two decay
quarks, for ``t`` the two tops with b, q, q'; for ``g``/``q`` the two outgoing partons of the
hard process (one object each). `matched_label` decides per jet whether it is a jet of the
wanted class: a W/Z/top jet needs the resonance and all its decay quarks within dR < match_dr
of the jet axis; a q/g jet takes the hardest outgoing parton within dR < match_dr, and its
flavour (gluon, or u/d/s quark) must be the class's.

The cheap C++ pre-filter of `hepcourse.physics.jets.pythia_events.JetEventSource` runs first (SlowJet
anti-kT R = 0.8 on the visible final state); the same truth match is applied to the
particle-level leading jet with the looser radius ``prefilter_top_dr`` before any particle is
read out to Python.
"""

from __future__ import annotations

import numpy as np

from .kinematics import delta_r
from .pythia_events import COMMON_SETTINGS, JetEventSource, ProcessSettings

CLASSES = ("g", "q", "w", "z", "t")
GLUON = 21
LIGHT_QUARKS = (1, 2, 3)
RESONANCES = {"w": 24, "z": 23, "t": 6}

COMMON_13TEV = tuple(s for s in COMMON_SETTINGS if not s.startswith("Beams:eCM")) + ("Beams:eCM = 13000.",)
PTHAT = ("PhaseSpace:pTHatMin = 850.", "PhaseSpace:pTHatMax = 1200.")
HADRONIC_W = ("24:onMode = off", "24:onIfAny = 1 2 3 4 5")


def _process(name: str, *lines: str) -> ProcessSettings:
    return ProcessSettings(name, COMMON_13TEV + PTHAT + lines, prefilter_pt=(800.0, 1250.0),
                           prefilter_eta=2.6, prefilter_top_dr=1.0)


PROCESSES = {
    "g": _process("hls4ml_g", "HardQCD:gg2gg = on", "HardQCD:qqbar2gg = on"),
    "q": _process("hls4ml_q", "HardQCD:qq2qq = on", "HardQCD:qqbar2qqbarNew = on", "HardQCD:nQuarkNew = 3"),
    "w": _process("hls4ml_w", "WeakDoubleBoson:ffbar2WW = on", *HADRONIC_W),
    "z": _process("hls4ml_z", "WeakDoubleBoson:ffbar2gmZgmZ = on", "WeakZ0:gmZmode = 2",
                  "23:onMode = off", "23:onIfAny = 1 2 3 4 5"),
    "t": _process("hls4ml_t", "Top:gg2ttbar = on", "Top:qqbar2ttbar = on", *HADRONIC_W),
}


def _row(p) -> tuple[float, float, float, float]:
    return (p.eta(), p.phi(), p.pT(), float(p.id()))


def truth_objects(record, kind: str) -> np.ndarray:
    """(2, 4, 4) array of (eta, phi, pT, id) of the truth objects of one event (NaN if absent)."""
    out = np.full((2, 4, 4), np.nan)
    if kind in ("g", "q"):
        outgoing = [record[i] for i in range(record.size()) if record[i].status() == 23]
        for k, parton in enumerate(outgoing[:2]):
            out[k, 0] = _row(parton)
        return out
    n = 0
    for i in range(record.size()):
        res = record[i]
        if abs(res.id()) != RESONANCES[kind] or n == 2:
            continue
        daughters = [record[j] for j in res.daughterList()]
        if kind == "t":
            b = [d for d in daughters if abs(d.id()) == 5]
            w = [d for d in daughters if abs(d.id()) == 24]
            if not b or not w:
                continue
            quarks = [b[0]] + [record[j] for j in w[0].daughterList() if abs(record[j].id()) <= 5]
            if len(quarks) != 3:
                continue
        else:
            quarks = [d for d in daughters if abs(d.id()) <= 5]
            if len(quarks) != 2:
                continue
        for k, p in enumerate([res, *quarks]):
            out[n, k] = _row(p)
        n += 1
    return out


def matched_label(truth: np.ndarray, jet_eta, jet_phi, kind: str, match_dr: float) -> np.ndarray:
    """Boolean mask: is each jet a truth-matched jet of class ``kind``?

    ``truth`` is (n, 2, 4, 4) as from `truth_objects`, ``jet_eta``/``jet_phi`` are (n,).
    """
    truth = np.asarray(truth, dtype=np.float64)
    jet_eta = np.asarray(jet_eta, dtype=np.float64)[:, None, None]
    jet_phi = np.asarray(jet_phi, dtype=np.float64)[:, None, None]
    dr = delta_r(truth[..., 0], truth[..., 1], jet_eta, jet_phi)  # (n, 2, 4); NaN where absent
    if kind in RESONANCES:
        present = ~np.isnan(truth[..., 0])
        inside = np.where(present, dr < match_dr, True)
        return (present[..., 0] & inside.all(axis=2)).any(axis=1)
    near = dr[..., 0] < match_dr  # (n, 2): which outgoing partons lie inside the jet
    pt = np.where(near, truth[..., 0, 2], -np.inf)
    hardest = np.argmax(pt, axis=1)
    any_near = near.any(axis=1)
    flavour = np.abs(np.take_along_axis(truth[..., 0, 3], hardest[:, None], axis=1)[:, 0])
    wanted = flavour == GLUON if kind == "g" else np.isin(flavour, LIGHT_QUARKS)
    return any_near & wanted


class Hls4mlEventSource(JetEventSource):
    """`JetEventSource` for one hls4ml class: same pre-filter, class-specific truth and match."""

    def __init__(self, kind: str, seed: int):
        if kind not in PROCESSES:
            raise ValueError(f"unknown hls4ml jet class {kind!r}; choose one of {CLASSES}")
        self.kind = kind
        super().__init__(PROCESSES[kind], seed)

    def _passes_prefilter(self) -> np.ndarray | None:
        jet = self._leading_jet_in_window()
        if jet is None:
            return None
        jet_eta, jet_phi = jet
        proc = self.process
        truth = truth_objects(self.pythia.process, self.kind)
        if not matched_label(truth[None], [jet_eta], [jet_phi], self.kind, proc.prefilter_top_dr)[0]:
            return None
        return truth
