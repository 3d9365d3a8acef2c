"""Opt-in reader for the public hls4ml jet features: OpenML data set 42468 "hls4ml_lhc_jets_hlf".

Dataset card
============

What it is
    The 16 high-level features and the class of the jets of the hls4ml LHC jet dataset
    (Pierini, Duarte, Tran, Freytsis, "hls4ml LHC Jet dataset", Zenodo doi:10.5281/zenodo.3602254;
    used in Duarte et al., "Fast inference of deep neural networks in FPGAs for particle
    physics", JINST 13 (2018) P07027, arXiv:1804.06913), as uploaded to OpenML
    (https://www.openml.org/d/42468): about 830,000 jets with pT around 1 TeV from
    gluons, light quarks, W bosons, Z bosons and top quarks. It is the data set the hls4ml
    tutorial loads with ``sklearn.datasets.fetch_openml("hls4ml_lhc_jets_hlf")``.

File format
    One ARFF file (``@relation``, one ``@attribute`` line per column, ``@data`` then one
    comma-separated row per jet): 16 numeric attributes named as in
    `hepcourse.physics.jets.ecf.FEATURE_NAMES` (``zlogz, c1_b0_mmdt, ..., mass_mmdt,
    multiplicity``; an optional ``j_`` prefix, as in the original HDF5 files, is accepted) and
    one nominal target attribute (``class``) with the values ``g, q, t, w, z``. The reader
    selects columns by name, so the order of the attributes in the file does not matter;
    labels are mapped to the course's order ``CLASSES = ("g", "q", "w", "z", "t")`` (note: a
    LabelEncoder on the strings gives the alphabetical order g, q, t, w, z instead).

Splits
    OpenML has no train/validation/test split. :func:`load` makes one with a seeded
    permutation of all rows: 70 % train, 10 % val, 20 % test (the hls4ml tutorial holds out
    20 % for testing). ``seed`` chooses the permutation; the three splits never overlap.

Download and checksum
    Nothing is downloaded unless :func:`fetch` (or :func:`load` without ``path``) is called.
    OpenML's JSON description of the data set (``https://api.openml.org/api/v1/json/data/42468``)
    gives the ARFF file's address (``url``, ``https://api.openml.org/data/v1/download/<file_id>/...``),
    its ``file_id`` and an MD5 checksum (``md5_checksum``). **No checksum of the file could be verified while writing this
    module (no network), so none is recorded here.** :func:`fetch` therefore reads the
    description first and has pooch verify the download against the MD5 that OpenML states
    there: this catches a broken or truncated transfer, but not a changed upload. To pin a
    file, pass ``known_hash="md5:..."`` or ``"sha256:..."`` (and ``file_id``) yourself; then
    the description is not read. The file is cached under
    ``<hepcourse.config.data_dir()>/public/hls4ml/``.

API
    ``fetch()`` -> path of the verified ARFF file; ``read(path)`` -> ``(X, y)`` with X float32
    (n, 16) in ``FEATURE_NAMES`` order and y int64 class indices; ``load(n, split=..., seed=...,
    path=...)`` = fetch + read + split; ``write_public_format(path, X, y)`` writes a small ARFF
    file in the public layout (used by the tests, offline).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np

from ..physics.jets.ecf import FEATURE_NAMES
from ..physics.jets.hls4ml_events import CLASSES
from . import registry

OPENML_ID = 42468
DESCRIPTION_URL = f"https://api.openml.org/api/v1/json/data/{OPENML_ID}"
DOWNLOAD_URL = registry.DOWNLOADS["hls4ml/hls4ml_lhc_jets_hlf"].url
FILENAME = registry.DOWNLOADS["hls4ml/hls4ml_lhc_jets_hlf"].fname
DOI = registry.DOWNLOADS["hls4ml/hls4ml_lhc_jets_hlf"].doi
TARGET = "class"
SPLIT_FRACTIONS = {"train": 0.7, "val": 0.1, "test": 0.2}
_ATTRIBUTE_RE = re.compile(r"^@attribute\s+('(?:[^']*)'|\"(?:[^\"]*)\"|\S+)\s+(.+)$", re.IGNORECASE)


def cache_path() -> Path:
    """Directory that :func:`fetch` downloads into: ``<data_dir()>/public/hls4ml``."""
    from ..config import data_dir

    return data_dir() / "public" / "hls4ml"


def _description() -> dict:
    """OpenML's JSON description of data set 42468 (network)."""
    import urllib.request

    with urllib.request.urlopen(DESCRIPTION_URL, timeout=60) as response:  # noqa: S310 - fixed https URL
        return json.load(response)["data_set_description"]


def fetch(*, known_hash: str | None = None, file_id: int | None = None, cache_dir: str | Path | None = None) -> Path:
    """Download the ARFF file once (opt-in) and return the path of the checksum-verified copy.

    Without ``known_hash`` the MD5 and file id stated in OpenML's description are used (see the
    module docstring: this checks the transfer, it is not an independent checksum).
    """
    if known_hash is not None:
        registry.check_hash(known_hash, what=f"OpenML data set {OPENML_ID}", url=DESCRIPTION_URL, doi=DOI)
        if file_id is None:
            raise ValueError("with known_hash, also pass the OpenML file_id of that file (field 'file_id' of "
                             f"{DESCRIPTION_URL})")
        url = DOWNLOAD_URL.format(file_id=file_id)
    else:
        description = _description()
        md5 = str(description.get("md5_checksum", "")).strip().lower()
        if not re.fullmatch(r"[0-9a-f]{32}", md5):
            raise ValueError(f"OpenML's description of data set {OPENML_ID} has no usable md5_checksum "
                             f"({md5!r}); refusing to download unverified")
        known_hash, file_id = f"md5:{md5}", int(description["file_id"])
        url = str(description.get("url") or DOWNLOAD_URL.format(file_id=file_id))
    return registry.fetch("hls4ml/hls4ml_lhc_jets_hlf", known_hash=known_hash, url=url,
                          cache_dir=cache_dir if cache_dir is not None else cache_path())


def _unquote(name: str) -> str:
    return name[1:-1] if len(name) >= 2 and name[0] == name[-1] and name[0] in "'\"" else name


def _parse_header(handle, path: Path) -> list[tuple[str, str]]:
    """Read up to ``@data``; return [(attribute name, type)]."""
    attributes = []
    for line in handle:
        text = line.strip()
        if not text or text.startswith("%"):
            continue
        lower = text.lower()
        if lower.startswith("@relation"):
            continue
        if lower.startswith("@attribute"):
            match = _ATTRIBUTE_RE.match(text)
            if not match:
                raise ValueError(f"{path}: cannot parse the ARFF attribute line {text!r}")
            attributes.append((_unquote(match.group(1)), match.group(2).strip()))
            continue
        if lower.startswith("@data"):
            return attributes
        raise ValueError(f"{path}: unexpected line before @data: {text[:80]!r} (not an ARFF file?)")
    raise ValueError(f"{path} has no @data section: not an ARFF file, or truncated in its header")


def _columns(attributes: list[tuple[str, str]], path: Path) -> tuple[list[int], int]:
    names = [name for name, _ in attributes]
    normalised = [name[2:] if name.startswith("j_") else name for name in names]
    missing = [f for f in FEATURE_NAMES if f not in normalised]
    if missing:
        raise ValueError(f"{path} lacks the hls4ml feature columns {missing} (has {names})")
    feature_cols = [normalised.index(f) for f in FEATURE_NAMES]
    nominal = [i for i, (_, kind) in enumerate(attributes) if kind.startswith("{")]
    target = [i for i in nominal if names[i] == TARGET] or nominal
    if len(target) != 1:
        raise ValueError(f"{path}: expected one nominal target attribute {TARGET!r} with values "
                         f"{sorted(CLASSES)}, found {[names[i] for i in nominal] or 'none'}")
    return feature_cols, target[0]


def read(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a file in the public ARFF layout; return X float32 (n, 16) and y int64 class indices.

    Raises FileNotFoundError for a missing file; ValueError for a file that is not ARFF, lacks
    a feature or the target column, has rows of the wrong length, non-numeric or NaN values,
    or classes other than g, q, w, z, t.
    """
    import pandas as pd

    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"public hls4ml file not found: {path}")
    with open(path, encoding="utf-8", errors="strict") as handle:
        try:
            attributes = _parse_header(handle, path)
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path} is not a text (ARFF) file: {exc}") from exc
        feature_cols, target_col = _columns(attributes, path)
        body = handle.read()
    if body.lstrip().startswith("{"):
        raise ValueError(f"{path} is a sparse ARFF file; the public file is dense")
    try:
        frame = pd.read_csv(io.StringIO(body), header=None, comment="%", quotechar="'", skipinitialspace=True,
                            dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path} has no data rows") from None
    except pd.errors.ParserError as exc:
        raise ValueError(f"{path}: rows of unequal length (truncated or corrupt file?): {exc}") from exc
    if frame.shape[1] != len(attributes):
        raise ValueError(f"{path}: rows have {frame.shape[1]} values, the header declares {len(attributes)} attributes")
    short = (frame == "").any(axis=1).to_numpy()
    if short.any():
        raise ValueError(f"{path}: data row {int(np.argmax(short))} has fewer values than the header declares "
                         f"({len(attributes)}; truncated or corrupt file?)")
    try:
        X = frame.iloc[:, feature_cols].astype(np.float64).to_numpy()
    except ValueError as exc:
        raise ValueError(f"{path}: a feature value is not a number: {exc}") from exc
    bad = ~np.isfinite(X)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(f"{path}: {int(bad.sum())} missing/NaN/inf feature values, first in data row {row} "
                         f"({FEATURE_NAMES[col]})")
    labels = frame.iloc[:, target_col].str.strip().str.strip("'\"").str.lower().to_numpy()
    unknown = sorted(set(labels) - set(CLASSES))
    if unknown:
        raise ValueError(f"{path}: unknown classes {unknown[:5]} in column {attributes[target_col][0]!r}; "
                         f"expected {sorted(CLASSES)}")
    index = {c: i for i, c in enumerate(CLASSES)}
    y = np.array([index[c] for c in labels], dtype=np.int64)
    return X.astype(np.float32), y


def split_indices(n_rows: int, split: str, seed: int = 0) -> np.ndarray:
    """Row indices of one split of a file with ``n_rows`` rows (seeded permutation, 70/10/20)."""
    if split not in SPLIT_FRACTIONS:
        raise ValueError(f"unknown split {split!r}; choose one of {tuple(SPLIT_FRACTIONS)}")
    order = np.random.default_rng([OPENML_ID, seed]).permutation(n_rows)
    n_train = int(round(SPLIT_FRACTIONS["train"] * n_rows))
    n_val = int(round(SPLIT_FRACTIONS["val"] * n_rows))
    bounds = {"train": (0, n_train), "val": (n_train, n_train + n_val), "test": (n_train + n_val, n_rows)}
    lo, hi = bounds[split]
    return order[lo:hi]


def load(n: int | None, *, split: str = "train", seed: int = 0, path: str | Path | None = None,
         known_hash: str | None = None, file_id: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``n`` jets (all of the split if None) of one split of the public file, as ``(X, y)`` (see `read`).

    With ``path`` that file is read and nothing is downloaded. The classes come in the file's
    proportions (not balanced).
    """
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1):
        raise ValueError(f"n must be a positive integer or None, got {n!r}")
    X, y = read(path if path is not None else fetch(known_hash=known_hash, file_id=file_id))
    rows = split_indices(len(y), split, seed)
    if n is not None:
        if n > len(rows):
            raise ValueError(f"requested n={n} jets but the {split!r} split of {len(y)} rows holds only {len(rows)}")
        rows = rows[:n]
    return X[rows], y[rows]


def write_public_format(path: str | Path, X: np.ndarray, y: np.ndarray, *, relation: str = "hls4ml_lhc_jets_hlf") -> Path:
    """Write jets as an ARFF file in the public layout (16 numeric features, then nominal ``class``)."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != len(FEATURE_NAMES):
        raise ValueError(f"X must have shape (n, {len(FEATURE_NAMES)}), got {X.shape}")
    if y.shape != (len(X),):
        raise ValueError(f"y must have shape ({len(X)},), got {y.shape}")
    if not np.isin(y, np.arange(len(CLASSES))).all():
        raise ValueError(f"y must hold class indices 0..{len(CLASSES) - 1}")
    lines = [f"@relation {relation}", ""]
    lines += [f"@attribute {name} numeric" for name in FEATURE_NAMES]
    lines += ["@attribute class {g,q,t,w,z}", "", "@data"]
    lines += [",".join(f"{v:.9g}" for v in row) + f",{CLASSES[label]}" for row, label in zip(X, y)]
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
