"""hepcourse.instructor.reports on a tiny nbgrader course built in tmp_path: a 3-point
assignment (one solution cell, two graded test cells) released with nbgrader, submitted by a
correct and a wrong student, autograded; a third student has no submission."""

import csv
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from hepcourse.instructor.reports import (
    NbgraderError,
    format_table,
    generate_feedback,
    grades_table,
    run_nbgrader,
    write_grades_csv,
)

pytestmark = pytest.mark.grading

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "hw1"
SOLUTION = "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION\n"
STUB = "raise NotImplementedError()"


def _cell(source: str, grade_id: str, *, solution=False, grade=False, points=None, markdown=False):
    meta = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    make = new_markdown_cell if markdown else new_code_cell
    return make(source, id=grade_id, metadata={"nbgrader": meta})


def source_notebook():
    return new_notebook(cells=[
        _cell("Write `add(a, b)`.", "intro", markdown=True),
        _cell(SOLUTION, "add", solution=True),
        _cell("assert add(1, 2) == 3\n### BEGIN HIDDEN TESTS\nassert add(2, 2) == 4\n### END HIDDEN TESTS\n",
              "test_add", grade=True, points=2),
        _cell("assert add(-1, 1) == 0\n", "test_add_negative", grade=True, points=1),
    ], metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}})


def submission(release: Path, body: str):
    """The released notebook with the student's answer in place of the stub."""
    nb = nbformat.read(release, as_version=4)
    [answer] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "add"]
    assert STUB in answer.source, "the release should hold nbgrader's stub"
    answer.source = answer.source.replace(STUB, body)
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Released, submitted by alice (correct, 3/3) and bob (passes only test_add, 2/3),
    autograded; carol is in the gradebook without a submission."""
    root = tmp_path_factory.mktemp("reports") / "course"
    (root / "solutions" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    nbformat.write(source_notebook(), root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    run_nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    release = root / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    answers = {"alice": "return a + b", "bob": "return abs(a) + b"}
    for student, body in answers.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(submission(release, body), folder / f"{ASSIGNMENT}.ipynb")
        (folder / "timestamp.txt").write_text("2025-11-03 14:07:12.000000 UTC")

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id="hepcourse") as gradebook:
        gradebook.update_or_create_student("alice", first_name="Alice", last_name="Able", email="alice@uni.example")
        gradebook.update_or_create_student("carol", first_name="Carol", last_name="Cole")
    run_nbgrader(root, "autograde", ASSIGNMENT, "--force")
    return root


@pytest.mark.slow
def test_generate_feedback_for_chosen_students_leaves_the_others_alone(course):
    shutil.rmtree(course / "feedback", ignore_errors=True)  # whatever test ran before
    written = generate_feedback(course, ASSIGNMENT, students=["bob"])

    assert written == [course / "feedback" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html"]
    assert "Score: 2.0 / 3.0" in written[0].read_text()
    assert not (course / "feedback" / "alice").exists()


@pytest.mark.slow
def test_generate_feedback_writes_html_with_the_score_per_student(course):
    written = generate_feedback(course, ASSIGNMENT)

    assert written == [course / "feedback" / s / ASSIGNMENT / f"{ASSIGNMENT}.html" for s in ("alice", "bob")]
    alice, bob = (path.read_text() for path in written)
    assert "Score: 3.0 / 3.0" in alice
    assert "Score: 2.0 / 3.0" in bob
    assert "AssertionError" in bob  # the failing test's traceback is part of the feedback
    assert not (course / "feedback" / "carol").exists()


@pytest.mark.slow  # needs the autograded course (about 20 s, shared)
def test_generate_feedback_refuses_students_without_autograded_work(course, tmp_path):
    with pytest.raises(ValueError, match="no autograded submission of 'hw1' for carol.*run grading first"):
        generate_feedback(course, ASSIGNMENT, students=["carol"])
    with pytest.raises(ValueError, match="no autograded submissions of 'hw9'"):
        generate_feedback(course, "hw9")
    with pytest.raises(ValueError, match="no nbgrader_config.py"):
        generate_feedback(tmp_path, ASSIGNMENT)


@pytest.mark.slow  # needs the autograded course (about 20 s, shared)
def test_grades_table_has_scores_totals_and_blank_for_no_submission(course):
    rows = grades_table(course)

    assert rows == [
        {"student_id": "alice", "first_name": "Alice", "last_name": "Able", "email": "alice@uni.example",
         ASSIGNMENT: 3, "total": 3, "max_total": 3},
        {"student_id": "bob", "first_name": "", "last_name": "", "email": "",
         ASSIGNMENT: 2, "total": 2, "max_total": 3},
        {"student_id": "carol", "first_name": "Carol", "last_name": "Cole", "email": "",
         ASSIGNMENT: "", "total": 0, "max_total": 3},
    ]


@pytest.mark.slow  # needs the autograded course (about 20 s, shared)
def test_grades_table_does_not_write_to_the_gradebook(course):
    before = (course / "gradebook.db").read_bytes()
    grades_table(course)
    assert (course / "gradebook.db").read_bytes() == before


@pytest.mark.slow  # needs the autograded course (about 20 s, shared)
def test_write_grades_csv_and_format_table(course, tmp_path):
    rows = grades_table(course)
    path = write_grades_csv(rows, tmp_path / "out" / "grades.csv")

    with path.open(newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == ["student_id", "first_name", "last_name", "email", ASSIGNMENT, "total", "max_total"]
    assert table[1] == ["alice", "Alice", "Able", "alice@uni.example", "3", "3", "3"]
    assert table[3] == ["carol", "Carol", "Cole", "", "", "0", "3"]  # empty, not 0, for no submission

    text = format_table(rows).splitlines()
    assert text[0].split() == ["student_id", "first_name", "last_name", "email", ASSIGNMENT, "total", "max_total"]
    assert text[4].split() == ["carol", "Carol", "Cole", "-", "0", "3"]
    assert len({len(line) for line in text[:2]}) == 1  # header and rule are aligned


def test_missing_gradebook_says_to_grade_first(tmp_path):
    with pytest.raises(ValueError, match="no gradebook at .*run grading first"):
        grades_table(tmp_path)


def test_nbgrader_failure_is_a_value_error_with_its_output(tmp_path, monkeypatch):
    """run_nbgrader reports the command and nbgrader's last words (a stand-in interpreter that
    fails like nbgrader does, so the test does not pay nbgrader's start-up time)."""
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\necho \"[AutogradeApp | ERROR] No notebooks were matched\" >&2\nexit 1\n")
    fake_python.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake_python))
    with pytest.raises(NbgraderError, match=r"nbgrader autograde hw9` failed \(exit 1\)[\s\S]*No notebooks") as error:
        run_nbgrader(tmp_path, "autograde", "hw9")
    assert isinstance(error.value, ValueError)
