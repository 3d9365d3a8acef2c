"""`hepcourse check-source` on this course's real sources, including the comparison of the
committed exercises/ with a fresh `nbgrader generate_assignment` (run in a temporary copy)."""

import shutil
from pathlib import Path

import nbformat
import pytest

from hepcourse.cli import main
from hepcourse.instructor.check_source import check_sources, fix_header
from hepcourse.instructor.course import Course

pytestmark = pytest.mark.grading

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())


def test_every_source_and_release_passes(capsys):
    # every source has its release and its variants (tests/exercise_variants/x<assignment>.py)
    assert ASSIGNMENTS, "no exercise sources found in solutions/"
    for assignment in ASSIGNMENTS:
        assert (ROOT / "exercises" / assignment / f"{assignment}.ipynb").is_file(), assignment
        assert (ROOT / "tests" / "exercise_variants" / f"x{assignment}.py").is_file(), assignment
    assert [str(p) for p in check_sources(Course(ROOT))] == []  # the releases against generate_assignment too
    assert main(["check-source", "--course", str(ROOT), "--no-release"]) == 0  # the command (the rules only)
    assert f"{len(ASSIGNMENTS)} assignment(s) checked" in capsys.readouterr().out


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_fix_changes_nothing_in_a_correct_source(tmp_path, assignment):
    copy = tmp_path / f"{assignment}.ipynb"
    shutil.copy(ROOT / "solutions" / assignment / f"{assignment}.ipynb", copy)
    assert fix_header(copy) == []


def test_a_stale_release_is_found(tmp_path):
    assignment = ASSIGNMENTS[0]
    course = tmp_path / "course"
    (course / "exercises").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / assignment, course / "solutions" / assignment)
    shutil.copytree(ROOT / "exercises" / assignment, course / "exercises" / assignment)
    assert check_sources(Course(course), [assignment]) == []

    source = course / "solutions" / assignment / f"{assignment}.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells[1].source += "\n\nAn edit made in the source but not released."
    nbformat.write(nb, source)
    problems = [str(p) for p in check_sources(Course(course), [assignment])]
    assert problems == [f"exercises/{assignment}/{assignment}.ipynb: cell 1 (markdown): differs from a fresh "
                        "generate_assignment (source): regenerate the release"]
    assert main(["check-source", assignment, "--course", str(course)]) == 1
