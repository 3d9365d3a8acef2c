"""Five-class jet tagging (g, q, W, Z, t) at 1 TeV, generated offline with Pythia 8 + FastJet (mirror of the hls4ml LHC jet dataset).

The dataset card (processes, generator, detector and why its towers are finer, cuts and truth
matching, the 16 features, sizes per profile, the public dataset it mirrors, citation) is
``data/hls4ml_jets.md``: ``hepcourse data info hls4ml_jets`` or ``card()`` prints it. This
module keeps the settings, the fields and the generator; planning, cache, verification and
argument checks are `hepcourse.data.sharded.ShardedDataset`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version

import numpy as np

from .. import config
from ..physics.jets.detector import DetectorSettings, apply_detector
from ..physics.jets.ecf import FEATURE_NAMES, MMDT_BETA, MMDT_Z_CUT, hls4ml_features
from ..physics.jets.hls4ml_events import CLASSES, PROCESSES, Hls4mlEventSource, matched_label
from ..physics.jets.clustering import JetSelection, leading_jets, select
from ..physics.jets.kinematics import eta, phi
from .sharded import ShardedDataset, check_choice, check_count, check_seed
from .sharding import derive_seed

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

__all__ = ["CLASSES", "FEATURE_NAMES", "Hls4mlJetSettings", "load", "sizes", "generate_shard", "prepare",
           "DATASET"]


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


def _check_kind(kind: str) -> None:
    if kind not in CLASSES:
        raise ValueError(f"unknown hls4ml jet class {kind!r}; choose one of {CLASSES}")


def _fields(kind: str, split: str, seed: int, shard: int) -> dict:
    """The class-specific entries of a shard's settings."""
    _check_kind(kind)
    return {"class": kind, "process": PROCESSES[kind].to_dict(),
            "pythia_seed": derive_seed(NAME, kind, split, seed, shard)}


DATASET = ShardedDataset(NAME, __name__, kinds=CLASSES, fields=_fields, default_settings=Hls4mlJetSettings(),
                         what="jets")
sizes = DATASET.sizes


def sizes_per_class(profile: str | config.Profile | None = None) -> dict[str, int]:
    """Jets of each class per split that a profile's notebooks use."""
    return {split: n // len(CLASSES) for split, n in sizes(profile).items()}


def generate_shard(kind: str, split: str, seed: int, shard: int,
                   settings: Hls4mlJetSettings = Hls4mlJetSettings()) -> dict[str, np.ndarray]:
    """Generate one shard: ``settings.shard_size`` truth-matched jets of class ``kind``, in memory."""
    info = DATASET.shard_settings(kind, split, seed, shard, settings)
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


prepare = DATASET.prepare
card = DATASET.card


def shard_tasks(n: int, split: str, seed: int = 0, settings: Hls4mlJetSettings = Hls4mlJetSettings()) -> list[tuple]:
    """The (class, split, seed, shard, settings) tasks needed for ``n`` jets (n/5 per class) of one split."""
    return DATASET.shard_tasks(n, split, seed, settings)


def _validate_arguments(n, split, source, seed):
    DATASET.check_split(split)
    check_choice("source", source, SOURCES)
    if source == "public":
        check_count(n)
    else:
        check_count(n, multiple=len(CLASSES), message=f"n must be a positive multiple of {len(CLASSES)} (n/5 jets "
                    f"of each class {', '.join(CLASSES)}), got {{n!r}}")
    check_seed(seed)


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
    n = int(n)
    per_class = DATASET.read(shard_tasks(n, split, seed, settings), ("features",), workers=workers)
    k = n // len(CLASSES)
    data = np.concatenate([per_class[kind]["features"][:k] for kind in CLASSES])
    labels = np.repeat(np.arange(len(CLASSES), dtype=np.int64), k)
    order = np.random.default_rng(derive_seed(NAME, "order", split, seed, n, modulus=2**63)).permutation(n)
    return data[order], labels[order]
