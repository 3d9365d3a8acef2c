"""Opt-in reader for the public top-tagging benchmark dataset (Zenodo record 2603256).

Dataset card
============

What it is
    The "Top Quark Tagging Reference Dataset" (version ``v0 (2018_03_27)``) by G. Kasieczka,
    T. Plehn, J. Thompson and M. Russel, the common benchmark of the community comparison
    "The Machine Learning Landscape of Top Taggers" (Kasieczka, Plehn et al.,
    arXiv:1902.09914, SciPost Phys. 7, 014 (2019)). Monte Carlo jets: hadronically decaying
    boosted top quarks (signal) against QCD light-quark and gluon jets (background).
    Licence: CC-BY 4.0 (as stated on the record).

Generator settings, as published with the record
    * proton-proton collisions at 14 TeV, generated with Pythia 8 (default tune); Delphes
      fast detector simulation with the ATLAS card;
    * no multiple parton interactions and no pile-up;
    * Delphes particle-flow (E-flow) objects clustered into anti-kT jets with R = 0.8;
    * jets with 550 GeV < pT < 650 GeV and |eta| < 2;
    * truth matching of the signal: every top jet is matched to a parton-level top within
      Delta R = 0.8 and all its decay partons lie within 0.8 of the jet axis;
    * the leading 200 constituents are kept, sorted by pT (highest first), zero-padded.

Sizes
    Published as 1.2M training, 400k validation and 400k test jets, in three files
    ``train.h5`` (1,038,496,555 bytes), ``val.h5`` (347,378,076 bytes) and ``test.h5``
    (347,849,376 bytes): 1.7 GB in all. (A public conversion log counts 1,211,000 rows in
    ``train.h5`` and 404,000 in ``test.h5``; the published sizes are rounded.) Use
    ``train`` to train, ``val`` to choose the model and ``test`` only for the final number.

File format (checked against public readers of these files; see below)
    Each file is a pandas ``HDFStore`` (PyTables) with one DataFrame under the key
    ``"table"``, one row per jet, 806 columns in this order::

        E_0, PX_0, PY_0, PZ_0, E_1, PX_1, ..., E_199, PX_199, PY_199, PZ_199,   float32
        truthE, truthPX, truthPY, truthPZ,                                       float32
        ttv, is_signal_new                                                       int64

    ``E_i, PX_i, PY_i, PZ_i`` is the four-momentum (GeV) of the i-th constituent, zero for
    padding. ``truth*`` is the four-momentum of the matched parton-level top (zero for QCD
    jets). ``ttv`` marks the split the jet belongs to (redundant with the file).
    ``is_signal_new`` is the label: 1 = top, 0 = QCD.

    The store is written in pandas *table* format (``format="table"``), not the default
    *fixed* format: the HDF5 layout is one PyTables table ``/table/table`` whose rows hold
    ``index`` (int64), ``values_block_0`` (804 x float32: the constituents then the truth
    top) and ``values_block_1`` (2 x int64: ``ttv, is_signal_new``). Independent public
    readers rely on exactly this layout: a Julia script reading ``table/table``,
    ``NROWS``, ``values_block_0[1:8]`` and ``values_block_1[2]`` as the label; a PyTorch
    pipeline reading ``f["table"]["table"]["values_block_0"]`` and
    ``["values_block_1"][:, 1]``; project notes stating "``values_block_0`` (804,) float32 =
    [E, PX, PY, PZ] x 200 + truth top, ``values_block_1`` (2,) int64 = [ttv,
    is_signal_new]". The per-constituent (E, px, py, pz) interleaving is also what JetNet
    (``jetnet.datasets.TopTagging``: ``data[:, :800].reshape(-1, 200, 4)`` as
    ``["E", "px", "py", "pz"]``, truth = ``data[:, 800:804]``, label = ``data[:, -1]``),
    the ParticleNet conversion notebook (``df["E_%d"]``, ``df["is_signal_new"]``,
    ``df["ttv"]``) and the Hugging Face mirror's card (``E_0, PX_0, PY_0, PZ_0, ...``) use.
    :func:`read` does not depend on block positions: it selects columns by name, so it
    also reads a fixed-format store holding the same columns.

Checksums
    Zenodo publishes an md5 per file. The values in :data:`REGISTRY` were not read off the
    Zenodo page (no network here); they are the md5 sums hard-coded, identically and
    together with the byte sizes above, by three independent public download scripts for
    this record (a Keras ``utils.get_file(..., file_hash=...)`` loader, a
    ``get_data.py`` that md5-verifies every file against the record, and a
    download-and-verify script). Zenodo's API (``https://zenodo.org/api/records/2603256``,
    field ``files[].checksum``) shows them as ``md5:...`` for a re-check. :func:`fetch`
    never downloads without a hash: if one is missing it raises, and a user who has a
    hash (for example after the record changes) passes ``known_hash="md5:..."``.

Opt-in
    Nothing is downloaded at import. The course's default data are generated locally
    (offline, seconds); this module is for readers who want the public benchmark. Call
    :func:`fetch` (or :func:`load` without ``path``) to download one split into
    ``<hepcourse.config.data_dir()>/public/toptagging/``; later calls reuse the verified
    file.

Citation
    G. Kasieczka, T. Plehn, J. Thompson, M. Russel, "Top Quark Tagging Reference Dataset",
    Zenodo (2019), doi:10.5281/zenodo.2603256; and
    G. Kasieczka, T. Plehn (eds.), A. Butter et al., "The Machine Learning Landscape of
    Top Taggers", SciPost Phys. 7, 014 (2019), arXiv:1902.09914.

API
    ``fetch(split)`` -> path of the verified file; ``read(path, n=None, start=0)`` ->
    ``(constituents, y)`` with constituents float32 ``(n, 200, 4)`` as (E, px, py, pz) and
    y int8 ``(n,)``; ``load(n, split=..., path=...)`` = fetch + read;
    ``write_public_format(path, constituents, y)`` writes a small file in the public format
    (used by the tests to work offline). Images and high-level features are built from the
    constituents elsewhere in :mod:`hepcourse`.

Reading strategy
    pandas (``HDFStore.select(key, start=..., stop=...)``) in chunks of
    :data:`CHUNK_ROWS` rows, converted into a preallocated float32 array. Measured here on
    a 50,000-jet table-format file it read and converted in 0.09 s against 0.26 s for
    h5py slicing the compound table; it also works for table and fixed format alike and
    checks every column by name. The chunking bounds the extra memory: 200,000 jets
    (0.64 GB of output) read in 1.2 s on one core with 0.43 GB of peak memory beyond the
    output, so the full 1.2M-jet training file needs its 3.9 GB of output plus that.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import registry

__all__ = [
    "CHUNK_ROWS",
    "COLUMNS",
    "CONSTITUENT_COLUMNS",
    "KEY",
    "LABEL_COLUMN",
    "N_CONSTITUENTS",
    "RECORD",
    "REGISTRY",
    "SIZES",
    "SPLITS",
    "URLS",
    "cache_path",
    "fetch",
    "load",
    "read",
    "write_public_format",
]

RECORD = "2603256"
DOI = "10.5281/zenodo.2603256"
SPLITS = ("train", "val", "test")
FILENAMES = {split: f"{split}.h5" for split in SPLITS}
# URLs, checksums and sizes come from the one download registry (hepcourse.data.registry).
URLS = {split: d.url for split, d in registry.entries("top_tagging").items()}
REGISTRY: dict[str, str | None] = {split: d.known_hash for split, d in registry.entries("top_tagging").items()}
SIZES = {split: d.size for split, d in registry.entries("top_tagging").items()}  # bytes

KEY = "table"
N_CONSTITUENTS = 200
CONSTITUENT_COLUMNS = tuple(
    f"{q}_{i}" for i in range(N_CONSTITUENTS) for q in ("E", "PX", "PY", "PZ")
)
TRUTH_COLUMNS = ("truthE", "truthPX", "truthPY", "truthPZ")
TTV_COLUMN = "ttv"
LABEL_COLUMN = "is_signal_new"
COLUMNS = CONSTITUENT_COLUMNS + TRUTH_COLUMNS + (TTV_COLUMN, LABEL_COLUMN)
REQUIRED_COLUMNS = CONSTITUENT_COLUMNS + (LABEL_COLUMN,)
CHUNK_ROWS = 100_000



# --------------------------------------------------------------------------- download
def _check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; the public top-tagging set has {list(SPLITS)}")
    return split


def cache_path() -> Path:
    """Directory that :func:`fetch` downloads into: ``<data_dir()>/public/toptagging``."""
    from hepcourse.config import data_dir

    return data_dir() / "public" / "toptagging"


def fetch(
    split: str, *, cache_dir: str | Path | None = None, known_hash: str | None = None
) -> Path:
    """Download one split (once) and return the path of the checksum-verified file.

    ``known_hash`` overrides the registry hash (``"md5:<32 hex>"`` or ``"sha256:<64 hex>"``).
    A split without a hash is refused: nothing is ever downloaded unverified.
    """
    _check_split(split)
    digest = registry.check_hash(known_hash if known_hash is not None else REGISTRY.get(split),
                                 what=f"the public top-tagging split {split!r}", url=URLS[split], doi=DOI)
    return registry.fetch(f"top_tagging/{split}", known_hash=digest,
                          cache_dir=cache_dir if cache_dir is not None else cache_path())


# --------------------------------------------------------------------------- reading
def _first_line(exc: BaseException) -> str:
    """The informative line of an exception (for HDF5: the innermost cause of the back trace)."""
    text = str(exc).strip()
    marker = "End of HDF5 error back trace"
    if marker in text:  # HDF5 lists callers first; the deepest cause comes last
        lines = [ln.strip() for ln in text.split(marker)[0].splitlines() if ln.strip()]
        causes = [ln for ln in lines if not ln.startswith("File ") and "back trace" not in ln]
        if causes:
            return causes[-1]
    for line in text.splitlines():
        if line.strip() and "back trace" not in line:
            return line.strip()
    return type(exc).__name__


def _open_store(path: Path):
    """Open ``path`` read-only as a pandas HDFStore, turning every failure into a clear error."""
    import pandas as pd
    import tables

    if not path.is_file():
        raise FileNotFoundError(f"public top-tagging file not found: {path}")
    try:
        is_hdf5 = tables.is_hdf5_file(str(path))
    except Exception as exc:  # unreadable, not an HDF5 signature, ...
        raise ValueError(f"{path} cannot be checked as an HDF5 file: {_first_line(exc)}") from exc
    if not is_hdf5:
        raise ValueError(
            f"{path} is not an HDF5 file ({path.stat().st_size} bytes without an HDF5 "
            "signature): expected a pandas HDFStore like train.h5 from Zenodo record "
            f"{RECORD}; a failed download or an HTML error page looks like this"
        )
    try:
        return pd.HDFStore(str(path), mode="r")
    except Exception as exc:
        raise ValueError(
            f"{path} is not a readable HDF5/pandas file, it may be truncated or corrupt "
            f"({path.stat().st_size} bytes): "
            f"{_first_line(exc)}"
        ) from exc


def _storer_rows(store, key: str, path: Path) -> int:
    if key not in store:
        present = [k for k in store.keys() if k != "/"]
        raise ValueError(
            f"{path} has no key {key!r} (keys present: {present or 'none'}); the public "
            f"files keep their DataFrame under key={KEY!r}"
        )
    try:
        storer = store.get_storer(key)
        nrows = getattr(storer, "nrows", None)
        if nrows is None:
            shape = getattr(storer, "shape", None)
            nrows = shape[0] if shape is not None else None
    except Exception as exc:
        raise ValueError(
            f"{path} key {key!r} is not a pandas DataFrame store: {_first_line(exc)}"
        ) from exc
    if nrows is None:
        raise ValueError(f"{path} key {key!r} is not a pandas DataFrame store (no row count)")
    return int(nrows)


def _select(store, key: str, path: Path, start: int, stop: int):
    try:
        return store.select(key, start=start, stop=stop)
    except Exception as exc:
        raise ValueError(
            f"{path}: reading rows {start}..{stop} of key {key!r} failed, the file may be "
            f"truncated or corrupt: {_first_line(exc)}"
        ) from exc


def _check_columns(columns, path: Path) -> None:
    present = set(map(str, columns))
    missing = [c for c in REQUIRED_COLUMNS if c not in present]
    if missing:
        shown = ", ".join(missing[:8]) + (", ..." if len(missing) > 8 else "")
        raise ValueError(
            f"{path} lacks {len(missing)} of the public top-tagging columns, first missing: "
            f"{shown} (expected E_i, PX_i, PY_i, PZ_i for i < {N_CONSTITUENTS} and "
            f"{LABEL_COLUMN!r})"
        )


def read(
    path: str | Path, n: int | None = None, *, start: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Read ``n`` jets (all if None) from row ``start`` of a file in the public format.

    Returns ``(constituents, y)``: float32 ``(n, 200, 4)`` with (E, px, py, pz) per
    constituent in the file's pT order, zero-padded, and int8 ``(n,)`` labels (1 = top).

    Raises FileNotFoundError for a missing file; ValueError for a file that is not
    HDF5/pandas, truncated, without key ``"table"``, missing columns, shorter than
    requested, or holding NaN/inf or labels other than 0/1.
    """
    path = Path(path).expanduser()
    if n is not None and (int(n) != n or n < 0):
        raise ValueError(f"n must be a non-negative integer or None, got {n!r}")
    if int(start) != start or start < 0:
        raise ValueError(f"start must be a non-negative integer, got {start!r}")
    start = int(start)
    with _open_store(path) as store:
        nrows = _storer_rows(store, KEY, path)
        if n is None:
            if start > nrows:
                raise ValueError(
                    f"start={start} is past the end of {path}, which holds {nrows} rows"
                )
            n = nrows - start
        n = int(n)
        if start + n > nrows:
            where = f" (from start={start})" if start else ""
            raise ValueError(f"requested n={n} jets{where} but {path} holds only {nrows} rows")
        _check_columns(_select(store, KEY, path, 0, 0).columns, path)

        constituents = np.empty((n, N_CONSTITUENTS, 4), dtype=np.float32)
        y = np.empty(n, dtype=np.int8)
        for lo in range(0, n, CHUNK_ROWS):
            hi = min(lo + CHUNK_ROWS, n)
            df = _select(store, KEY, path, start + lo, start + hi)
            if len(df) != hi - lo:
                raise ValueError(
                    f"{path}: expected {hi - lo} rows at {start + lo}, got {len(df)} "
                    "(truncated or corrupt file?)"
                )
            _check_columns(df.columns, path)
            x = df.loc[:, list(CONSTITUENT_COLUMNS)].to_numpy(dtype=np.float32)
            labels = df[LABEL_COLUMN].to_numpy()
            bad = ~np.isfinite(x)
            if bad.any():
                row = start + lo + int(np.argwhere(bad)[0][0])
                raise ValueError(
                    f"{path} holds {int(bad.sum())} NaN/inf constituent values in rows "
                    f"{start + lo}..{start + hi - 1}, first in row {row}"
                )
            labels_f = labels.astype(np.float64, copy=False)
            if not np.isfinite(labels_f).all():
                raise ValueError(
                    f"{path}: NaN in the {LABEL_COLUMN!r} labels near row {start + lo}"
                )
            if not np.isin(labels_f, (0.0, 1.0)).all():
                odd = np.unique(labels_f[~np.isin(labels_f, (0.0, 1.0))])[:5]
                raise ValueError(f"{path}: {LABEL_COLUMN!r} must be 0 or 1, found {odd.tolist()}")
            constituents[lo:hi] = x.reshape(hi - lo, N_CONSTITUENTS, 4)
            y[lo:hi] = labels_f.astype(np.int8)
    return constituents, y


def load(
    n: int | None,
    *,
    split: str = "train",
    path: str | Path | None = None,
    known_hash: str | None = None,
    start: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``n`` jets of one public split as ``(constituents, y)`` (see :func:`read`).

    With ``path`` the given file is read and nothing is downloaded; otherwise the split is
    fetched (downloaded once, checksum-verified) into the course cache first.
    """
    _check_split(split)
    if path is None:
        path = fetch(split, known_hash=known_hash)
    return read(path, n, start=start)


# --------------------------------------------------------------------------- writing
def write_public_format(
    path: str | Path,
    constituents: np.ndarray,
    y: np.ndarray,
    *,
    truth: np.ndarray | None = None,
    ttv: int = 0,
) -> Path:
    """Write jets to ``path`` exactly in the public format (for tests and offline examples).

    Same key (``"table"``), same 806 columns in the same order and dtypes (float32
    constituents and truth, int64 ``ttv`` and ``is_signal_new``), same pandas *table*
    format. ``constituents`` is ``(n, k, 4)`` (E, px, py, pz) with ``k <= 200``; it is
    zero-padded to 200. ``truth`` (``(n, 4)``) defaults, like the public files, to zero for
    QCD jets and, standing in for the parton-level top, to the summed constituent
    four-momentum for top jets. ``ttv`` fills the split marker column.
    """
    import pandas as pd

    x = np.asarray(constituents, dtype=np.float32)
    labels = np.asarray(y)
    if x.ndim != 3 or x.shape[2] != 4 or x.shape[1] > N_CONSTITUENTS:
        raise ValueError(f"constituents must have shape (n, k<={N_CONSTITUENTS}, 4), got {x.shape}")
    if labels.shape != (x.shape[0],):
        raise ValueError(f"y must have shape ({x.shape[0]},), got {labels.shape}")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("y must hold only 0 (QCD) and 1 (top)")
    n = x.shape[0]
    padded = np.zeros((n, N_CONSTITUENTS, 4), dtype=np.float32)
    padded[:, : x.shape[1]] = x
    if truth is None:
        truth_arr = np.where(labels[:, None] == 1, padded.sum(axis=1), 0.0).astype(np.float32)
    else:
        truth_arr = np.asarray(truth, dtype=np.float32)
        if truth_arr.shape != (n, 4):
            raise ValueError(f"truth must have shape ({n}, 4), got {truth_arr.shape}")
    floats = np.concatenate([padded.reshape(n, 4 * N_CONSTITUENTS), truth_arr], axis=1)
    df = pd.DataFrame(floats, columns=list(CONSTITUENT_COLUMNS + TRUTH_COLUMNS))
    df[TTV_COLUMN] = np.full(n, ttv, dtype=np.int64)
    df[LABEL_COLUMN] = labels.astype(np.int64)
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_hdf(path, key=KEY, mode="w", format="table")
    return path
