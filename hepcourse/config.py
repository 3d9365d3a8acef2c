"""Course-wide settings: the profile table and the data cache directory.

One environment variable chooses the profile, one the cache, so that a notebook, the
CLI, the tests and a batch job all agree without passing arguments around:

* ``HEPCOURSE_PROFILE``: ``quick`` (default; CPU, Binder, CI, a few minutes per notebook)
  or ``full`` (large samples, more epochs, a GPU when present).
* ``HEPCOURSE_DATA``: the cache directory for generated and downloaded datasets
  (default ``~/.cache/hepcourse``, outside any git checkout).

`TABLE` is the one profile table: per profile, the sizes of every generated dataset (per
split), the course-wide defaults (`Profile`), and per notebook (lectures and exercises) its
epochs, batch sizes, scans and time budget. Datasets (`hepcourse.data`), lectures
(``S = config.settings("lectures/02_regression")``), exercises, the tests and the benchmarks
read it; no cell decides ``if quick:`` for itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

PROFILE_ENV = "HEPCOURSE_PROFILE"
DATA_ENV = "HEPCOURSE_DATA"

# --------------------------------------------------------------------------------- the table
# Sizes are numbers of examples per split, all classes together. Notebook entries are merged
# over "defaults". Time budgets (seconds on a 2-core CPU with the data cached) are enforced by
# ../conftest.py and benchmarks/notebooks.py; None: no budget in that profile.
TABLE: dict[str, dict] = {
    "quick": {
        "datasets": {
            "jets": {"train": 6000, "val": 2000, "test": 4000},
            "showers": {"train": 2500, "val": 1000, "test": 1500},
            "hls4ml_jets": {"train": 4500, "val": 1500, "test": 3000},
            "airshowers": {"train": 8000, "val": 2000, "test": 4000},
        },
        "defaults": {"epochs": 8, "batch_size": 128},
        "notebooks": {
            "lectures/00_introduction": {"n_train": 2000, "n_val": 1000, "n_test": 2000, "n_plot": 2000,
                                         "first_epochs": 10, "epochs": 40, "time_budget_s": 90},
            # lecture 01 (issue 19): one recipe for every network (equal epoch budget, early stopping on the
            # validation loss, the same learning rate), three seeds each; EdgeConv narrower than its default
            "lectures/01_classification": {"epochs": 8, "seeds": (0, 1, 2), "patience": 3, "learning_rate": 3e-3,
                                           "n_constituents": 30, "edgeconv_k": 8,
                                           "edgeconv_channels": ((16, 16), (32, 32)), "bdt_leaf_nodes": (7, 31),
                                           "bdt_max_iter": 150, "time_budget_s": 240},
            "lectures/02_regression": {"epochs": 40, "batch_size": 256, "time_budget_s": 120},
            # "gan": the dense WGAN-GP's budget (hepcourse.models.gan.training_budget; the lecture shows
            # that GAN, exercise 03 trains it): 2500 showers x 25 epochs at batch 128, about 90 s
            "lectures/03_generative": {"gan": {"epochs": 25, "batch_size": 128, "learning_rate": 1e-3},
                                       # the factorised generator (issue 19): flow on the layer energies
                                       # (early-stopped on the validation likelihood) + lateral-shape network
                                       "flow": {"epochs": 60, "copies": 4, "batch_size": 256, "learning_rate": 1e-3,
                                                "patience": 5, "shape_epochs": 10},
                                       "time_budget_s": 180},
            "lectures/07_fpga": {"epochs": 20, "batch_size": 256, "qat_epochs": 40, "qat_batch_size": 1024,
                                 "widths": (6, 8, 16), "pruned_epochs": 12, "time_budget_s": 210},
            # lecture 08 (issue 18): batched Levenberg-Marquardt fits, two hexagonal CNNs (grid only, grid + fit)
            "lectures/08_astroparticle": {"epochs": 40, "batch_size": 128, "learning_rate": 2e-3, "patience": 8,
                                          "conv_widths": (16, 32, 32), "dense_width": 64, "front_iterations": 15,
                                          "ldf_iterations": 15, "time_budget_s": 180},
            "exercises/01_classification": {"epochs": 3},
            "exercises/02_regression": {"epochs": 30, "batch_size": 256},
            "exercises/03_generative": {"epochs": 6, "batch_size": 128},
            "exercises/07_fpga": {"epochs": 20, "batch_size": 256},
            # exercise 08 (issue 18): the grader's budget, the same in both profiles
            "exercises/08_astroparticle": {"n_train": 8000, "n_val": 2000, "n_test": 4000, "epochs": 20,
                                           "batch_size": 128, "learning_rate": 2e-3, "patience": 6},
            # lecture 04 (issue 15): rows owned by its author until it lands
            # every autoencoder (PCA scan aside) gets the same budget: ae_epochs x 3000 QCD jets
            "lectures/04_anomaly_detection": {"epochs": 12, "cnn_epochs": 4, "batch_size": 128,
                                              "pca_components": (1, 2, 5, 10, 20, 40, 80), "latent_sizes": (2, 8, 32),
                                              "vae_betas": (0.1, 0.002),
                                              "cwola_fractions": ((0.8, 0.2), (0.1, 0.0)),
                                              "time_budget_s": 180},
            "exercises/04_anomaly_detection": {"epochs": 10, "batch_size": 128},
            # lecture 05 (issue 16): rows owned by its author until it lands
            # heteroscedastic regressors, 5-member ensemble, MC dropout, BNN regressor; Bayesian taggers on
            # three training-set sizes, each for the same number of steps (bnn_epochs passes over the largest)
            "lectures/05_uncertainties": {"epochs": 30, "batch_size": 256, "ensemble_members": 5, "mc_samples": 50,
                                          "tagger_sizes": (500, 1500, 6000), "bnn_epochs": 20, "time_budget_s": 180},
            "exercises/05_uncertainties": {"epochs": 30, "batch_size": 256},
            # exercise 06 (issue 17): the reference's DisCo image tagger; the grader's budget in both profiles
            "exercises/06_decorrelation": {"epochs": 20, "batch_size": 256, "learning_rate": 1e-3, "strength": 10.0,
                                           "validation_goal": 10.0},
            # lecture 06 (issue 17): rows owned by its author until it lands
            # every tagger gets the same budget: epochs x (6000 jets / batch_size) = 240 steps; DisCo needs
            # ~250 QCD jets per batch for its dCor^2; the adversary's pretraining epochs are part of the 20
            "lectures/06_decorrelation": {"epochs": 20, "batch_size": 500, "learning_rate": 3e-3, "seeds": (0, 1, 2),
                                          "planing_exponents": (0.5, 1.0), "ddt_fractions": (0.5, 1.0),
                                          "adversary_strengths": (3.0, 10.0, 30.0), "adversary_warmup_epochs": 5,
                                          "adversary_steps": 5, "disco_strengths": (5.0, 20.0, 30.0, 50.0, 100.0),
                                          "target_inverse_jsd": 10.0, "floor_draws": 200, "time_budget_s": 180},
        },
    },
    "full": {
        "datasets": {
            "jets": {"train": 100_000, "val": 20_000, "test": 40_000},
            "showers": {"train": 50_000, "val": 10_000, "test": 20_000},
            "hls4ml_jets": {"train": 60_000, "val": 15_000, "test": 30_000},
            "airshowers": {"train": 100_000, "val": 20_000, "test": 40_000},
        },
        "defaults": {"epochs": 40, "batch_size": 256},
        "notebooks": {
            "lectures/00_introduction": {"n_train": 100_000, "n_val": 20_000, "n_test": 40_000, "n_plot": 2000,
                                         "first_epochs": 10, "epochs": 40, "batch_size": 256,
                                         "time_budget_s": None},
            "lectures/01_classification": {"epochs": 40, "seeds": (0, 1, 2, 3, 4), "patience": 5,
                                           "learning_rate": 3e-3, "n_constituents": 50, "edgeconv_k": 16,
                                           "edgeconv_channels": ((32, 32), (64, 64)), "bdt_leaf_nodes": (7, 15, 31, 63),
                                           "bdt_max_iter": 500, "time_budget_s": None},
            "lectures/02_regression": {"epochs": 150, "batch_size": 256, "time_budget_s": None},
            "lectures/03_generative": {"gan": {"epochs": 200, "batch_size": 256, "learning_rate": 3e-4},
                                       "flow": {"epochs": 200, "copies": 2, "batch_size": 512, "learning_rate": 1e-3,
                                                "patience": 10, "shape_epochs": 20},
                                       "time_budget_s": None},
            "lectures/07_fpga": {"epochs": 60, "batch_size": 256, "qat_epochs": 200, "qat_batch_size": 1024,
                                 "widths": (4, 5, 6, 7, 8, 10, 12, 14, 16), "pruned_epochs": 30,
                                 "time_budget_s": None},
            "lectures/08_astroparticle": {"epochs": 100, "batch_size": 256, "learning_rate": 1e-3, "patience": 10,
                                          "conv_widths": (32, 64, 64, 64), "dense_width": 128, "front_iterations": 25,
                                          "ldf_iterations": 25, "time_budget_s": None},
            # the graders run every student's notebook: the same small budgets in both profiles
            "exercises/01_classification": {"epochs": 3},
            "exercises/02_regression": {"epochs": 30, "batch_size": 256},
            "exercises/03_generative": {"epochs": 6, "batch_size": 128},
            "exercises/07_fpga": {"epochs": 20, "batch_size": 256},
            # exercise 08 (issue 18): the grader's budget, the same in both profiles
            "exercises/08_astroparticle": {"n_train": 8000, "n_val": 2000, "n_test": 4000, "epochs": 20,
                                           "batch_size": 128, "learning_rate": 2e-3, "patience": 6},
            # lecture 04 (issue 15)
            "lectures/04_anomaly_detection": {"epochs": 40, "cnn_epochs": 15, "batch_size": 256,
                                              "pca_components": (1, 2, 5, 10, 20, 40, 80, 160),
                                              "latent_sizes": (2, 4, 8, 16, 32, 64), "vae_betas": (0.1, 0.01, 0.002),
                                              "cwola_fractions": ((0.8, 0.2), (0.6, 0.4), (0.55, 0.45), (0.1, 0.0),
                                                                  (0.02, 0.0)),
                                              "time_budget_s": None},
            "exercises/04_anomaly_detection": {"epochs": 10, "batch_size": 128},
            # lecture 05 (issue 16)
            "lectures/05_uncertainties": {"epochs": 100, "batch_size": 256, "ensemble_members": 5, "mc_samples": 100,
                                          "tagger_sizes": (2000, 20_000, 100_000), "bnn_epochs": 20,
                                          "time_budget_s": None},
            "exercises/05_uncertainties": {"epochs": 30, "batch_size": 256},
            # exercise 06 (issue 17): the reference's DisCo image tagger; the grader's budget in both profiles
            "exercises/06_decorrelation": {"epochs": 20, "batch_size": 256, "learning_rate": 1e-3, "strength": 10.0,
                                           "validation_goal": 10.0},
            # lecture 06 (issue 17)
            "lectures/06_decorrelation": {"epochs": 40, "batch_size": 1000, "learning_rate": 1e-3,
                                          "seeds": (0, 1, 2, 3, 4), "planing_exponents": (0.25, 0.5, 0.75, 1.0),
                                          "ddt_fractions": (0.25, 0.5, 0.75, 1.0),
                                          "adversary_strengths": (1.0, 3.0, 10.0, 30.0, 100.0),
                                          "adversary_warmup_epochs": 10, "adversary_steps": 5,
                                          "disco_strengths": (2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0),
                                          "target_inverse_jsd": 10.0, "floor_draws": 500, "time_budget_s": None},
        },
    },
}


@dataclass(frozen=True)
class Profile:
    """Sample sizes of the jet dataset and default training budgets (from `TABLE`)."""

    name: str
    n_train: int  # jets in the training split (both classes together)
    n_val: int
    n_test: int
    epochs: int  # a typical epoch budget for the reference models
    batch_size: int


def _profile_from_table(name: str) -> Profile:
    jets, defaults = TABLE[name]["datasets"]["jets"], TABLE[name]["defaults"]
    return Profile(name, n_train=jets["train"], n_val=jets["val"], n_test=jets["test"],
                   epochs=defaults["epochs"], batch_size=defaults["batch_size"])


PROFILES = {name: _profile_from_table(name) for name in TABLE}


def profile(name: str | Profile | None = None) -> Profile:
    """Return the active profile (``HEPCOURSE_PROFILE``, default ``quick``) or the named one."""
    if isinstance(name, Profile):
        return name
    name = name or os.environ.get(PROFILE_ENV, "quick")
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown profile {name!r} (from {PROFILE_ENV} or the argument); "
            f"choose one of {sorted(PROFILES)}"
        ) from None


def _freeze(value):
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


class Settings(Mapping):
    """A notebook's settings in one profile: read-only, as attributes (``S.epochs``) or items."""

    __slots__ = ("_name", "_profile", "_values")

    def __init__(self, name: str, profile_name: str, values: dict):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_profile", profile_name)
        object.__setattr__(self, "_values", {k: _freeze(v) for k, v in values.items()})

    def __getattr__(self, key):
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"{self._name} has no setting {key!r} in the {self._profile} profile; "
                                 f"it has {sorted(self._values)}") from None

    def __setattr__(self, key, value):
        raise AttributeError("settings come from hepcourse.config.TABLE and are read-only")

    def __getitem__(self, key):
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)

    def __repr__(self):
        items = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"Settings({self._name!r}, profile={self._profile!r}: {items})"


def notebook_key(notebook: str | os.PathLike) -> str:
    """The table key of a notebook: ``lectures/NN_topic`` or ``exercises/NN_topic``.

    Accepts a key, or a path to a lecture, an exercise release or a solution source
    (solutions share the entry of their exercise).
    """
    text = os.fspath(notebook)
    if text in TABLE["quick"]["notebooks"]:
        return text
    path = Path(text)
    stem = path.stem
    parts = path.parts
    if "lectures" in parts:
        return f"lectures/{stem}"
    if "exercises" in parts or "solutions" in parts:
        return f"exercises/{stem}"
    return stem


def settings(notebook: str | os.PathLike, profile_name: str | Profile | None = None) -> Settings:
    """The settings of one notebook in the active (or named) profile, e.g. ``settings("lectures/07_fpga")``."""
    prof = profile(profile_name)
    key = notebook_key(notebook)
    notebooks = TABLE[prof.name]["notebooks"]
    if key not in notebooks:
        raise ValueError(f"no entry for notebook {key!r} in the {prof.name} profile of hepcourse.config.TABLE; "
                         f"known: {sorted(notebooks)}")
    return Settings(key, prof.name, {**TABLE[prof.name]["defaults"], **notebooks[key]})


def dataset_sizes(dataset: str, profile_name: str | Profile | None = None) -> dict[str, int]:
    """Examples per split ``{"train", "val", "test"}`` of a generated dataset in a profile."""
    prof = profile(profile_name)
    sizes = TABLE[prof.name]["datasets"]
    if dataset not in sizes:
        raise ValueError(f"the {prof.name} profile has no sizes for dataset {dataset!r}; known: {sorted(sizes)}")
    return dict(sizes[dataset])


def data_dir() -> Path:
    """Return the dataset cache directory, creating it if needed."""
    path = Path(os.environ.get(DATA_ENV) or Path.home() / ".cache" / "hepcourse").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def notebook_time_budget(path, profile_name: str | None = None) -> float | None:
    """Seconds that the notebook at ``path`` may take to execute in a profile, or None.

    The course's notebooks take it from `TABLE` (``time_budget_s``); a notebook without an
    entry there (one a test writes, say) may state it in its metadata, ``"hepcourse":
    {"time_budget_s": {"quick": 240}}``. Read by the tests (a notebook past its budget fails)
    and by benchmarks/notebooks.py.
    """
    import json

    name = profile(profile_name).name
    key = notebook_key(path)
    entry = TABLE[name]["notebooks"].get(key)
    if entry is not None:
        budget = entry.get("time_budget_s")
    else:
        metadata = json.loads(Path(path).read_text(encoding="utf-8")).get("metadata", {})
        budget = metadata.get("hepcourse", {}).get("time_budget_s", {}).get(name)
    return float(budget) if budget is not None else None
