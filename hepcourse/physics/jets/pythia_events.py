"""Pythia 8 event source for boosted-jet samples: configuration, a cheap C++ pre-filter and
particle extraction.

Why a pre-filter: the Python bindings of Pythia give access to one particle at a time, which
costs about as much per event as a third of ``Pythia.next()`` itself. Pythia's own SlowJet
(anti-kT through its built-in fjcore, all in C++) clusters the visible final state first; only
events whose leading particle-level jet lies in a loose window around the analysis cuts (and,
for top quarks, has a hadronic top nearby) are read out to Python. The loose window is wide
enough that the detector-level selection downstream is not biased by it; the tests check that
the selected jets never come near its edges.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import compress

import numpy as np

from .kinematics import delta_r

NEUTRINOS = (12, 14, 16)


@dataclass(frozen=True)
class ProcessSettings:
    """Pythia settings of one physics process (all of them end up in the cache file)."""

    name: str
    pythia_settings: tuple[str, ...]
    prefilter_pt: tuple[float, float] = (500.0, 720.0)  # leading particle-level jet, GeV
    prefilter_eta: float = 2.6
    prefilter_top_dr: float = 1.0  # top and b, q, q' within this distance of the jet (top only)

    def to_dict(self) -> dict:
        return asdict(self)


COMMON_SETTINGS = (
    "Beams:eCM = 14000.",
    "Next:numberCount = 0",
    "Next:numberShowEvent = 0",
    "Next:numberShowInfo = 0",
    "Next:numberShowProcess = 0",
    "Init:showChangedSettings = off",
    "Init:showProcesses = off",
    "Init:showChangedParticleData = off",
    "Init:showMultipartonInteractions = off",
    "Print:quiet = on",
)

PROCESSES = {
    # Signal: ttbar with both W bosons decaying to quarks, so both tops are hadronic.
    "top": ProcessSettings(
        "top",
        COMMON_SETTINGS
        + (
            "Top:gg2ttbar = on",
            "Top:qqbar2ttbar = on",
            "PhaseSpace:pTHatMin = 500.",
            "PhaseSpace:pTHatMax = 700.",
            "24:onMode = off",
            "24:onIfAny = 1 2 3 4 5",
        ),
    ),
    # Background: QCD 2->2 scattering (all HardQCD processes, light and heavy flavour).
    "qcd": ProcessSettings(
        "qcd",
        COMMON_SETTINGS
        + (
            "HardQCD:all = on",
            "PhaseSpace:pTHatMin = 520.",
            "PhaseSpace:pTHatMax = 700.",
        ),
    ),
}


@dataclass
class EventBatch:
    """Visible final-state particles of several events, flattened, plus truth information.

    ``particles`` has columns (E, px, py, pz) and ``counts`` the number of particles per
    event; ``pdg`` and ``charge`` are per particle. ``partons`` holds, per event, the
    (eta, phi) of up to two hadronic tops and their three decay quarks (NaN when absent).
    """

    particles: np.ndarray
    pdg: np.ndarray
    charge: np.ndarray
    counts: np.ndarray
    partons: np.ndarray  # (n_events, 2 tops, 4 objects [t, b, q, q'], 2 [eta, phi])
    n_generated: int = 0  # Pythia events generated to obtain these (pre-filter included)
    extra: dict = field(default_factory=dict)


def make_pythia(process: ProcessSettings, seed: int):
    """Configure and initialise Pythia for ``process`` with random seed ``seed``."""
    import pythia8mc

    if not 0 <= seed <= 900_000_000:
        raise ValueError(f"Pythia seeds must lie in [0, 900000000], got {seed}")
    pythia = pythia8mc.Pythia("", False)
    for line in process.pythia_settings + ("Random:setSeed = on", f"Random:seed = {seed}"):
        if not pythia.readString(line):
            raise ValueError(f"Pythia rejected the setting {line!r}")
    if not pythia.init():
        raise RuntimeError(f"Pythia failed to initialise for process {process.name!r}")
    return pythia


def _hadronic_tops(record) -> np.ndarray:
    """(eta, phi) of each hadronically decaying top and its b, q, q' in a Pythia record."""
    out = np.full((2, 4, 2), np.nan)
    n_top = 0
    for i in range(record.size()):
        top = record[i]
        if abs(top.id()) != 6 or n_top == 2:
            continue
        daughters = [record[j] for j in top.daughterList()]
        b = [d for d in daughters if abs(d.id()) == 5]
        w = [d for d in daughters if abs(d.id()) == 24]
        if not b or not w:
            continue
        quarks = [record[j] for j in w[0].daughterList() if abs(record[j].id()) <= 5]
        if len(quarks) != 2:
            continue
        for k, p in enumerate([top, b[0], *quarks]):
            out[n_top, k] = (p.eta(), p.phi())
        n_top += 1
    return out


class JetEventSource:
    """Generates pre-filtered events of one process and returns them in batches."""

    def __init__(self, process: ProcessSettings, seed: int):
        import pythia8mc

        self.process = process
        self.pythia = make_pythia(process, seed)
        # anti-kT (power -1), R = 0.8, visible final state (select = 2), fjcore inside.
        self.slowjet = pythia8mc.SlowJet(-1, 0.8, process.prefilter_pt[0], 5.0, 2, 2, None, True, True)

    def _leading_jet_in_window(self) -> tuple[float, float] | None:
        """(eta, phi) of the leading parton-shower jet if its pT and |eta| pass the pre-filter, else None."""
        sj, proc = self.slowjet, self.process
        if not sj.analyze(self.pythia.event) or sj.sizeJet() == 0:
            return None
        lead = max(range(sj.sizeJet()), key=sj.pT)
        if not (proc.prefilter_pt[0] < sj.pT(lead) < proc.prefilter_pt[1]):
            return None
        jet_eta, jet_phi = sj.p(lead).eta(), sj.phi(lead)
        if abs(jet_eta) > proc.prefilter_eta:
            return None
        return jet_eta, jet_phi

    def _passes_prefilter(self) -> np.ndarray | None:
        proc = self.process
        jet = self._leading_jet_in_window()
        if jet is None:
            return None
        jet_eta, jet_phi = jet
        partons = _hadronic_tops(self.pythia.process) if proc.name == "top" else np.full((2, 4, 2), np.nan)
        if proc.name == "top":
            dr = delta_r(partons[..., 0], partons[..., 1], jet_eta, jet_phi)
            if not np.any(np.all(dr < proc.prefilter_top_dr, axis=1)):
                return None
        return partons

    def _read_particles(self):
        """(E, px, py, pz, pdg id, charge) of the visible final-state particles.

        Unbound methods mapped over the particle list keep the per-particle cost to the
        binding calls themselves (about 25 % faster than a comprehension).
        """
        import pythia8mc

        particle = pythia8mc.Particle
        record = self.pythia.event.particles()
        final = list(compress(record, map(particle.isFinal, record)))
        getters = (particle.e, particle.px, particle.py, particle.pz, particle.id, particle.charge)
        arr = np.array([list(map(get, final)) for get in getters], dtype=np.float64).T
        visible = ~np.isin(np.abs(arr[:, 4]), NEUTRINOS)
        return arr[visible]

    def batch(self, n_events: int) -> EventBatch:
        """Run Pythia until ``n_events`` events have passed the pre-filter."""
        rows, counts, partons, n_generated = [], [], [], 0
        while len(counts) < n_events:
            n_generated += 1
            if not self.pythia.next():
                continue
            truth = self._passes_prefilter()
            if truth is None:
                continue
            arr = self._read_particles()
            rows.append(arr)
            counts.append(len(arr))
            partons.append(truth)
        flat = np.concatenate(rows)
        return EventBatch(
            particles=flat[:, :4],
            pdg=flat[:, 4].astype(np.int32),
            charge=flat[:, 5],
            counts=np.asarray(counts, dtype=np.int64),
            partons=np.stack(partons),
            n_generated=n_generated,
        )
