"""Collect student submissions from an LMS export into the nbgrader course.

``collect(course_root, assignment, source)`` reads ``source`` - a folder or a ``.zip`` as
downloaded from the learning-management system - and writes each student's notebook to
``submitted/<student_id>/<assignment>/<notebook>.ipynb`` plus nbgrader's ``timestamp.txt``,
which is where ``nbgrader autograde <assignment>`` looks for it. It returns a
:class:`CollectReport` that lists who was collected, who is missing, duplicates, broken
notebooks and every file it did not use, and why.

Layouts recognised (``layout="auto"`` tries them in this order; the first that explains
every ``.ipynb`` in the source wins; pass ``layout=`` to force one)
---------------------------------------------------------------------------------------------
``moodle``  Moodle "Download all submissions", flat or "in folders"; id = participant id::

                Jane Doe_4711_assignsubmission_file_01_classification.ipynb
                Jane Doe_4711_assignsubmission_file_/01_classification.ipynb

``canvas``  Canvas "Download submissions" (flat); id = Canvas user id. Late submissions carry
            ``LATE``; Canvas appends ``-1``, ``-2`` to a re-uploaded file of the same name::

                doejane_12345_6789012_01_classification.ipynb
                doejane_LATE_12345_6789013_01_classification-1.ipynb

``ilias``   ILIAS exercise "Download all submissions": one folder per student,
            ``<Lastname>_<Firstname>_<login>[_<user id>]``; id = login (the last
            ``_``-separated field once a trailing numeric user id is dropped)::

                Doe_Jane_jdoe_4711/01_classification.ipynb

``plain``   one folder per student (optionally with an ``<assignment>/`` folder inside, as
            nbgrader lays it out), or one flat notebook per student; id = the name::

                s1234567/my_solution.ipynb
                s1234567/01_classification/01_classification.ipynb
                s1234567.ipynb

Up to three wrapping folders that hold everything (e.g. ILIAS's ``<exercise>/``) are
stripped. A source whose notebooks fit no layout raises a ``ValueError`` that names the first
file that does not fit and the patterns above. A student id that would be read the same way
under two layouts (a plain folder ``a_b_c/``) is read by the first; force ``layout="plain"``.

Roster (optional CSV, UTF-8, header row)
----------------------------------------
Maps the ids the LMS uses to the course's student ids (the nbgrader student ids)::

    student_id,lms_id,login,email,first_name,last_name
    s1234567,4711,jdoe,jane.doe@uni.example,Jane,Doe

``student_id`` is required, plus at least one of ``lms_id`` (Moodle participant id, Canvas
user id), ``login`` (ILIAS login) or ``email``; other columns are ignored. An LMS id is looked
up in ``lms_id``, then ``login``, then ``email`` (both case-insensitive), then ``student_id``.
A file whose LMS id is not in the roster is not collected (``report.not_in_roster``); roster
students with no notebook at all are ``report.missing``. Without a roster the LMS id is the
student id. Student ids must be safe folder names (see :func:`validate_student_id`).

Notebook names
--------------
nbgrader grades ``submitted/<student>/<assignment>/<name>.ipynb`` for the notebook names of
the release, ``exercises/<assignment>/*.ipynb``. With one released notebook, whatever single
notebook a student sent is renamed to it; with several, a student's file is matched to a
released notebook by name (case, punctuation and Canvas's ``-N`` suffix ignored).

Duplicates, broken files, other files
-------------------------------------
* The same student (and notebook) more than once: the highest Canvas resubmission suffix,
  then the newest timestamp, is kept; the others are listed in ``report.duplicates``.
* ``.ipynb`` files that nbformat cannot read are listed in ``report.invalid`` and not copied
  (an older valid notebook of the same student is then used, and listed as kept).
* Other files (PDFs, data, Moodle's ``onlinetext.html``) are listed in ``report.ignored``.
  ``__MACOSX/``, ``.ipynb_checkpoints/``, ``__pycache__/``, ``.DS_Store`` and ``._*`` are
  skipped silently.

Timestamps
----------
``timestamp.txt`` holds the submission time in nbgrader's format,
``2025-11-03 14:07:12.000000 UTC`` (what ``nbgrader autograde`` compares with the due date):
the newest modification time of the student's collected notebooks. For zip members that is
the Info-ZIP extended (UTC) timestamp when present, else the zip's local date and time read
in ``zip_timezone`` (an IANA name; default: this machine's local time zone). For a folder it
is the file's mtime.

Nothing is lost, re-running is safe
-----------------------------------
A submission is compared with what ``submitted/<student>/<assignment>/`` already holds
(every file's SHA-256, timestamp.txt included). Identical: left alone ("unchanged"), so
collecting the same export twice changes nothing. Different: the old folder is moved to
``submitted/.previous/<student>/<assignment>-<its timestamp.txt in UTC as YYYYmmddTHHMMSS>/``
(``-2``, ``-3`` ... if that exists; its folder mtime when it has no timestamp.txt) and the new one takes its place ("replaced"). nbgrader ignores dot-folders. New
folders are assembled in ``submitted/.incoming-*`` and renamed into place.

Archive safety
--------------
Members are read one at a time from the zip, never extracted. Absolute paths, ``..``
components (zip slip), symlinks, encrypted members and members larger than
``max_file_bytes`` are rejected (``report.rejected``); an archive (or folder) whose files add
up to more than ``max_total_bytes`` is refused as a whole before anything is read.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import stat
import struct
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

import nbformat

from .course import Course

PREVIOUS_DIRECTORY = ".previous"
TIMESTAMP_FILE = "timestamp.txt"
#: nbgrader's own default (``Exchange.timestamp_format``), always written in UTC.
NBGRADER_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"

DEFAULT_MAX_TOTAL_BYTES = 2 * 1024**3
DEFAULT_MAX_FILE_BYTES = 200 * 1024**2

LAYOUTS = ("moodle", "canvas", "ilias", "plain")
LAYOUT_PATTERNS = {
    "moodle": "Moodle: 'Full Name_<participant id>_assignsubmission_file_<file>' "
              "(flat) or 'Full Name_<participant id>_assignsubmission_file_/<file>'",
    "canvas": "Canvas: '<lastfirst>_[LATE_]<user id>_<submission id>_<file>' (flat)",
    "ilias": "ILIAS: '<Lastname>_<Firstname>_<login>[_<id>]/<file>'",
    "plain": "plain: '<student_id>/<file>.ipynb', '<student_id>/<assignment>/<file>.ipynb' "
             "or '<student_id>.ipynb'",
}

_NOISE_FOLDERS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}
_NOISE_FILES = {".DS_Store", "Thumbs.db", "desktop.ini"}
_SAFE_ID = re.compile(r"^[A-Za-z0-9@][A-Za-z0-9._@+-]{0,99}$")
_MOODLE = re.compile(r"^(?P<name>[^_]*)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)(?:_(?P<rest>.*))?$")
_CANVAS = re.compile(r"^(?P<name>[^_]+)_(?:(?P<late>LATE)_)?(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$")
_CANVAS_RESUBMISSION = re.compile(r"^(?P<stem>.+)-(?P<number>\d+)$")
_EXTENDED_TIMESTAMP_ID = 0x5455  # Info-ZIP "UT" extra field: mtime as UTC seconds


# --------------------------------------------------------------------------- report


@dataclass
class Problem:
    """A file of the source that was not used, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class DuplicateSubmission:
    """The same student and notebook more than once: ``kept`` was used, ``dropped`` were not."""

    student_id: str
    notebook: str
    kept: str
    dropped: list[str]


@dataclass
class CollectedSubmission:
    """One student's submission as written (or, in a dry run, as it would be written)."""

    student_id: str
    lms_id: str
    name: str
    notebooks: dict[str, str]  # notebook name in submitted/ -> path of the file in the source
    timestamp: str
    status: str  # "new", "replaced" or "unchanged"
    path: Path
    previous: Path | None = None  # where the replaced submission was moved


@dataclass
class CollectReport:
    """What :func:`collect` did; every list is sorted, so reports compare and print stably."""

    assignment: str
    source: Path
    layout: str
    dry_run: bool
    collected: list[CollectedSubmission] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    duplicates: list[DuplicateSubmission] = field(default_factory=list)
    invalid: list[Problem] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    not_in_roster: list[str] = field(default_factory=list)

    @property
    def students(self) -> list[str]:
        """Student ids with a collected submission."""
        return [s.student_id for s in self.collected]

    def with_status(self, status: str) -> list[CollectedSubmission]:
        return [s for s in self.collected if s.status == status]

    def summary(self) -> str:
        """A text report for the terminal: counts first, then every problem by name."""
        verb = "would collect" if self.dry_run else "collected"
        counts = ", ".join(f"{len(self.with_status(s))} {s}" for s in ("new", "replaced", "unchanged"))
        lines = [f"{self.assignment}: {verb} {len(self.collected)} student(s) from {self.source} "
                 f"({self.layout} layout): {counts}"]
        kept = "would be moved to" if self.dry_run else "kept in"
        for sub in self.with_status("replaced"):
            lines.append(f"  replaced {sub.student_id}: previous submission {kept} {sub.previous}")

        def section(title: str, items: list) -> None:
            if items:
                lines.append(f"{title} ({len(items)}):")
                lines.extend(f"  {item}" for item in items)

        section("in the roster, no submission", self.missing)
        section("not in the roster (not collected)", self.not_in_roster)
        section("duplicates (kept the newest)", [
            f"{d.student_id} {d.notebook}: kept {d.kept}; not used: {', '.join(d.dropped)}"
            for d in self.duplicates])
        section("not readable as notebooks (not copied)", self.invalid)
        section("rejected", self.rejected)
        section("ignored (not notebooks)", self.ignored)
        if self.dry_run:
            lines.append("dry run: nothing was written")
        return "\n".join(lines)


# --------------------------------------------------------------------------- ids and roster


def validate_student_id(student_id: str) -> str:
    """Return ``student_id`` if it is a safe folder name, else raise ``ValueError``.

    Safe: 1-100 characters of letters, digits and ``. _ - @ +``, starting with a letter, digit
    or ``@`` (so no hidden folders), and no ``..`` - nothing that can leave submitted/.
    """
    if not isinstance(student_id, str) or not _SAFE_ID.match(student_id) or ".." in student_id:
        raise ValueError(
            f"{student_id!r} is not a valid student id: use 1-100 letters, digits and . _ - @ + "
            "(no spaces, slashes or '..', not starting with '.'); map LMS ids with a roster")
    return student_id


@dataclass
class Roster:
    """The roster CSV: LMS ids -> course student ids (see the module docstring)."""

    student_ids: list[str]
    by_lms_id: dict[str, str]
    by_login: dict[str, str]
    by_email: dict[str, str]

    def lookup(self, lms_id: str) -> str | None:
        for table, key in ((self.by_lms_id, lms_id), (self.by_login, lms_id.lower()),
                           (self.by_email, lms_id.lower())):
            if key in table:
                return table[key]
        return lms_id if lms_id in self.student_ids else None


def read_roster(path: Path) -> Roster:
    """Read and check a roster CSV; errors name the file, the line and the problem."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"roster {path} does not exist")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
        if "student_id" not in header or not {"lms_id", "login", "email"} & set(header):
            raise ValueError(
                f"roster {path}: the header must have a student_id column and at least one of "
                f"lms_id, login, email; it has {', '.join(header) or 'nothing'}")
        reader.fieldnames = header
        roster = Roster([], {}, {}, {})
        for line, row in enumerate(reader, start=2):
            values = {k: (v or "").strip() for k, v in row.items() if k}
            if not any(values.values()):
                continue
            student_id = values.get("student_id", "")
            try:
                validate_student_id(student_id)
            except ValueError as error:
                raise ValueError(f"roster {path}, line {line}: {error}") from None
            if student_id in roster.student_ids:
                raise ValueError(f"roster {path}, line {line}: student_id {student_id!r} appears twice")
            roster.student_ids.append(student_id)
            for column, table, fold in (("lms_id", roster.by_lms_id, False), ("login", roster.by_login, True),
                                        ("email", roster.by_email, True)):
                key = values.get(column, "")
                key = key.lower() if fold else key
                if not key:
                    continue
                if table.get(key, student_id) != student_id:
                    raise ValueError(f"roster {path}, line {line}: {column} {key!r} belongs to both "
                                     f"{table[key]!r} and {student_id!r}")
                table[key] = student_id
    if not roster.student_ids:
        raise ValueError(f"roster {path} lists no students")
    return roster


# --------------------------------------------------------------------------- reading the source


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


def _iter_zip(archive: zipfile.ZipFile, source: Path, zip_timezone: tzinfo, max_total_bytes: int,
              rejected: list[Problem]) -> Iterator[SourceFile]:
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


def _iter_folder(source: Path, max_total_bytes: int, rejected: list[Problem]) -> Iterator[SourceFile]:
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


# --------------------------------------------------------------------------- layouts


@dataclass
class Attribution:
    """What a layout reads from a file's path: whose it is and what the student called it."""

    lms_id: str
    name: str  # the student's name as the LMS wrote it ("" if it does not say)
    filename: str  # the uploaded file name, LMS prefixes removed
    resubmission: int = 0  # Canvas's -N suffix


def _moodle(parts: tuple[str, ...], assignment: str) -> Attribution | None:
    match = _MOODLE.match(parts[0])
    if not match:
        return None
    filename = match["rest"] if len(parts) == 1 else parts[-1]
    return Attribution(match["id"], match["name"], filename) if filename else None


def _canvas(parts: tuple[str, ...], assignment: str) -> Attribution | None:
    match = _CANVAS.match(parts[0]) if len(parts) == 1 else None
    if not match:
        return None
    stem, suffix = os.path.splitext(match["file"])
    resubmission = _CANVAS_RESUBMISSION.match(stem)
    return Attribution(match["user"], match["name"], match["file"],
                       int(resubmission["number"]) if resubmission else 0)


def _ilias(parts: tuple[str, ...], assignment: str) -> Attribution | None:
    fields = parts[0].split("_")
    if len(parts) != 2 or len(fields) < 3 or not all(fields):
        return None
    if len(fields) >= 4 and fields[-1].isdigit():
        fields = fields[:-1]
    return Attribution(fields[-1], " ".join(reversed(fields[:2])), parts[-1])


def _plain(parts: tuple[str, ...], assignment: str) -> Attribution | None:
    if len(parts) == 1:
        stem, suffix = os.path.splitext(parts[0])
        return Attribution(stem, "", parts[0]) if suffix.lower() == ".ipynb" and stem else None
    if len(parts) == 2 or (len(parts) == 3 and parts[1] == assignment):
        return Attribution(parts[0], "", parts[-1])
    return None


_MATCHERS = {"moodle": _moodle, "canvas": _canvas, "ilias": _ilias, "plain": _plain}


def _is_notebook_name(path: str) -> bool:
    return path.lower().endswith(".ipynb")


def _detect_layout(notebooks: list[tuple[str, ...]], layout: str, assignment: str,
                   source: Path) -> tuple[str, int]:
    """The layout that explains every notebook path and how many wrapper folders to strip."""
    candidates = LAYOUTS if layout == "auto" else (layout,)
    for depth in range(4):
        if depth and (any(len(p) <= depth for p in notebooks) or len({p[:depth] for p in notebooks}) > 1):
            break
        for name in candidates:
            if all(_MATCHERS[name](p[depth:], assignment) for p in notebooks):
                return name, depth
    best = max(candidates, key=lambda n: sum(bool(_MATCHERS[n](p, assignment)) for p in notebooks))
    misfit = next(p for p in notebooks if not _MATCHERS[best](p, assignment))
    patterns = "\n  ".join(LAYOUT_PATTERNS[name] for name in candidates)
    raise ValueError(
        f"{source}: cannot tell whose notebook '{'/'.join(misfit)}' is; "
        f"{'no layout fits' if layout == 'auto' else f'it does not fit the {layout} layout'}. "
        f"Expected every notebook to match one of:\n  {patterns}")


def _normalised(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _target_notebook(attribution: Attribution, released: list[str]) -> str | None:
    """The released notebook name this file is for (see "Notebook names" above)."""
    if len(released) == 1:
        return released[0]
    stem = os.path.splitext(attribution.filename)[0]
    stems = [stem]
    resubmission = _CANVAS_RESUBMISSION.match(stem)
    if resubmission:
        stems.append(resubmission["stem"])
    for candidate in stems:
        for notebook in released:
            if _normalised(candidate) == _normalised(os.path.splitext(notebook)[0]):
                return notebook
    return None


def _notebook_problem(data: bytes) -> str | None:
    """Why nbformat cannot read these bytes as a notebook, or None."""
    try:
        text = data.decode("utf-8-sig")
        raw = json.loads(text)
        if not isinstance(raw, dict) or "nbformat" not in raw:
            return "JSON, but not a notebook (no 'nbformat' key)"
        nbformat.reads(text, as_version=4)
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except json.JSONDecodeError as error:
        return f"not JSON ({error})"
    except Exception as error:  # nbformat raises many kinds for a malformed notebook
        return f"nbformat cannot read it ({type(error).__name__}: {error})"
    return None


# --------------------------------------------------------------------------- writing


def _format_timestamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(NBGRADER_TIMESTAMP_FORMAT)


def _folder_digest(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def _previous_location(submitted: Path, student_id: str, assignment: str, current: Path) -> Path:
    stamp_file = current / TIMESTAMP_FILE
    stamp = stamp_file.read_text().strip() if stamp_file.is_file() else ""
    try:
        from nbgrader.utils import parse_utc  # reads every format nbgrader itself writes

        moment = parse_utc(stamp)
    except (ValueError, OverflowError, TypeError):
        moment = None
    if moment is None:
        moment = datetime.fromtimestamp(current.stat().st_mtime, timezone.utc)
    base = submitted / PREVIOUS_DIRECTORY / student_id / f"{assignment}-{moment:%Y%m%dT%H%M%S}"
    target, number = base, 1
    while target.exists():
        number += 1
        target = base.with_name(f"{base.name}-{number}")
    return target


def _released_notebooks(course_root: Path, assignment: str) -> list[str]:
    release = Course(course_root).release / assignment
    notebooks = sorted(p.name for p in release.glob("*.ipynb")) if release.is_dir() else []
    if not notebooks:
        raise ValueError(f"no released notebook for assignment {assignment!r} in {release}: "
                         f"run `nbgrader generate_assignment {assignment}` first")
    return notebooks


def _timezone(name: str | None) -> tzinfo:
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


# --------------------------------------------------------------------------- collect


@dataclass
class _Candidate:
    file: SourceFile
    attribution: Attribution
    student_id: str
    notebook: str
    sha256: str


def collect(course_root: Path, assignment: str, source: Path, *, roster: Path | None = None,
            dry_run: bool = False, layout: str = "auto", zip_timezone: str | None = None,
            max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
            max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> CollectReport:
    """Copy the submissions in ``source`` (folder or .zip) to ``submitted/<student>/<assignment>/``.

    See the module docstring for the layouts, the roster, duplicates, timestamps and what
    happens to an existing submission. ``dry_run=True`` reads and checks everything and
    reports what would be written, without writing. Raises ``ValueError`` (with a message for
    the user) for a missing source or release, a bad roster, an unknown layout or an archive
    over ``max_total_bytes``.
    """
    course_root = Path(course_root)
    source = Path(source)
    try:
        validate_student_id(assignment)
    except ValueError:
        raise ValueError(f"{assignment!r} is not a valid assignment name") from None
    if layout != "auto" and layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}: use auto, {', '.join(LAYOUTS)}")
    released = _released_notebooks(course_root, assignment)
    known = read_roster(roster) if roster is not None else None
    tz = _timezone(zip_timezone)

    report = CollectReport(assignment, source, layout, dry_run)
    if source.is_dir():
        files = list(_iter_folder(source, max_total_bytes, report.rejected))
        return _collect_files(course_root, assignment, source, files, released, known, layout,
                              max_file_bytes, report)
    if not source.exists():
        raise ValueError(f"{source} does not exist")
    if not (source.is_file() and zipfile.is_zipfile(source)):
        raise ValueError(f"{source} is neither a folder nor a zip archive")
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as error:
        raise ValueError(f"{source} is not a readable zip archive: {error}") from None
    with archive:  # members are read from the open archive until the last one is written
        files = list(_iter_zip(archive, source, tz, max_total_bytes, report.rejected))
        return _collect_files(course_root, assignment, source, files, released, known, layout,
                              max_file_bytes, report)


def _collect_files(course_root: Path, assignment: str, source: Path, files: list[SourceFile],
                   released: list[str], roster: Roster | None, layout: str, max_file_bytes: int,
                   report: CollectReport) -> CollectReport:
    paths = {f.path: tuple(f.path.split("/")) for f in files}
    notebook_files = [f for f in files if _is_notebook_name(f.path)]
    if not notebook_files:
        shown = ", ".join(sorted(paths)[:10]) or "no files at all"
        raise ValueError(f"{source}: no .ipynb notebooks found (it holds {shown})")
    report.layout, depth = _detect_layout([paths[f.path] for f in notebook_files], layout, assignment, source)
    match = _MATCHERS[report.layout]

    attributed_students: set[str] = set()
    not_in_roster: set[str] = set()
    candidates: list[_Candidate] = []
    for file in files:
        if not _is_notebook_name(file.path):
            report.ignored.append(file.path)
            continue
        attribution = match(paths[file.path][depth:], assignment)
        student_id = roster.lookup(attribution.lms_id) if roster else attribution.lms_id
        if student_id is None:
            not_in_roster.add(attribution.lms_id)
            report.rejected.append(Problem(file.path, f"LMS id {attribution.lms_id!r} is not in the roster"))
            continue
        try:
            validate_student_id(student_id)
        except ValueError as error:
            report.rejected.append(Problem(file.path, str(error)))
            continue
        attributed_students.add(student_id)
        notebook = _target_notebook(attribution, released)
        if notebook is None:
            report.rejected.append(Problem(file.path, f"matches none of the assignment's notebooks "
                                                      f"({', '.join(released)}) by name"))
            continue
        if file.size > max_file_bytes:
            report.rejected.append(Problem(file.path, f"{file.size} bytes, larger than the per-file "
                                                      f"limit of {max_file_bytes} (max_file_bytes)"))
            continue
        try:
            data = file.read(max_file_bytes)
        except ValueError as error:
            report.rejected.append(Problem(file.path, str(error)))
            continue
        except (OSError, zipfile.BadZipFile, EOFError) as error:
            report.invalid.append(Problem(file.path, f"cannot be read from the source ({error})"))
            continue
        problem = _notebook_problem(data)
        if problem:
            report.invalid.append(Problem(file.path, problem))
            continue
        candidates.append(_Candidate(file, attribution, student_id, notebook, hashlib.sha256(data).hexdigest()))

    chosen: dict[str, dict[str, _Candidate]] = {}
    groups: dict[tuple[str, str], list[_Candidate]] = {}
    for candidate in candidates:
        groups.setdefault((candidate.student_id, candidate.notebook), []).append(candidate)
    for (student_id, notebook), group in sorted(groups.items()):
        group.sort(key=lambda c: (c.attribution.resubmission, c.file.mtime, c.file.path))
        chosen.setdefault(student_id, {})[notebook] = group[-1]
        if len(group) > 1:
            report.duplicates.append(DuplicateSubmission(student_id, notebook, group[-1].file.path,
                                                         [c.file.path for c in reversed(group[:-1])]))

    submitted = Course(course_root).submitted
    for student_id, notebooks in sorted(chosen.items()):
        report.collected.append(_write_submission(submitted, assignment, student_id, notebooks,
                                                  max_file_bytes, report.dry_run))

    report.not_in_roster = sorted(not_in_roster)
    if roster is not None:
        report.missing = sorted(set(roster.student_ids) - attributed_students)
    report.ignored.sort()
    report.invalid.sort(key=lambda p: p.path)
    report.rejected.sort(key=lambda p: p.path)
    return report


def _write_submission(submitted: Path, assignment: str, student_id: str, notebooks: dict[str, _Candidate],
                      max_file_bytes: int, dry_run: bool) -> CollectedSubmission:
    """Write one student's submission unless identical; move a different existing one aside."""
    timestamp = _format_timestamp(max(c.file.mtime for c in notebooks.values()))
    incoming = {name: c.sha256 for name, c in notebooks.items()}
    incoming[TIMESTAMP_FILE] = hashlib.sha256(timestamp.encode()).hexdigest()
    target = submitted / student_id / assignment
    first = next(iter(notebooks.values()))
    result = CollectedSubmission(student_id, first.attribution.lms_id, first.attribution.name,
                                 {name: c.file.path for name, c in notebooks.items()}, timestamp, "new", target)
    if target.exists():
        if target.is_dir() and _folder_digest(target) == incoming:
            result.status = "unchanged"
            return result
        result.status = "replaced"
        result.previous = _previous_location(submitted, student_id, assignment, target)
    if dry_run:
        return result

    submitted.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=submitted))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; the submission folder should not be
    try:
        for name, candidate in notebooks.items():
            data = candidate.file.read(max_file_bytes)
            if hashlib.sha256(data).hexdigest() != candidate.sha256:
                raise ValueError(f"{candidate.file.path} changed while it was being collected")
            (staging / name).write_bytes(data)
        (staging / TIMESTAMP_FILE).write_text(timestamp)
        if result.previous is not None:
            result.previous.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(target), str(result.previous))
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return result
