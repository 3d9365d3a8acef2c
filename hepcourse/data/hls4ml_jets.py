"""Five-class jet tagging (g, q, W, Z, t) at 1 TeV, generated offline with Pythia 8 + FastJet (mirror of the hls4ml LHC jet dataset).

Dataset card
------------
* **Mirrors**: the hls4ml LHC jet dataset of "Fast inference of deep neural networks in FPGAs
  for particle physics" (Duarte et al., arXiv:1804.06913; Pierini et al., Zenodo record
  3602254), in the 16-feature form published on OpenML as data set 42468
  "hls4ml_lhc_jets_hlf". ``source="public"`` reads that file instead (opt-in download,
  `hepcourse.data.public_hls4ml`).
* **Generator**: Pythia 8 (``pythia8mc`` 8.317), pp at sqrt(s) = 13 TeV, default tune (Monash),
  MPI, ISR/FSR and hadronisation on, pTHat 850-1200 GeV; one process per class
  (`hepcourse.physics.hls4ml_events`): g from gg -> gg and q qbar -> gg, q from qq -> qq and
  q qbar -> q' qbar' (u, d, s), W from WW and Z from ZZ pair production with hadronic decays,
  t from t tbar with hadronic W decays.
* **Detector**: the particle-flow model of `hepcourse.physics.detector` (tracks with efficiency
  and resolution, calorimeter towers with EM and hadronic resolutions), as for the top-tagging
  jets but with towers of 0.05 in eta x 5 degrees in phi instead of 0.1 x 10 degrees
  (``DETECTOR``): at pT ~ 1 TeV the two quarks of a W are only 2 m/pT ~ 0.16 apart, and the
  coarse towers smear the groomed mass so much that W and Z overlap. Measured by
  ``benchmarks/hls4ml_detector.py`` on 150 W and 150 Z jets (jets with 60 < m_mmdt < 120 GeV;
  IQR/1.35 as resolution; accuracy of the best single mass cut between W and Z): 0.1 x 10 degrees 10.5 GeV, 66 %; 0.087 x 5 degrees (CMS
  HCAL) 8.4 GeV, 73 %; 0.05 x 5 degrees 7.0 GeV, 80 %; no detector 2.7 GeV, 88 %. Any other
  model is one argument away, e.g. particle level with
  ``settings=Hls4mlJetSettings(detector=DetectorSettings(enabled=False))``; ``multiplicity``
  counts tracks + towers with the detector, hadrons without. The public data used a simplified
  detector whose parameters are not published with the 16-feature file.
* **Jets**: FastJet anti-kT R = 0.8 on the particle-flow candidates; the leading jet of each
  event with 900 < pT < 1100 GeV and |eta| < 2, truth-matched within dR < 0.8: for W, Z, t the
  resonance and all its decay quarks; for q, g the hardest outgoing parton of the hard process
  inside the jet must be a light quark (u, d, s) or a gluon.
* **Features** (``X``, float32 (n, 16), columns ``FEATURE_NAMES``, the names and order of OpenML
  42468): zlogz, the mMDT-groomed (soft drop beta = 0, z_cut = 0.1) energy-correlation ratios
  C1 (b = 0, 1, 2), C2, D2, D2^(alpha=1), M2, N2 (b = 1, 2), the groomed mass and the
  constituent multiplicity; definitions in `hepcourse.physics.ecf`.
* **Labels** (``y``, int64): the index in ``CLASSES = ("g", "q", "w", "z", "t")``; ``load``
  returns the five classes balanced (n/5 each) in a seeded random order.
* **Sizes**: ``sizes(profile)`` gives the jets per split (all classes together):
  quick 4500 / 1500 / 3000 (train / val / test), full 60000 / 15000 / 30000.
* **Splits**: train / val / test come from different Pythia random streams, so they are disjoint.
* **Determinism and cache**: shards of ``SHARD_SIZE`` jets of one class, each seeded from
  (dataset, class, split, seed, shard index); the same seed and settings give the same bytes
  whatever the number of worker processes. Shards are cached as HDF5 in
  ``$HEPCOURSE_DATA/hls4ml_jets/<settings hash>/`` with all settings and generator versions
  inside; a truncated, corrupted or differently-configured file is reported and regenerated.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import numpy as np

from .. import config
from ..physics.detector import DetectorSettings, apply_detector
from ..physics.ecf import FEATURE_NAMES, MMDT_BETA, MMDT_Z_CUT, hls4ml_features
from ..physics.hls4ml_events import CLASSES, PROCESSES, Hls4mlEventSource, matched_label
from ..physics.jets import JetSelection, leading_jets, select
from ..physics.kinematics import eta, phi
from .cache import ensure, missing, read_validated, settings_hash, status
from .sharding import derive_seed, run_parallel

NAME = "hls4ml_jets"
FORMAT_VERSION = 1
SHARD_SIZE = 300
MAX_EVENTS_PER_BATCH = 100
SPLITS = ("train", "val", "test")
SOURCES = ("generated", "public")
SELECTION = JetSelection(pt_min=900.0, pt_max=1100.0, eta_max=2.0, top_match_dr=0.8, n_constituents=400)
# The particle-flow detector of the top-tagging jets with calorimeter towers of 0.05 x 5 degrees
# instead of 0.1 x 10 degrees (see the card: the W decay quarks are only ~0.16 apart at 1 TeV).
DETECTOR = DetectorSettings(cell_size=0.05, cell_phi_bins=72)
# Jets per class in each split; load() takes five times these (all classes together).
SIZES_PER_CLASS = {
    "quick": {"train": 900, "val": 300, "test": 600},
    "full": {"train": 12000, "val": 3000, "test": 6000},
}

__all__ = ["CLASSES", "FEATURE_NAMES", "Hls4mlJetSettings", "load", "sizes", "generate_shard", "prepare"]


@dataclass(frozen=True)
class Hls4mlJetSettings:
    """Everything that determines the bytes of a shard (besides class, split, seed and index)."""

    detector: DetectorSettings = DETECTOR
    selection: JetSelection = SELECTION
    shard_size: int = SHARD_SIZE

    def common(self) -> dict:
        return {
            "dataset": NAME,
            "format_version": FORMAT_VERSION,
            "detector": self.detector.to_dict(),
            "selection": self.selection.to_dict(),
            "shard_size": self.shard_size,
            "features": list(FEATURE_NAMES),
            "mmdt": {"z_cut": MMDT_Z_CUT, "beta": MMDT_BETA},
            "versions": _generator_versions(),
        }


@lru_cache(maxsize=1)
def _generator_versions() -> dict:
    return {pkg: version(pkg) for pkg in ("pythia8mc", "fastjet", "numpy")}


def sizes(profile: str | config.Profile | None = None) -> dict[str, int]:
    """Jets per split (all five classes together) that a profile's notebooks use."""
    name = profile.name if isinstance(profile, config.Profile) else config.profile(profile).name
    return {split: len(CLASSES) * n for split, n in SIZES_PER_CLASS[name].items()}


def _check_kind(kind: str) -> None:
    if kind not in CLASSES:
        raise ValueError(f"unknown hls4ml jet class {kind!r}; choose one of {CLASSES}")


def shard_settings(kind: str, split: str, seed: int, shard: int, settings: Hls4mlJetSettings) -> dict:
    """Full settings of one shard, as stored in (and checked against) its file."""
    _check_kind(kind)
    return {
        **settings.common(),
        "class": kind,
        "process": PROCESSES[kind].to_dict(),
        "split": split,
        "seed": seed,
        "shard": shard,
        "pythia_seed": derive_seed(NAME, kind, split, seed, shard),
    }


def shard_path(kind: str, split: str, seed: int, shard: int, settings: Hls4mlJetSettings) -> Path:
    return (config.data_dir() / NAME / settings_hash(settings.common()) / split
            / f"{kind}-seed{seed}-shard{shard:05d}.h5")


def generate_shard(kind: str, split: str, seed: int, shard: int,
                   settings: Hls4mlJetSettings = Hls4mlJetSettings()) -> dict[str, np.ndarray]:
    """Generate one shard: ``settings.shard_size`` truth-matched jets of class ``kind``, in memory."""
    info = shard_settings(kind, split, seed, shard, settings)
    source = Hls4mlEventSource(kind, info["pythia_seed"])
    detector_rng = np.random.default_rng(derive_seed(NAME, "detector", kind, split, seed, shard, modulus=2**63))
    features, jets, n_generated, n_read, n_selected = [], [], 0, 0, 0
    while n_selected < settings.shard_size:
        # Ask for about as many events as still needed (from the efficiency so far), so that
        # the last batch does not overshoot by much; deterministic, as it depends on counts only.
        efficiency = max(n_selected / n_read, 0.2) if n_read else 0.7
        n_events = int(min(MAX_EVENTS_PER_BATCH, max(5, (settings.shard_size - n_selected) / efficiency * 1.05 + 1)))
        batch = source.batch(n_events)
        n_generated += batch.n_generated
        n_read += len(batch.counts)
        candidates, counts = apply_detector(batch.particles, batch.pdg, batch.charge, batch.counts,
                                            detector_rng, settings.detector)
        jet_p4, const = leading_jets(candidates, counts, settings.selection)
        passed = select(jet_p4, None, settings.selection, require_top=False)
        passed &= matched_label(batch.partons, eta(jet_p4), phi(jet_p4), kind, settings.selection.top_match_dr)
        passed &= (const[..., 0] > 0).sum(axis=1) >= 2
        if passed.any():
            features.append(hls4ml_features(const[passed], settings.selection.radius))
            jets.append(jet_p4[passed])
            n_selected += int(passed.sum())
    return {
        "features": np.concatenate(features)[: settings.shard_size].astype(np.float32),
        "jet": np.concatenate(jets)[: settings.shard_size].astype(np.float32),
        "n_generated": np.array(n_generated, dtype=np.int64),
    }


def ensure_shard(kind: str, split: str, seed: int, shard: int,
                 settings: Hls4mlJetSettings = Hls4mlJetSettings()) -> Path:
    """Make sure a valid cache file exists for this shard (generating it if needed); return its path."""
    return ensure(shard_path(kind, split, seed, shard, settings),
                  shard_settings(kind, split, seed, shard, settings),
                  lambda: generate_shard(kind, split, seed, shard, settings),
                  {"card": __doc__.split("Dataset card")[1][:4000]})


def shard_tasks(n: int, split: str, seed: int = 0, settings: Hls4mlJetSettings = Hls4mlJetSettings()) -> list[tuple]:
    """The (class, split, seed, shard, settings) tasks needed for ``n`` jets (n/5 per class) of one split."""
    n_shards = -(-(n // len(CLASSES)) // settings.shard_size)
    return [(kind, split, seed, k, settings) for k in range(n_shards) for kind in CLASSES]


def task_status(task: tuple) -> str:
    """'ok', 'missing' or the reason the cached file is invalid."""
    return status(shard_path(*task), shard_settings(*task))


def prepare(tasks: list[tuple], workers: int | None = None) -> list[Path]:
    """Generate every missing or invalid shard among ``tasks`` in parallel; return all paths."""
    todo = missing(tasks, shard_path, shard_settings)
    if todo:
        run_parallel(ensure_shard, todo, workers=workers, desc=f"generating {NAME} shards")
    return [shard_path(*t) for t in tasks]


def _validate_arguments(n, split, source, seed):
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {SPLITS}")
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; choose one of {SOURCES}")
    if source == "public":
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
    elif isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < len(CLASSES) or n % len(CLASSES):
        raise ValueError(f"n must be a positive multiple of {len(CLASSES)} (n/5 jets of each class "
                         f"{', '.join(CLASSES)}), got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def load(n: int, *, split: str = "train", source: str = "generated", seed: int = 0,
         workers: int | None = None, settings: Hls4mlJetSettings = Hls4mlJetSettings()):
    """Return ``(X, y)``: ``n`` jets (n/5 of each class) of one split.

    ``X`` is float32 (n, 16) in ``FEATURE_NAMES`` order, ``y`` int64 (n,) the index in ``CLASSES``.
    Generated data are produced on first use (in parallel shards, with a progress bar) and read
    from the cache afterwards. ``source="public"`` reads the OpenML 42468 file instead
    (downloading it once, with a checksum); ``seed`` then chooses the random split of that file.
    """
    _validate_arguments(n, split, source, seed)
    if source == "public":
        from . import public_hls4ml

        return public_hls4ml.load(n, split=split, seed=seed)
    tasks = shard_tasks(n, split, seed, settings)
    paths = prepare(tasks, workers=workers)
    per_class = {kind: [] for kind in CLASSES}
    for task, path in zip(tasks, paths):
        arrays, _ = read_validated(path, shard_settings(*task))
        per_class[task[0]].append(arrays["features"])
    k = n // len(CLASSES)
    data = np.concatenate([np.concatenate(per_class[kind])[:k] for kind in CLASSES])
    labels = np.repeat(np.arange(len(CLASSES), dtype=np.int64), k)
    order = np.random.default_rng(derive_seed(NAME, "order", split, seed, n, modulus=2**63)).permutation(n)
    return data[order], labels[order]


def card() -> str:
    """The dataset card (this module's docstring)."""
    return __doc__


def profile_tasks(profile: config.Profile, seed: int = 0) -> list[tuple]:
    """All shard tasks that a profile's notebooks need (train, val and test splits)."""
    return [task for split, n in sizes(profile).items() for task in shard_tasks(n, split, seed)]


def task_label(task: tuple) -> str:
    kind, split, seed, shard, _ = task
    return f"{NAME}/{split}/{kind}-seed{seed}-shard{shard:05d}"


def task_path(task: tuple) -> Path:
    """Where a task's cache file lives (under the current HEPCOURSE_DATA)."""
    return shard_path(*task)


def task_settings(task: tuple) -> dict:
    """The settings a task's cache file must hold to be valid."""
    return shard_settings(*task)
