"""Top-quark vs QCD jets, generated offline with Pythia 8 + FastJet (mirror of the top-tagging benchmark).

Dataset card
------------
* **Mirrors**: the public top-tagging reference dataset of "The Machine Learning Landscape of
  Top Taggers" (Kasieczka, Plehn et al., arXiv:1902.09914; Zenodo record 2603256), which used
  Pythia 8 + Delphes (ATLAS card). ``source="public"`` reads that dataset instead (opt-in download).
* **Generator**: Pythia 8 (``pythia8mc`` 8.317), pp at sqrt(s) = 14 TeV, default tune (Monash),
  multiparton interactions, ISR/FSR and hadronisation on.
  Signal: ttbar (``Top:gg2ttbar``, ``Top:qqbar2ttbar``), pTHat 500-700 GeV, both W -> qq'.
  Background: QCD dijets (``HardQCD:all``), pTHat 520-700 GeV.
* **Detector**: the particle-flow model of `hepcourse.physics.detector`, modelled on the Delphes
  ATLAS card (tracks with efficiency and pT resolution, 0.1 x 10 degree calorimeter towers with
  EM and hadronic resolutions, thresholds);
  switchable with ``detector=DetectorSettings(enabled=False)``.
* **Jets**: FastJet anti-kT R = 0.8 on the particle-flow candidates; the leading jet of each
  event with 550 < pT < 650 GeV and |eta| < 2. Top jets are truth-matched: the top quark and its
  b, q, q' decay quarks all within dR < 0.8 of the jet axis.
* **Representations** (``representation=``):
  ``"constituents"``: (n, 200, 4) float32, (E, px, py, pz) of the 200 hardest constituents,
  pT-ordered, zero-padded, as in the public dataset;
  ``"image"``: (n, 40, 40) float32 jet images (`hepcourse.physics.images`);
  ``"hlf"``: (n, 8) float32 high-level features named in ``HLF_NAMES``
  (mass, pT, tau1, tau2, tau3, tau21, tau32, number of constituents).
* **Labels**: y = 1 top, 0 QCD; ``load`` returns balanced classes in a seeded random order.
* **Splits**: train / val / test come from different Pythia random streams, so they are disjoint.
* **Determinism and cache**: the data are produced in shards of ``SHARD_SIZE`` jets per class,
  each seeded from (dataset, process, split, seed, shard index); the same seed and settings give
  the same bytes whatever the number of worker processes. Shards are cached as HDF5 in
  ``$HEPCOURSE_DATA/jets/<settings hash>/`` with all settings and generator versions inside; a
  truncated, corrupted or differently-configured file is reported and regenerated.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import numpy as np

from .. import config
from ..physics.detector import DetectorSettings, apply_detector
from ..physics.images import jet_images
from ..physics.jets import JetSelection, leading_jets, select
from ..physics.pythia_events import PROCESSES, JetEventSource
from ..physics.substructure import HLF_NAMES, high_level_features
from .cache import ensure, missing, read_validated, settings_hash, status
from .sharding import derive_seed, run_parallel

NAME = "jets"
FORMAT_VERSION = 1
SHARD_SIZE = 250
EVENTS_PER_BATCH = 100
REPRESENTATIONS = ("constituents", "image", "hlf")
SPLITS = ("train", "val", "test")
SOURCES = ("generated", "public")
CLASSES = {"top": 1, "qcd": 0}

__all__ = ["load", "prepare", "generate_shard", "shard_tasks", "HLF_NAMES", "REPRESENTATIONS", "SPLITS"]


@dataclass(frozen=True)
class JetDatasetSettings:
    """Everything that determines the bytes of a shard (besides split, seed and index)."""

    detector: DetectorSettings = DetectorSettings()
    selection: JetSelection = JetSelection()
    shard_size: int = SHARD_SIZE

    def common(self) -> dict:
        return {
            "dataset": NAME,
            "format_version": FORMAT_VERSION,
            "detector": self.detector.to_dict(),
            "selection": self.selection.to_dict(),
            "shard_size": self.shard_size,
            "versions": _generator_versions(),
        }


@lru_cache(maxsize=1)
def _generator_versions() -> dict:
    return {pkg: version(pkg) for pkg in ("pythia8mc", "fastjet", "numpy")}


def shard_settings(process: str, split: str, seed: int, shard: int, settings: JetDatasetSettings) -> dict:
    """Full settings of one shard, as stored in (and checked against) its file."""
    return {
        **settings.common(),
        "process": PROCESSES[process].to_dict(),
        "split": split,
        "seed": seed,
        "shard": shard,
        "pythia_seed": derive_seed(NAME, process, split, seed, shard),
    }


def shard_path(process: str, split: str, seed: int, shard: int, settings: JetDatasetSettings) -> Path:
    return (config.data_dir() / NAME / settings_hash(settings.common()) / split
            / f"{process}-seed{seed}-shard{shard:05d}.h5")


def generate_shard(process: str, split: str, seed: int, shard: int,
                   settings: JetDatasetSettings = JetDatasetSettings()) -> dict[str, np.ndarray]:
    """Generate one shard: ``settings.shard_size`` selected jets of ``process``, in memory."""
    info = shard_settings(process, split, seed, shard, settings)
    source = JetEventSource(PROCESSES[process], info["pythia_seed"])
    detector_rng = np.random.default_rng(derive_seed(NAME, "detector", process, split, seed, shard, modulus=2**63))
    constituents, jets, n_generated = [], [], 0
    n_selected = 0
    while n_selected < settings.shard_size:
        batch = source.batch(EVENTS_PER_BATCH)
        n_generated += batch.n_generated
        candidates, counts = apply_detector(batch.particles, batch.pdg, batch.charge, batch.counts,
                                            detector_rng, settings.detector)
        jet_p4, const = leading_jets(candidates, counts, settings.selection)
        passed = select(jet_p4, batch.partons, settings.selection, require_top=(process == "top"))
        passed &= (const[..., 0] > 0).sum(axis=1) >= 3  # N-subjettiness needs three constituents
        constituents.append(const[passed])
        jets.append(jet_p4[passed])
        n_selected += int(passed.sum())
    constituents = np.concatenate(constituents)[: settings.shard_size].astype(np.float32)
    return {
        "constituents": constituents,
        "jet": np.concatenate(jets)[: settings.shard_size].astype(np.float32),
        "hlf": high_level_features(constituents),
        "n_generated": np.array(n_generated, dtype=np.int64),
    }


def ensure_shard(process: str, split: str, seed: int, shard: int,
                 settings: JetDatasetSettings = JetDatasetSettings()) -> Path:
    """Make sure a valid cache file exists for this shard (generating it if needed); return its path."""
    return ensure(shard_path(process, split, seed, shard, settings),
                  shard_settings(process, split, seed, shard, settings),
                  lambda: generate_shard(process, split, seed, shard, settings),
                  {"card": __doc__.split("Dataset card")[1][:4000]})


def _n_shards(n_per_class: int, settings: JetDatasetSettings) -> int:
    return -(-n_per_class // settings.shard_size)


def shard_tasks(n: int, split: str, seed: int = 0, settings: JetDatasetSettings = JetDatasetSettings()) -> list[tuple]:
    """The (process, split, seed, shard, settings) tasks needed for ``n`` jets of one split."""
    n_shards = _n_shards(n // 2, settings)
    return [(process, split, seed, k, settings) for k in range(n_shards) for process in CLASSES]


def _missing(tasks):
    return missing(tasks, shard_path, shard_settings)




def prepare(tasks: list[tuple], workers: int | None = None) -> list[Path]:
    """Generate every missing or invalid shard among ``tasks`` in parallel; return all paths."""
    todo = _missing(tasks)
    if todo:
        run_parallel(ensure_shard, todo, workers=workers, desc=f"generating {NAME} shards")
    return [shard_path(*t) for t in tasks]


def _validate_arguments(n, representation, split, source):
    if representation not in REPRESENTATIONS:
        raise ValueError(f"unknown representation {representation!r}; choose one of {REPRESENTATIONS}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {SPLITS}")
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; choose one of {SOURCES}")
    if not isinstance(n, (int, np.integer)) or n < 2 or n % 2:
        raise ValueError(f"n must be an even integer >= 2 (half top, half QCD jets), got {n!r}")


def to_representation(constituents: np.ndarray, representation: str, hlf: np.ndarray | None = None) -> np.ndarray:
    """Turn padded constituents into the requested representation."""
    if representation == "constituents":
        return constituents.astype(np.float32)
    if representation == "image":
        return jet_images(constituents)
    return hlf if hlf is not None else high_level_features(constituents)


def load(n: int, *, representation: str = "constituents", split: str = "train", source: str = "generated",
         seed: int = 0, workers: int | None = None, settings: JetDatasetSettings = JetDatasetSettings()):
    """Return ``(X, y)``: ``n`` jets (n/2 top, n/2 QCD) of one split in the requested representation.

    Generated data are produced on first use (in parallel shards, with a progress bar) and read
    from the cache afterwards. ``source="public"`` reads the public dataset instead (downloading
    it once, with a checksum, only if it is not in the cache); there classes are as in the file.
    """
    _validate_arguments(n, representation, split, source)
    if source == "public":
        from . import public_toptagging

        constituents, y = public_toptagging.load(n, split=split)
        return to_representation(constituents, representation), y.astype(np.int8)

    tasks = shard_tasks(n, split, seed, settings)
    paths = prepare(tasks, workers=workers)
    per_class = {name: [] for name in CLASSES}
    key = "hlf" if representation == "hlf" else "constituents"
    for task, path in zip(tasks, paths):
        arrays, _ = read_validated(path, shard_settings(*task))
        per_class[task[0]].append(arrays[key])
    parts = [np.concatenate(per_class[name])[: n // 2] for name in CLASSES]
    labels = np.concatenate([np.full(n // 2, CLASSES[name], dtype=np.int8) for name in CLASSES])
    order = np.random.default_rng(derive_seed(NAME, "order", split, seed, n, modulus=2**63)).permutation(n)
    data = np.concatenate(parts)[order]
    if representation == "image":
        data = jet_images(data)
    return data, labels[order]


def card() -> str:
    """The dataset card (this module's docstring)."""
    return __doc__


def profile_tasks(profile: config.Profile, seed: int = 0) -> list[tuple]:
    """All shard tasks that a profile's notebooks need (train, val and test splits)."""
    sizes = {"train": profile.n_train, "val": profile.n_val, "test": profile.n_test}
    return [task for split, n in sizes.items() for task in shard_tasks(n, split, seed)]


def task_label(task: tuple) -> str:
    process, split, seed, shard, _ = task
    return f"{NAME}/{split}/{process}-seed{seed}-shard{shard:05d}"


def task_path(task: tuple) -> Path:
    """Where a task's cache file lives (under the current HEPCOURSE_DATA)."""
    return shard_path(*task)


def task_settings(task: tuple) -> dict:
    """The settings a task's cache file must hold to be valid."""
    return shard_settings(*task)


def task_status(task: tuple) -> str:
    """'ok', 'missing' or the reason the cached file is invalid."""
    return status(shard_path(*task), shard_settings(*task))
