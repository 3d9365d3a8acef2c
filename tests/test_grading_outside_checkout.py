"""Grading in a course folder that is not the checkout hepcourse was installed from.

An instructor's course folder is usually a clone of the course repository next to the
installed checkout (or a plain `pip install`, a conda environment, a hub image), and a clone
holds its own copy of hepcourse/. The grading worker runs in the course folder; the sandbox
must show the kernel what the kernel's Python really imports, never the course's copy, and a
kernel that cannot start must say why instead of "Kernel died before replying to kernel_info".
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import grading_course as gc
from hepcourse.instructor import sandbox
from hepcourse.instructor.autograde import grade
from hepcourse.instructor.course import Course, release, run_nbgrader

pytestmark = pytest.mark.grading

ROOT = Path(__file__).resolve().parents[1]
# the cheapest real exercise: its solution runs in about 30 s (README, notebook execution table)
EXERCISE = "02_regression"
# the exercise imports TensorFlow: the default memory limit (its address space is twice that)
LIMITS = sandbox.Limits(cell_s=120, wall_s=300, threads=1)
SMALL_LIMITS = sandbox.Limits(cell_s=8, wall_s=90, memory_bytes=2**30, threads=1)  # the 1-second test course


def _installed_hepcourse() -> Path:
    """The hepcourse package this environment's Python imports outside any course folder."""
    out = subprocess.run([sys.executable, "-I", "-c", "import hepcourse; print(hepcourse.__file__)"],
                         cwd="/", capture_output=True, text=True, check=True).stdout
    return Path(out.strip()).resolve().parent


def _copy_hepcourse(course: Path, poisoned: bool = False) -> None:
    """The course folder's own hepcourse/ (a clone of the repository has one); ``poisoned``:
    importing it fails, so that any use of it shows."""
    shutil.copytree(ROOT / "hepcourse", course / "hepcourse", ignore=shutil.ignore_patterns("__pycache__"))
    if poisoned:
        (course / "hepcourse" / "__init__.py").write_text(
            "raise ImportError('the course folder\\'s copy of hepcourse was imported')\n")


def _submit(course: Path, assignment: str, student: str, nb: nbformat.NotebookNode) -> None:
    target = course / "submitted" / student / assignment / f"{assignment}.ipynb"
    target.parent.mkdir(parents=True)
    nbformat.write(nb, target)


def _cells(course: Path, assignment: str, student: str) -> dict[str, tuple[float, float]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(assignment, assignment, student)
        return {g.name: (g.score, g.max_score) for g in notebook.grades}


def _levels() -> list[str]:
    return ["bwrap", "process"] if sandbox.detect_level() == "bwrap" else ["process"]


def test_solution_gets_full_marks_in_a_course_outside_the_checkout(tmp_path, monkeypatch):
    """The issue's case: a clone of the course (with its own hepcourse/) outside the installed
    checkout, the exercise's solution graded as `hepcourse grade` does, from inside the clone."""
    course = tmp_path / "clone"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / EXERCISE, course / "solutions" / EXERCISE)
    _copy_hepcourse(course)
    assert not str(_installed_hepcourse()).startswith(str(course.resolve()))
    run_nbgrader(course, "generate_assignment", EXERCISE, "--force")
    _submit(course, EXERCISE, "solution", nbformat.read(course / "solutions" / EXERCISE / f"{EXERCISE}.ipynb", 4))
    monkeypatch.chdir(course)

    summary = grade(Course.find(), EXERCISE, workers=1, limits=LIMITS, progress=False)

    assert [o.status for o in summary.outcomes] == ["graded"], summary.table()
    cells = _cells(course, EXERCISE, "solution")
    lost = {name: got for name, got in cells.items() if got[0] != got[1]}
    assert cells and not lost, f"grade cells without full marks (score, max): {lost}\n{summary.table()}"
    assert summary.outcomes[0].score == summary.outcomes[0].max_score > 0


@pytest.mark.parametrize("level", _levels())
def test_course_copy_of_hepcourse_is_never_imported(tmp_path, monkeypatch, level):
    """Neither the grading worker (which runs in the course folder) nor the kernel imports the
    course folder's hepcourse/: here importing it fails, and the class still gets its marks.
    The notebook imports hepcourse in the sandbox, from where it is installed."""
    course = gc.make_course(tmp_path / "course")
    _copy_hepcourse(course, poisoned=True)
    release(Course(course), gc.ASSIGNMENT)
    nb = nbformat.read(course / "exercises" / gc.ASSIGNMENT / f"{gc.ASSIGNMENT}.ipynb", 4)
    nb = gc.class_submissions(nb, course)[0].notebook  # correct00
    check = nbformat.v4.new_code_cell(
        "import pathlib, hepcourse, hepcourse.selfchecks\n"
        f"assert str(pathlib.Path(hepcourse.__file__).resolve().parent) == {str(_installed_hepcourse())!r}")
    nb.cells.insert(1, check)
    _submit(course, gc.ASSIGNMENT, "correct00", nb)
    monkeypatch.chdir(course)

    summary = grade(Course(course), gc.ASSIGNMENT, workers=1, limits=SMALL_LIMITS, level=level, progress=False)

    assert [(o.status, o.score) for o in summary.outcomes] == [("graded", 6)], summary.table()
    out = nbformat.read(course / "autograded" / "correct00" / gc.ASSIGNMENT / f"{gc.ASSIGNMENT}.ipynb", 4)
    assert not [o for o in out.cells[1].outputs if o.output_type == "error"], out.cells[1].outputs


def test_shown_paths_come_from_the_interpreter_not_the_course(tmp_path, monkeypatch):
    """The folders the sandbox shows are where the interpreter imports from, asked of the
    interpreter itself: not this process' current folder or sys.path (a course with its own
    hepcourse/), and no sys.path entry that contains the course."""
    course = tmp_path / "outer" / "course"
    course.mkdir(parents=True)
    _copy_hepcourse(course)
    monkeypatch.chdir(course)
    monkeypatch.syspath_prepend(str(course))
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "outer")}  # like a .pth entry above the course
    shown = sandbox._python_paths([sys.executable], env, hidden=[str(course)])
    installed = str(_installed_hepcourse())
    assert any(installed == p or installed.startswith(p + "/") for p in shown), (installed, shown)
    resolved = str(course.resolve())
    assert not [p for p in shown if p.startswith(resolved) or resolved.startswith(p + "/")], shown


def test_kernel_that_cannot_start_is_reported_with_its_cause(tmp_path, monkeypatch):
    """A kernel that dies on start-up (here: a kernelspec naming a module that does not exist)
    fails the submission with the kernel's own last words, in the summary and nbgrader's log."""
    kernels = tmp_path / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "hepcourse_no_such_kernel", "-f", "{connection_file}"],
        "display_name": "Python 3 (broken)", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    course = gc.make_course(tmp_path / "course")
    release(Course(course), gc.ASSIGNMENT)
    _submit(course, gc.ASSIGNMENT, "correct00",
            gc.class_submissions(nbformat.read(course / "exercises" / gc.ASSIGNMENT / f"{gc.ASSIGNMENT}.ipynb", 4),
                                 course)[0].notebook)

    summary = grade(Course(course), gc.ASSIGNMENT, workers=1, limits=SMALL_LIMITS, progress=False)

    [outcome] = summary.outcomes
    assert outcome.status == "failed", summary.table()
    cause = "No module named hepcourse_no_such_kernel"
    last_line = outcome.message.splitlines()[-1]
    assert "kernel could not start" in last_line and cause in last_line, outcome.message
    assert cause in summary.table()
    log = (course / ".hepcourse" / "logs" / gc.ASSIGNMENT / "correct00.log").read_text()
    assert cause in log, log[-3000:]
