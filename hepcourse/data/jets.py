"""Top-quark vs QCD jets, generated offline with Pythia 8 + FastJet (mirror of the top-tagging benchmark).

The dataset card (process, generator, detector, cuts, fields with units, sizes per profile,
the public dataset it mirrors, citation) is ``data/jets.md``: ``hepcourse data info jets`` or
``card()`` prints it. This module keeps the settings, the fields and the generator; planning,
cache, verification and argument checks are `hepcourse.data.sharded.ShardedDataset`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version

import numpy as np

from .. import config
from ..physics.jets.detector import DetectorSettings, apply_detector
from ..physics.jets.images import jet_images
from ..physics.jets.clustering import JetSelection, leading_jets, select
from ..physics.jets.pythia_events import PROCESSES, JetEventSource
from ..physics.jets.substructure import HLF_NAMES, high_level_features
from .sharded import ShardedDataset, check_choice, check_count, check_seed
from .sharding import derive_seed

NAME = "jets"
FORMAT_VERSION = 1
SHARD_SIZE = 250
EVENTS_PER_BATCH = 100
REPRESENTATIONS = ("constituents", "image", "hlf")
SPLITS = ("train", "val", "test")
SOURCES = ("generated", "public")
CLASSES = {"top": 1, "qcd": 0}

__all__ = ["DATASET", "load", "prepare", "generate_shard", "shard_tasks", "sizes", "card", "HLF_NAMES", "REPRESENTATIONS",
           "SPLITS", "JetDatasetSettings"]


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


def _fields(process: str, split: str, seed: int, shard: int) -> dict:
    """The process-specific entries of a shard's settings."""
    return {"process": PROCESSES[process].to_dict(),
            "pythia_seed": derive_seed(NAME, process, split, seed, shard)}


DATASET = ShardedDataset(NAME, __name__, kinds=tuple(CLASSES), fields=_fields,
                         default_settings=JetDatasetSettings(), what="jets")


def generate_shard(process: str, split: str, seed: int, shard: int,
                   settings: JetDatasetSettings = JetDatasetSettings()) -> dict[str, np.ndarray]:
    """Generate one shard: ``settings.shard_size`` selected jets of ``process``, in memory."""
    info = DATASET.shard_settings(process, split, seed, shard, settings)
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


prepare = DATASET.prepare
sizes = DATASET.sizes
card = DATASET.card


def shard_tasks(n: int, split: str, seed: int = 0, settings: JetDatasetSettings = JetDatasetSettings()) -> list[tuple]:
    """The (process, split, seed, shard, settings) tasks needed for ``n`` jets of one split."""
    return DATASET.shard_tasks(n, split, seed, settings)


def _validate_arguments(n, representation, split, source, seed=0):
    check_choice("representation", representation, REPRESENTATIONS)
    DATASET.check_split(split)
    check_choice("source", source, SOURCES)
    check_count(n, multiple=2, message="n must be an even integer >= 2 (half top, half QCD jets), got {n!r}")
    check_seed(seed)


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
    _validate_arguments(n, representation, split, source, seed)
    n = int(n)
    if source == "public":
        from . import public_toptagging

        constituents, y = public_toptagging.load(n, split=split)
        return to_representation(constituents, representation), y.astype(np.int8)

    key = "hlf" if representation == "hlf" else "constituents"
    per_class = DATASET.read(shard_tasks(n, split, seed, settings), (key,), workers=workers)
    parts = [per_class[name][key][: n // 2] for name in CLASSES]
    labels = np.concatenate([np.full(n // 2, CLASSES[name], dtype=np.int8) for name in CLASSES])
    order = np.random.default_rng(derive_seed(NAME, "order", split, seed, n, modulus=2**63)).permutation(n)
    data = np.concatenate(parts)[order]
    if representation == "image":
        data = jet_images(data)
    return data, labels[order]
