"""Collect student submissions from an LMS export into the nbgrader course.

``collect(course_root, assignment, source)`` reads ``source`` - a folder or a ``.zip`` as
downloaded from the learning-management system - and writes each student's notebook to
``submitted/<student_id>/<assignment>/<notebook>.ipynb`` plus nbgrader's ``timestamp.txt``,
which is where ``nbgrader autograde <assignment>`` looks for it. It returns a
:class:`CollectReport` that lists who was collected, who is missing, duplicates, broken
notebooks and every file it did not use, and why.

The pieces live in their own modules: :mod:`.roster` (student ids and the roster CSV),
:mod:`.archives` (reading a zip or folder safely) and :mod:`.layouts` (the Moodle, Canvas, ILIAS
and plain layouts and how files map to released notebooks); this module puts them together and
writes submitted/.

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
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from .archives import (  # noqa: F401  (re-exported: the names callers used from this module)
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_TOTAL_BYTES,
    Problem,
    SourceFile,
    iter_folder,
    iter_zip,
    parse_timezone,
)
from .course import Course
from .layouts import (  # noqa: F401
    LAYOUT_PATTERNS,
    LAYOUTS,
    MATCHERS,
    Attribution,
    detect_layout,
    is_notebook_name,
    target_notebook,
)
from .roster import Roster, read_roster, validate_student_id  # noqa: F401

PREVIOUS_DIRECTORY = ".previous"
TIMESTAMP_FILE = "timestamp.txt"
#: nbgrader's own default (``Exchange.timestamp_format``), always written in UTC.
NBGRADER_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"


# --------------------------------------------------------------------------- report


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
    tz = parse_timezone(zip_timezone)

    report = CollectReport(assignment, source, layout, dry_run)
    if source.is_dir():
        files = list(iter_folder(source, max_total_bytes, report.rejected))
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
        files = list(iter_zip(archive, source, tz, max_total_bytes, report.rejected))
        return _collect_files(course_root, assignment, source, files, released, known, layout,
                              max_file_bytes, report)


def _collect_files(course_root: Path, assignment: str, source: Path, files: list[SourceFile],
                   released: list[str], roster: Roster | None, layout: str, max_file_bytes: int,
                   report: CollectReport) -> CollectReport:
    paths = {f.path: tuple(f.path.split("/")) for f in files}
    notebook_files = [f for f in files if is_notebook_name(f.path)]
    if not notebook_files:
        shown = ", ".join(sorted(paths)[:10]) or "no files at all"
        raise ValueError(f"{source}: no .ipynb notebooks found (it holds {shown})")
    report.layout, depth = detect_layout([paths[f.path] for f in notebook_files], layout, assignment, source)
    match = MATCHERS[report.layout]

    attributed_students: set[str] = set()
    not_in_roster: set[str] = set()
    candidates: list[_Candidate] = []
    for file in files:
        if not is_notebook_name(file.path):
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
        notebook = target_notebook(attribution, released)
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
