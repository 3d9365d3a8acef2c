"""A class of 30 through the instructor workflow: collected from an LMS zip, graded with 2
workers in the sandbox, every score as expected, the gradebook and the submissions intact.

The submissions (tests/grading_course.py) mix correct, partial, blank and hostile notebooks:
endless loops, memory hogs, output floods, crashes, syntax errors, tampered or deleted test
cells, and attempts to read the hidden tests or another student's notebook, to delete or
overwrite the gradebook and to reach the network.
"""

from __future__ import annotations

import csv
import hashlib
import sqlite3
import zipfile
from pathlib import Path

import nbformat
import pytest

import grading_course as gc
from hepcourse.instructor import sandbox
from hepcourse.instructor.autograde import grade, journal_path
from hepcourse.instructor.collect import collect
from hepcourse.instructor.course import Course, CourseError, release

pytestmark = pytest.mark.grading

LIMITS = sandbox.Limits(cell_s=8, wall_s=90, memory_bytes=2**30, threads=1)


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def _moodle_zip(path: Path, submissions, roster: Path) -> dict[str, str]:
    """Moodle's "Download all submissions" (in folders) and a roster; returns {lms id: student}."""
    ids = {}
    with zipfile.ZipFile(path, "w") as zf, open(roster, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "lms_id", "first_name", "last_name"])
        for number, sub in enumerate(submissions):
            lms_id = str(4000 + number)
            ids[lms_id] = sub.student
            writer.writerow([sub.student, lms_id, "Student", sub.student])
            folder = f"Student {sub.student}_{lms_id}_assignsubmission_file_"
            info = zipfile.ZipInfo(f"{folder}/{gc.ASSIGNMENT}.ipynb", date_time=(2026, 11, 20, 12, 0, 0))
            zf.writestr(info, nbformat.writes(sub.notebook))
            if sub.student == "correct00":  # an earlier upload of the same student: a duplicate
                older = zipfile.ZipInfo(f"{folder}/first_try.ipynb", date_time=(2026, 11, 19, 9, 0, 0))
                zf.writestr(older, nbformat.writes(submissions[-1].notebook))
        writer.writerow(["absent00", "4999", "Student", "absent00"])
    return ids


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    path = gc.make_course(tmp_path_factory.mktemp("class"))
    course = Course(path)
    release(course, gc.ASSIGNMENT.split("_")[0])
    release_nb = nbformat.read(course.release / gc.ASSIGNMENT / f"{gc.ASSIGNMENT}.ipynb", as_version=4)
    submissions = gc.class_submissions(release_nb, path)
    export = tmp_path_factory.mktemp("lms") / "moodle_export.zip"
    roster = export.with_name("roster.csv")
    _moodle_zip(export, submissions, roster)
    report = collect(path, gc.ASSIGNMENT, export, roster=roster)
    submitted_before = _tree_digest(course.submitted)
    summary = grade(course, gc.ASSIGNMENT, workers=2, limits=LIMITS, progress=False)
    return course, submissions, report, summary, submitted_before


@pytest.mark.slow
def test_collect_reports_missing_and_duplicate(graded_class):
    _, submissions, report, _, _ = graded_class
    assert sorted(s.student_id for s in report.collected) == sorted(s.student for s in submissions)
    assert report.missing == ["absent00"]
    assert [d.student_id for d in report.duplicates] == ["correct00"]


@pytest.mark.slow
def test_every_score_is_as_expected(graded_class):
    course, submissions, _, summary, _ = graded_class
    got = {o.student: (o.status, o.score) for o in summary.outcomes}
    wrong = {s.student: (got.get(s.student), s.expected, s.note) for s in submissions
             if got.get(s.student) != ("graded", s.expected)}
    assert not wrong, f"(got (status, score), expected, what it does): {wrong}\n{summary.table()}"
    assert summary.workers == 2 and summary.level == sandbox.detect_level()


@pytest.mark.slow
def test_gradebook_and_submissions_are_intact(graded_class):
    course, submissions, _, _, submitted_before = graded_class
    from nbgrader.api import Gradebook

    with sqlite3.connect(course.gradebook) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with Gradebook(f"sqlite:///{course.gradebook}") as gb:
        scores = {s.student: gb.find_submission(gc.ASSIGNMENT, s.student).score for s in submissions}
    assert scores == {s.student: s.expected for s in submissions}
    assert _tree_digest(course.submitted) == submitted_before, "grading changed the submitted files"
    assert (course.source / gc.ASSIGNMENT / f"{gc.ASSIGNMENT}.ipynb").exists()


def _outputs(course: Course, student: str) -> str:
    nb = nbformat.read(course.autograded / student / gc.ASSIGNMENT / f"{gc.ASSIGNMENT}.ipynb", as_version=4)
    return "\n".join(f"{o.get('ename', '')} {o.get('evalue', '')} {o.get('text', '')}"
                     for c in nb.cells for o in c.get("outputs", []))


@pytest.mark.slow
def test_hostile_submissions_saw_nothing_and_changed_nothing(graded_class):
    course = graded_class[0]
    if sandbox.detect_level() != "bwrap":
        pytest.skip("file and network isolation needs the bwrap level")
    snoop = _outputs(course, "snoop00")
    assert "FOUND []" in snoop, f"the sandbox let a submission read course files:\n{snoop[-2000:]}"
    vandal = _outputs(course, "vandal00")
    assert "VANDALISED" not in vandal and vandal.count("refused") == 3, vandal[-2000:]
    assert not any(p.is_symlink() for p in course.autograded.rglob("*")), "a planted link reached autograded/"
    net = _outputs(course, "netcheck00")
    assert "no network" in net and "CONNECTED" not in net, net[-2000:]


@pytest.mark.slow
def test_limits_are_reported_and_output_capped(graded_class):
    course, _, _, summary, _ = graded_class
    problems = {o.student: " ".join(o.problems) for o in summary.outcomes}
    assert "time limit" in problems["loop00"]
    assert "did not respond" in problems["stubborn00"]
    assert "memory" in problems["memhog00"]
    assert "MemoryError" in _outputs(course, "bigalloc00")
    assert "kernel died" in problems["exits00"]
    flood = course.autograded / "flood00" / gc.ASSIGNMENT / f"{gc.ASSIGNMENT}.ipynb"
    assert flood.stat().st_size < 2 * LIMITS.output_bytes, f"{flood.stat().st_size} bytes kept of a flood"


@pytest.mark.slow
def test_rerun_resumes_without_grading_twice(graded_class):
    course, submissions, _, first, _ = graded_class
    again = grade(course, gc.ASSIGNMENT, workers=2, limits=LIMITS, progress=False)
    assert {o.status for o in again.outcomes} == {"skipped"}
    assert {o.student: o.score for o in again.outcomes} == {o.student: o.score for o in first.outcomes}
    # a lost journal entry (as after an interrupt) means that one submission is graded again
    journal_path(course, gc.ASSIGNMENT, "wrongmean00").unlink()
    third = grade(course, gc.ASSIGNMENT, workers=2, limits=LIMITS, progress=False)
    assert [o.student for o in third.outcomes if o.status == "graded"] == ["wrongmean00"]
    assert next(o.score for o in third.outcomes if o.student == "wrongmean00") == gc.POINTS["test_mass"]
    assert len(list((course.state / "backups").glob("gradebook-*.db"))) == 2


def test_sandbox_refuses_to_show_the_course(tmp_path):
    course = tmp_path / "course"
    (course / "work").mkdir(parents=True)
    with pytest.raises(sandbox.SandboxError, match="contains"):
        sandbox.wrap_command(["true"], level="bwrap", workdir=course / "work", limits=LIMITS, env={},
                             readonly=[str(tmp_path)], hidden=[str(course)])


def test_unknown_level_and_process_fallback_are_explicit(monkeypatch):
    with pytest.raises(sandbox.SandboxError, match="unknown sandbox level"):
        sandbox.detect_level("docker")
    assert sandbox.detect_level("process") == "process"
    monkeypatch.setattr(sandbox, "bwrap_executable", lambda: None)
    with pytest.warns(RuntimeWarning, match="YOUR user's rights"):
        assert sandbox.detect_level() == "process"
    with pytest.raises(sandbox.SandboxError, match="does not work here"):
        sandbox.detect_level("bwrap")


def test_symlinked_submission_is_rejected(tmp_path):
    path = gc.make_course(tmp_path / "course")
    course = Course(path)
    release(course, gc.ASSIGNMENT)
    folder = course.submitted / "linker" / gc.ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / f"{gc.ASSIGNMENT}.ipynb").symlink_to(course.gradebook)
    summary = grade(course, gc.ASSIGNMENT, workers=1, limits=LIMITS, progress=False)
    assert [(o.student, o.status) for o in summary.outcomes] == [("linker", "rejected")]
    assert "link" in summary.outcomes[0].message


def test_grading_needs_a_released_assignment(tmp_path):
    course = Course(gc.make_course(tmp_path / "course"))
    with pytest.raises(CourseError, match="release"):
        grade(course, gc.ASSIGNMENT, progress=False)
    with pytest.raises(CourseError, match="no assignment '07'"):
        course.assignment("07")
