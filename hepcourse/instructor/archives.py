"""Reading an LMS export - a folder or a ``.zip`` - safely, one file at a time.

Members are read one at a time from the zip, never extracted. Absolute paths, ``..``
components (zip slip), symlinks, encrypted members and members larger than
``max_file_bytes`` are rejected (``report.rejected``); an archive (or folder) whose files add
up to more than ``max_total_bytes`` is refused as a whole before anything is read.

Modification times: for zip members the Info-ZIP extended (UTC) timestamp when present, else
the zip's local date and time read in a given time zone (:func:`parse_timezone`); for a folder,
the file's mtime. ``__MACOSX/``, ``.ipynb_checkpoints/``, ``__pycache__/``, ``.DS_Store`` and
``._*`` are skipped silently.
"""

from __future__ import annotations

import os
import re
import stat
import struct
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

DEFAULT_MAX_TOTAL_BYTES = 2 * 1024**3
DEFAULT_MAX_FILE_BYTES = 200 * 1024**2

_NOISE_FOLDERS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}
_NOISE_FILES = {".DS_Store", "Thumbs.db", "desktop.ini"}
_EXTENDED_TIMESTAMP_ID = 0x5455  # Info-ZIP "UT" extra field: mtime as UTC seconds


@dataclass
class Problem:
    """A file of the source that was not used, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class SourceFile:
    """One regular file of the source, read on demand (zip members are never extracted)."""

    path: str  # '/'-separated path inside the source, as shown in the report
    size: int
    mtime: datetime  # timezone-aware
    opener: Callable[[], "object"]

    def read(self, limit: int) -> bytes:
        """The file's bytes; ``ValueError`` if it turns out larger than ``limit``."""
        with self.opener() as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise ValueError(f"larger than the per-file limit of {limit} bytes")
        return data


def _is_noise(parts: tuple[str, ...]) -> bool:
    return (any(part in _NOISE_FOLDERS for part in parts[:-1]) or parts[-1] in _NOISE_FILES
            or parts[-1].startswith("._"))


def _unsafe_member_name(name: str) -> str | None:
    """Why a zip member name is unsafe (absolute, drive letter, '..'), or None."""
    normal = name.replace("\\", "/")
    if normal.startswith("/") or re.match(r"^[A-Za-z]:", normal):
        return "absolute path in the archive (refused: zip slip)"
    if ".." in normal.split("/"):
        return "'..' in the path (refused: zip slip)"
    return None


def _zip_mtime(info: zipfile.ZipInfo, zip_timezone: tzinfo) -> datetime:
    extra = info.extra
    offset = 0
    while offset + 4 <= len(extra):
        header_id, size = struct.unpack("<HH", extra[offset:offset + 4])
        data = extra[offset + 4:offset + 4 + size]
        if header_id == _EXTENDED_TIMESTAMP_ID and len(data) >= 5 and data[0] & 1:
            return datetime.fromtimestamp(struct.unpack("<I", data[1:5])[0], timezone.utc)
        offset += 4 + size
    return datetime(*info.date_time).replace(tzinfo=zip_timezone)


def iter_zip(archive: zipfile.ZipFile, source: Path, zip_timezone: tzinfo, max_total_bytes: int,
             rejected: list[Problem]) -> Iterator[SourceFile]:
    """The safe regular members of an open zip (unsafe ones go to ``rejected``)."""
    members = [info for info in archive.infolist() if not info.is_dir()]
    total = sum(info.file_size for info in members)
    if total > max_total_bytes:
        raise ValueError(f"{source}: its files add up to {total} bytes uncompressed, more than the "
                         f"limit of {max_total_bytes} (max_total_bytes); refusing to read it")
    for info in members:
        name = info.filename.replace("\\", "/")
        unsafe = _unsafe_member_name(info.filename)
        if unsafe:
            rejected.append(Problem(info.filename, unsafe))
            continue
        parts = tuple(p for p in PurePosixPath(name).parts if p not in ("", "."))
        if not parts or _is_noise(parts):
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            rejected.append(Problem(name, "symbolic link (skipped)"))
            continue
        if info.flag_bits & 0x1:
            rejected.append(Problem(name, "encrypted member (cannot be read)"))
            continue
        yield SourceFile("/".join(parts), info.file_size, _zip_mtime(info, zip_timezone),
                         lambda info=info: archive.open(info))


def iter_folder(source: Path, max_total_bytes: int, rejected: list[Problem]) -> Iterator[SourceFile]:
    """The regular files under ``source``, sorted by path (symbolic links go to ``rejected``)."""
    found: list[SourceFile] = []
    total = 0
    for folder, dirnames, filenames in os.walk(source, followlinks=False):
        here = Path(folder)
        for dirname in list(dirnames):
            if (here / dirname).is_symlink():
                rejected.append(Problem((here / dirname).relative_to(source).as_posix(), "symbolic link (skipped)"))
                dirnames.remove(dirname)
        for filename in filenames:
            path = here / filename
            relative = path.relative_to(source).as_posix()
            parts = tuple(relative.split("/"))
            if _is_noise(parts):
                continue
            status = path.lstat()
            if stat.S_ISLNK(status.st_mode):
                rejected.append(Problem(relative, "symbolic link (skipped)"))
                continue
            if not stat.S_ISREG(status.st_mode):
                continue
            total += status.st_size
            found.append(SourceFile(relative, status.st_size,
                                    datetime.fromtimestamp(status.st_mtime, timezone.utc),
                                    lambda path=path: path.open("rb")))
    if total > max_total_bytes:
        raise ValueError(f"{source}: its files add up to {total} bytes, more than the limit of "
                         f"{max_total_bytes} (max_total_bytes); refusing to read it")
    yield from sorted(found, key=lambda f: f.path)


def parse_timezone(name: str | None) -> tzinfo:
    """The time zone of zip dates: an IANA name, "UTC", or None for this machine's local zone."""
    if name is None:
        return datetime.now().astimezone().tzinfo
    if name.upper() == "UTC":
        return timezone.utc
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:
        raise ValueError(f"unknown time zone {name!r} (zip_timezone): use an IANA name such as "
                         "'Europe/Berlin' or 'UTC'") from None
