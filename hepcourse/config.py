"""Course-wide settings: the compute profile and the data cache directory.

One environment variable chooses the profile, one the cache, so that a notebook, the
CLI, the tests and a batch job all agree without passing arguments around:

* ``HEPCOURSE_PROFILE``: ``quick`` (default; CPU, Binder, CI, a few minutes per notebook)
  or ``full`` (large samples, more epochs, a GPU when present).
* ``HEPCOURSE_DATA``: the cache directory for generated and downloaded datasets
  (default ``~/.cache/hepcourse``, outside any git checkout).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROFILE_ENV = "HEPCOURSE_PROFILE"
DATA_ENV = "HEPCOURSE_DATA"


@dataclass(frozen=True)
class Profile:
    """Sample sizes and training budgets that every notebook reads from one place."""

    name: str
    n_train: int  # jets in the training split (both classes together)
    n_val: int
    n_test: int
    epochs: int  # a typical epoch budget for the reference models
    batch_size: int


PROFILES = {
    "quick": Profile("quick", n_train=6000, n_val=2000, n_test=4000, epochs=8, batch_size=128),
    "full": Profile("full", n_train=100_000, n_val=20_000, n_test=40_000, epochs=40, batch_size=256),
}


def profile(name: str | None = None) -> Profile:
    """Return the active profile (``HEPCOURSE_PROFILE``, default ``quick``) or the named one."""
    name = name or os.environ.get(PROFILE_ENV, "quick")
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown profile {name!r} (from {PROFILE_ENV} or the argument); "
            f"choose one of {sorted(PROFILES)}"
        ) from None


def data_dir() -> Path:
    """Return the dataset cache directory, creating it if needed."""
    path = Path(os.environ.get(DATA_ENV) or Path.home() / ".cache" / "hepcourse").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def notebook_time_budget(path, profile_name: str | None = None) -> float | None:
    """Seconds that the notebook at ``path`` may take to execute in a profile, or None.

    Each lecture states its own budget in its metadata, ``"hepcourse": {"time_budget_s":
    {"quick": 240}}``, read by the tests (a notebook past its budget fails) and by
    benchmarks/notebooks.py.
    """
    import json

    name = profile(profile_name).name
    metadata = json.loads(Path(path).read_text(encoding="utf-8")).get("metadata", {})
    budget = metadata.get("hepcourse", {}).get("time_budget_s", {}).get(name)
    return float(budget) if budget is not None else None
