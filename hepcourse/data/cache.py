"""HDF5 cache files that are written atomically and never read back when they are wrong.

Every file holds its arrays, the full generation settings (JSON) and a SHA-256 over the
array bytes. `read_validated` refuses a file that cannot be opened (truncated or corrupted
HDF5), whose settings differ from the requested ones, or whose bytes no longer match the
checksum, raising `InvalidCacheFile` with the reason; callers regenerate it and say why.
Writes go to a unique temporary file in the same directory and are renamed into place, so a
reader sees either the old complete file or the new complete file, never a partial one; a
lock file serialises concurrent writers of the same file (the second one finds it done).

Hash once: a file whose checksum was verified is remembered for the rest of the process, keyed
by its path, inode, size and modification and change times, so `status` and `read_shard` do not
hash it again. As git does for its index ("racy git"), only files older than a few seconds at
verification time are remembered: a later rewrite, even within the same clock tick, cannot keep
the key of a remembered file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np


class InvalidCacheFile(Exception):
    """A cache file exists but must not be used; the message says why."""


def canonical_json(settings: dict) -> str:
    """Settings as JSON with sorted keys, so equal settings give equal strings."""
    return json.dumps(settings, sort_keys=True, separators=(",", ":"), default=list)


def settings_hash(settings: dict, length: int = 12) -> str:
    """A short stable hash of settings, used in directory names."""
    return hashlib.sha256(canonical_json(settings).encode()).hexdigest()[:length]


def arrays_checksum(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over names, dtypes, shapes and bytes of the arrays, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        arr = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{arr.dtype.str}|{arr.shape}|".encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def write_atomic(path: Path, arrays: dict[str, np.ndarray], settings: dict, extra_attrs: dict | None = None) -> None:
    """Write ``arrays`` and ``settings`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with h5py.File(tmp_name, "w") as f:
            for name, arr in arrays.items():
                f.create_dataset(name, data=arr)
            f.attrs["settings"] = canonical_json(settings)
            f.attrs["sha256"] = arrays_checksum(arrays)
            for key, value in (extra_attrs or {}).items():
                f.attrs[key] = value
        with open(tmp_name, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def read_validated(path: Path, settings: dict) -> tuple[dict[str, np.ndarray], dict]:
    """Return (arrays, attrs) of a cache file, or raise InvalidCacheFile saying what is wrong."""
    path = Path(path)
    try:
        with h5py.File(path, "r") as f:
            attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
            arrays = {name: f[name][()] for name in f.keys()}
    except FileNotFoundError:
        raise
    except (OSError, KeyError, ValueError, RuntimeError) as exc:
        raise InvalidCacheFile(f"{path} cannot be read as HDF5 (truncated or corrupted): {exc}") from exc
    stored = attrs.get("settings")
    if stored is None or "sha256" not in attrs:
        raise InvalidCacheFile(f"{path} has no stored settings or checksum; it was not written by hepcourse")
    if stored != canonical_json(settings):
        old, new = json.loads(stored), json.loads(canonical_json(settings))
        diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        raise InvalidCacheFile(f"{path} was generated with different settings (differing: {', '.join(diff)})")
    if arrays_checksum(arrays) != attrs["sha256"]:
        raise InvalidCacheFile(f"{path} is corrupted: its data no longer match the stored SHA-256")
    return arrays, attrs


# ------------------------------------------------------------------------------- hash once
SETTLED_S = 3.0  # a file must be this old (mtime and ctime) to be remembered as verified
_VERIFIED: dict[tuple, str] = {}


def _stat_key(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (str(Path(path).resolve()), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _remember(key: tuple | None, settings_json: str) -> None:
    if key is not None and time.time_ns() - max(key[3], key[4]) > SETTLED_S * 1e9:
        _VERIFIED[key] = settings_json


def is_verified(path: Path, settings: dict) -> bool:
    """Whether this very file (unchanged since) was verified for ``settings`` in this process."""
    return _VERIFIED.get(_stat_key(path)) == canonical_json(settings)


def forget_verified() -> None:
    """Forget every remembered verification (the next check hashes again)."""
    _VERIFIED.clear()


def read_shard(path: Path, settings: dict) -> tuple[dict[str, np.ndarray], dict]:
    """`read_validated`, hashing the arrays only if this file was not verified before in this process."""
    path = Path(path)
    key = _stat_key(path)
    wanted = canonical_json(settings)
    if key is None or _VERIFIED.get(key) != wanted:
        arrays, attrs = read_validated(path, settings)
        _remember(key, wanted)
        return arrays, attrs
    try:
        with h5py.File(path, "r") as f:
            attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
            arrays = {name: f[name][()] for name in f.keys()}
    except (OSError, KeyError, ValueError, RuntimeError):
        _VERIFIED.pop(key, None)
        return read_validated(path, settings)
    if attrs.get("settings") != wanted:  # cheap; cannot differ for an unchanged file
        _VERIFIED.pop(key, None)
        return read_validated(path, settings)
    return arrays, attrs


@contextlib.contextmanager
def file_lock(path: Path):
    """Exclusive inter-process lock tied to ``path`` (a ``.lock`` file beside it)."""
    lock_path = Path(path).with_name(Path(path).name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def status(path: Path, settings: dict) -> str:
    """'ok', 'missing', or the reason the cache file at ``path`` must not be used."""
    path = Path(path)
    key = _stat_key(path)
    if key is None:
        return "missing"
    wanted = canonical_json(settings)
    if _VERIFIED.get(key) == wanted:
        return "ok"
    try:
        read_validated(path, settings)
        _remember(key, wanted)
        return "ok"
    except InvalidCacheFile as problem:
        return str(problem)


def ensure(path: Path, settings: dict, generate, extra_attrs: dict | None = None) -> Path:
    """Make sure ``path`` holds a valid file for ``settings``, calling ``generate()`` if not.

    ``generate`` returns the arrays to write; a present but invalid file is reported (with the
    reason) and replaced. Concurrent callers for the same file wait on its lock, and the second
    one finds the file done.
    """
    path = Path(path)
    with file_lock(path):
        state = status(path, settings)
        if state == "ok":
            return path
        if state != "missing":
            import warnings

            warnings.warn(f"regenerating cache file: {state}", stacklevel=3)
        write_atomic(path, generate(), settings, extra_attrs)
    return path


def missing(tasks, path_of, settings_of) -> list:
    """The tasks whose cache file is missing or invalid (an invalid one is reported once)."""
    import warnings

    todo = []
    for task in tasks:
        state = status(path_of(*task), settings_of(*task))
        if state != "ok":
            if state != "missing":
                warnings.warn(f"will regenerate: {state}", stacklevel=3)
            todo.append(task)
    return todo
