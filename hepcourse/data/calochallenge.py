"""Opt-in reader for CaloChallenge 2022 dataset 2 (electron showers, Geant4, Zenodo record 6366271).

Dataset card
============

What it is
    "Fast Calorimeter Simulation Challenge 2022 - Dataset 2" (M. Faucci Giannelli, G. Kasieczka,
    C. Krause, B. Nachman, D. Salamani, D. Shih, A. Zaborowska), the medium-size benchmark of
    the community comparison of generative calorimeter models (CaloChallenge, arXiv:2410.21611).
    Two files of 100k Geant4-simulated electron showers each, incident energies log-uniform
    from 1 GeV to 1 TeV, in a concentric-cylinder calorimeter of 45 layers of silicon (active)
    and tungsten (passive); each layer has 16 angular x 9 radial readout cells:
    45 x 16 x 9 = 6480 voxels. One file is for training, the other the evaluation reference.
    Licence: CC-BY 4.0 (as stated on the record). Concept DOI 10.5281/zenodo.6366270.

File format (from the CaloChallenge homepage, github.com/CaloChallenge/homepage)
    HDF5 written with h5py (gzip), two datasets: ``incident_energies`` (n, 1), the incident
    energy in MeV, and ``showers`` (n, 6480), the voxel energies in MeV, flattened "in the order
    (radial bins, angular bins, layer)": the radial bins of the first angular slice of the first
    layer come first. So ``showers.reshape(n, 45, 16, 9)`` is indexed [layer, alpha, r], which
    is what :func:`read` returns.

Files and checksums
    ``dataset_2_1.hdf5`` (1,356,475,617 bytes) and ``dataset_2_2.hdf5`` (1,366,708,391 bytes) at
    ``https://zenodo.org/records/6366271/files/<name>?download=1``. Zenodo publishes an md5 per
    file; the values in :data:`REGISTRY` were not read off Zenodo (no network here): they are the
    md5 sums that independent public code hard-codes identically for these files (a PyTorch
    dataset class listing ``resources = [(name, md5)]`` for record 6366271, a shell
    download-and-verify script that also checks the byte sizes above, and a provenance note
    quoting the size and md5 of ``dataset_2_1.hdf5``). No sha256 is published that could be
    verified here, so the download is checked with these md5 sums; re-check them against
    ``https://zenodo.org/api/records/6366271`` (``files[].checksum``). Nothing is ever
    downloaded without a hash; pass ``known_hash=`` to override.

Opt-in
    Nothing is downloaded at import or by the course's default path (which uses the offline
    `hepcourse.data.showers`). :func:`fetch` downloads one file (1.4 GB) with pooch into
    ``<hepcourse.config.data_dir()>/calochallenge/``; later calls reuse the verified file.

API
    ``fetch(name)`` -> path; ``read(path, n=None, start=0)`` -> ``(showers, energy)`` with
    showers float32 (n, 45, 16, 9) [layer, alpha, r] in GeV and energy float32 (n,) in GeV;
    ``load(n, name=..., path=...)`` = fetch + read; ``write_challenge_format(path, showers,
    energy)`` writes a small file in the public format (the tests use it offline).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import registry

__all__ = ["RECORD", "DOI", "FILES", "URLS", "REGISTRY", "SIZES", "SHAPE", "cache_path", "fetch", "read", "load",
           "write_challenge_format"]

RECORD = "6366271"
DOI = "10.5281/zenodo.6366270"  # concept DOI of dataset 2 (the homepage's link)
FILES = {"dataset_2_1": "dataset_2_1.hdf5", "dataset_2_2": "dataset_2_2.hdf5"}
# URLs, md5 sums (see "Files and checksums") and sizes come from the one download registry.
URLS = {name: d.url for name, d in registry.entries("calochallenge").items()}
REGISTRY: dict[str, str | None] = {name: d.known_hash for name, d in registry.entries("calochallenge").items()}
SIZES = {name: d.size for name, d in registry.entries("calochallenge").items()}  # bytes
SHAPE = (45, 16, 9)  # layers, angular bins, radial bins
N_VOXELS = SHAPE[0] * SHAPE[1] * SHAPE[2]
ENERGY_KEY, SHOWER_KEY = "incident_energies", "showers"
MEV_PER_GEV = 1000.0
CHUNK_ROWS = 10_000



def _check_name(name: str) -> str:
    if name not in FILES:
        raise ValueError(f"unknown CaloChallenge file {name!r}; dataset 2 has {sorted(FILES)}")
    return name


def cache_path() -> Path:
    """Directory that :func:`fetch` downloads into: ``<data_dir()>/calochallenge``."""
    from hepcourse.config import data_dir

    return data_dir() / "calochallenge"


def fetch(name: str = "dataset_2_1", *, cache_dir: str | Path | None = None, known_hash: str | None = None) -> Path:
    """Download one file of dataset 2 (once, 1.4 GB) and return the path of the verified file."""
    _check_name(name)
    digest = registry.check_hash(known_hash if known_hash is not None else REGISTRY.get(name),
                                 what=repr(name), url=URLS[name], doi=DOI)
    return registry.fetch(f"calochallenge/{name}", known_hash=digest,
                          cache_dir=cache_dir if cache_dir is not None else cache_path())


def _open(path: Path):
    import h5py

    if not path.is_file():
        raise FileNotFoundError(f"CaloChallenge file not found: {path}")
    if not h5py.is_hdf5(path):
        raise ValueError(f"{path} is not an HDF5 file ({path.stat().st_size} bytes without an HDF5 signature); "
                         "a failed download or an HTML error page looks like this")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(f"{path} cannot be opened as HDF5, it may be truncated or corrupt "
                         f"({path.stat().st_size} bytes): {exc}") from exc


def read(path: str | Path, n: int | None = None, *, start: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Read ``n`` showers (all if None) from row ``start`` of a file in the dataset-2 format.

    Returns float32 showers (n, 45, 16, 9) [layer, alpha, r] and float32 incident energies
    (n,), both converted from MeV to GeV. Raises FileNotFoundError for a missing file and
    ValueError for a file that is not HDF5, truncated, lacks a dataset, has the wrong shape,
    is shorter than requested or holds NaN/inf or negative energies.
    """
    path = Path(path).expanduser()
    if n is not None and (isinstance(n, bool) or int(n) != n or n < 0):
        raise ValueError(f"n must be a non-negative integer or None, got {n!r}")
    if isinstance(start, bool) or int(start) != start or start < 0:
        raise ValueError(f"start must be a non-negative integer, got {start!r}")
    with _open(path) as f:
        for key in (ENERGY_KEY, SHOWER_KEY):
            if key not in f:
                raise ValueError(f"{path} has no dataset {key!r} (present: {sorted(f.keys()) or 'none'}); "
                                 f"CaloChallenge files hold {ENERGY_KEY!r} (n, 1) and {SHOWER_KEY!r} (n, {N_VOXELS})")
        energies, shower_ds = f[ENERGY_KEY], f[SHOWER_KEY]
        if shower_ds.ndim != 2 or shower_ds.shape[1] != N_VOXELS:
            raise ValueError(f"{path}: {SHOWER_KEY!r} has shape {shower_ds.shape}, expected (n, {N_VOXELS}) = "
                             f"45 layers x 16 angular x 9 radial bins (dataset 2); datasets 1 and 3 differ")
        if energies.shape not in ((shower_ds.shape[0], 1), (shower_ds.shape[0],)):
            raise ValueError(f"{path}: {ENERGY_KEY!r} has shape {energies.shape}, expected ({shower_ds.shape[0]}, 1)")
        rows = shower_ds.shape[0]
        n = rows - start if n is None else int(n)
        if start + n > rows or n < 0:
            raise ValueError(f"requested {n} showers from row {start} but {path} holds only {rows}")
        out = np.empty((n, N_VOXELS), dtype=np.float32)
        energy = np.empty(n, dtype=np.float32)
        try:
            for lo in range(0, n, CHUNK_ROWS):
                hi = min(lo + CHUNK_ROWS, n)
                out[lo:hi] = shower_ds[start + lo: start + hi]
                energy[lo:hi] = np.asarray(energies[start + lo: start + hi]).reshape(-1)
        except (OSError, RuntimeError) as exc:
            raise ValueError(f"{path}: reading rows {start}..{start + n} failed, the file may be truncated or "
                             f"corrupt: {exc}") from exc
    for name, arr in (("shower", out), ("incident energy", energy)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{path} holds {int((~np.isfinite(arr)).sum())} NaN/inf {name} values")
    if np.any(energy <= 0):
        raise ValueError(f"{path} holds non-positive incident energies")
    return (out / MEV_PER_GEV).reshape(n, *SHAPE), energy / MEV_PER_GEV


def load(n: int | None, *, name: str = "dataset_2_1", path: str | Path | None = None, known_hash: str | None = None,
         start: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` showers of one dataset-2 file as ``(showers, energy)`` in GeV (see :func:`read`).

    With ``path`` that file is read and nothing is downloaded; otherwise the file is fetched
    (downloaded once, checksum-verified) into the course cache first.
    """
    _check_name(name)
    if path is None:
        path = fetch(name, known_hash=known_hash)
    return read(path, n, start=start)


def write_challenge_format(path: str | Path, showers: np.ndarray, energy_GeV: np.ndarray) -> Path:
    """Write showers (n, 45, 16, 9) [layer, alpha, r] and energies (n,), in GeV, as a dataset-2 file (MeV)."""
    import h5py

    s = np.asarray(showers, dtype=np.float64)
    e = np.asarray(energy_GeV, dtype=np.float64).reshape(-1)
    if s.ndim != 4 or s.shape[1:] != SHAPE or s.shape[0] != e.size:
        raise ValueError(f"showers must have shape (n, 45, 16, 9) matching {e.size} energies, got {s.shape}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.create_dataset(ENERGY_KEY, data=(e * MEV_PER_GEV)[:, None], compression="gzip")
        f.create_dataset(SHOWER_KEY, data=(s * MEV_PER_GEV).reshape(e.size, N_VOXELS), compression="gzip")
    return path
