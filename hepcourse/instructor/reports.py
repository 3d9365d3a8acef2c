"""Feedback and grade reports of an nbgrader course, after ``nbgrader autograde``.

* :func:`generate_feedback` runs nbgrader's own ``generate_feedback`` (so the HTML is exactly
  nbgrader's, with the scores per cell and the assertion messages of the tests) and returns the
  files it wrote under ``feedback/<student>/<assignment>/``.
* :func:`grades_table` reads ``gradebook.db`` into one row per student - id, names, email,
  one score per assignment, total and maximum total - for :func:`write_grades_csv` (the file to
  upload to the LMS) and :func:`format_table` (the terminal). A student with no submission of
  an assignment gets an empty value there, not 0, so "did not submit" and "scored 0" stay
  apart.
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from .course import Course, NbgraderError, run_nbgrader  # noqa: F401  (re-exported for callers)

IDENTITY_COLUMNS = ("student_id", "first_name", "last_name", "email")
TOTAL_COLUMNS = ("total", "max_total")
NOT_SUBMITTED = ""  # the value of an assignment a student did not submit


def generate_feedback(course_root: Path, assignment: str, students: list[str] | None = None) -> list[Path]:
    """Write HTML feedback for ``assignment`` and return the HTML files, sorted.

    ``students``: the student ids to (re)generate; default: every student with an autograded
    submission. Existing feedback of these students is overwritten (``--force``), others'
    is left alone. Raises ``ValueError`` if the course, the autograded submissions or a
    requested student's submission are missing, :class:`NbgraderError` if nbgrader fails.
    """
    course = Course.find(course_root)
    course_root = course.root
    autograded = course.autograded
    available = sorted(p.parent.name for p in autograded.glob(f"*/{assignment}") if p.is_dir())
    if students is None:
        if not available:
            raise ValueError(f"no autograded submissions of {assignment!r} in {autograded}: "
                             f"run grading first (`hepcourse grade {assignment}`)")
        students = available
    else:
        students = sorted(set(students))
        absent = [s for s in students if s not in available]
        if absent:
            raise ValueError(f"no autograded submission of {assignment!r} for {', '.join(absent)} in "
                             f"{autograded}: run grading first (`hepcourse grade {assignment}`)")
    if not course.gradebook.is_file():
        raise ValueError(f"no gradebook at {course.gradebook}: run grading first "
                         f"(`hepcourse grade {assignment}`)")
    # One nbgrader run: its --student takes a single glob, so name the others to leave out.
    others = [s for s in available if s not in students]
    exclude = [f"--CourseDirectory.student_id_exclude={','.join(others)}"] if others else []
    run_nbgrader(course_root, "generate_feedback", assignment, "--force", *exclude)
    written = []
    for student in students:
        html = sorted((course.feedback / student / assignment).glob("*.html"))
        if not html:
            raise NbgraderError(f"nbgrader generate_feedback wrote no HTML for {student} "
                                f"in {course.feedback / student / assignment}")
        written.extend(html)
    return written


def _course_ids(database: Path) -> list[str]:
    """Course ids stored in the gradebook, read without writing to it."""
    connection = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    try:
        return [row[0] for row in connection.execute("SELECT id FROM course ORDER BY id")]
    except sqlite3.DatabaseError as error:
        raise ValueError(f"{database} is not an nbgrader gradebook ({error})") from None
    finally:
        connection.close()


def _number(value: float) -> float | int:
    """Whole scores as int (11, not 11.0); others rounded to 4 digits."""
    value = round(float(value), 4)
    return int(value) if value.is_integer() else value


def grades_table(course_root: Path) -> list[dict]:
    """One row per student in the gradebook, sorted by student id.

    Keys: ``student_id``, ``first_name``, ``last_name``, ``email`` (``""`` when unknown), one
    key per assignment (in the gradebook's order: due date, then name) holding the score, or
    ``""`` if the student has no graded submission of it, then ``total`` (of the submitted
    assignments) and ``max_total`` (of all assignments). Raises ``ValueError`` if there is no
    gradebook yet.
    """
    from nbgrader.api import Gradebook, MissingEntry

    database = Course(Path(course_root).resolve()).gradebook
    if not database.is_file():
        raise ValueError(f"no gradebook at {database}: run grading first "
                         "(`hepcourse grade <assignment>`) to create it")
    course_ids = _course_ids(database)
    rows = []
    # Open the gradebook under a course it already holds, so that reading adds no course row.
    with Gradebook(f"sqlite:///{database}", course_id=course_ids[0] if course_ids else "") as gradebook:
        assignments = [(a.name, _number(a.max_score)) for a in gradebook.assignments]
        max_total = _number(sum(score for _, score in assignments))
        for student in sorted(gradebook.students, key=lambda s: s.id):
            row = {"student_id": student.id, "first_name": student.first_name or "",
                   "last_name": student.last_name or "", "email": student.email or ""}
            total = 0.0
            for name, _ in assignments:
                try:
                    score = gradebook.find_submission(name, student.id).score
                except MissingEntry:
                    row[name] = NOT_SUBMITTED
                    continue
                row[name] = _number(score)
                total += score
            row["total"] = _number(total)
            row["max_total"] = max_total
            rows.append(row)
    return rows


def _columns(rows: list[dict]) -> list[str]:
    columns = list(IDENTITY_COLUMNS)
    for row in rows:
        columns.extend(key for key in row if key not in columns and key not in TOTAL_COLUMNS)
    return columns + list(TOTAL_COLUMNS)


def write_grades_csv(rows: list[dict], path: Path) -> Path:
    """Write :func:`grades_table` rows as CSV (UTF-8, header row); returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=_columns(rows), restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def format_table(rows: list[dict]) -> str:
    """The rows as an aligned text table; numbers right-aligned, "-" for no submission."""
    if not rows:
        return "no students in the gradebook"
    columns = _columns(rows)
    numeric = {c for c in columns if c not in IDENTITY_COLUMNS}
    cells = [[("-" if row.get(c, "") == "" and c in numeric else str(row.get(c, ""))) for c in columns]
             for row in rows]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if c in numeric else v.ljust(w)
                         for v, w, c in zip(values, widths, columns)).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(v) for v in cells)])
