"""A frozen-shower library: the simplest fast simulation, and the baseline a generative model must beat.

Fast simulation in production did this long before GANs (ATLAS's frozen showers in the forward
calorimeter, part of the ATLAS simulation infrastructure, arXiv:1005.4568): keep a library of fully simulated showers,
binned in incident energy, and for a new particle take a random shower from its energy bin and
scale its cells by E / E_library. It costs a table look-up, reproduces every correlation of the
showers it stores, and fails in two known ways: within a bin the shower shape does not change
with energy (real showers get deeper, ~ln E), and scaling a shower also scales its
fluctuations (the relative resolution stays that of E_library instead of falling like
1/sqrt(E)). With few stored showers it also repeats itself.
"""

from __future__ import annotations

import numpy as np


class ShowerLibrary:
    """Showers binned in log-energy; ``sample(energies)`` returns scaled copies of stored ones."""

    def __init__(self, showers, energies, n_bins: int = 10):
        showers = np.asarray(showers, dtype=np.float32)
        energies = np.asarray(energies, dtype=np.float64).reshape(-1)
        if showers.ndim != 4 or len(showers) != len(energies):
            raise ValueError(f"showers must be (n, layers, y, x) with one energy each; got {showers.shape} "
                             f"and {energies.shape} energies")
        if not np.all(np.isfinite(showers)) or not np.all(np.isfinite(energies)) or np.any(energies <= 0):
            raise ValueError("showers must be finite and energies finite and positive")
        if n_bins < 1 or len(showers) < n_bins:
            raise ValueError(f"need at least one shower per bin: {len(showers)} showers for {n_bins} bins")
        self.edges = np.geomspace(energies.min(), energies.max() * (1 + 1e-9), n_bins + 1)
        self.showers, self.energies = showers, energies
        self._bin = np.clip(np.digitize(energies, self.edges) - 1, 0, n_bins - 1)
        empty = [k for k in range(n_bins) if not np.any(self._bin == k)]
        if empty:
            raise ValueError(f"energy bins {empty} hold no shower; use fewer bins")

    def sample(self, energies, seed: int = 0) -> np.ndarray:
        """One library shower per requested energy, from its bin, scaled by E / E_library."""
        energies = np.asarray(energies, dtype=np.float64).reshape(-1)
        if not np.all(np.isfinite(energies)) or np.any(energies <= 0):
            raise ValueError("energies must be finite and positive (GeV)")
        rng = np.random.default_rng(seed)
        wanted = np.clip(np.digitize(energies, self.edges) - 1, 0, len(self.edges) - 2)
        out = np.empty((len(energies), *self.showers.shape[1:]), dtype=np.float32)
        for k in np.unique(wanted):
            target = np.flatnonzero(wanted == k)
            members = np.flatnonzero(self._bin == k)
            chosen = rng.choice(members, size=len(target))
            scale = (energies[target] / self.energies[chosen]).astype(np.float32)
            out[target] = self.showers[chosen] * scale[:, None, None, None]
        return out
